// The host's allocation-free JSON syntax check (common/json_syntax.h).
#include <cstdint>
#include <string_view>

#include "common/json_syntax.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)streamhost::checkJsonSyntax(text);
  (void)streamhost::checkJsonSyntax(text, 3);
  return 0;
}
