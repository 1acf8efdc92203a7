// The YAML config loader: any file is either loaded or refused with a
// Status naming a key; yaml-cpp's exceptions never escape.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path =
      (std::filesystem::temp_directory_path() / ("streamhost-fuzz-config-" + std::to_string(::getpid()) + ".yaml"))
          .string();
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  auto config = streamhost::config::loadConfig(path, {}, {});
  if (config) {
    (void)streamhost::config::renderConfig(*config);
  }
  return 0;
}
