// The connectors' JSON reader (sdk/json.hpp): parse, check-only parse and
// pointers must agree and never crash, whatever the bytes.
#include <streamhost/sdk/json.hpp>

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string why;
  auto v = streamhost::sdk::parseJson(text, &why);
  // The check-only pass builds nothing but must reach the same verdict.
  if (v.has_value() != streamhost::sdk::isValidJson(text)) {
    std::abort();
  }
  if (v) {
    for (std::string_view p : {"", "/0", "/a", "/a/0/b", "/~0~1"}) {
      (void)streamhost::sdk::resolvePointer(*v, p);
    }
  }
  return 0;
}
