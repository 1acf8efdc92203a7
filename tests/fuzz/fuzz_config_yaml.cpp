// The YAML config loader: any file is either loaded or refused with a
// Status naming a key; yaml-cpp's exceptions never escape.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // A plain array outlives every static destructor the exit handler could race.
  static char path[512];
  if (path[0] == '\0') {
    std::string p =
        (std::filesystem::temp_directory_path() / ("streamhost-fuzz-config-" + std::to_string(::getpid()) + ".yaml"))
            .string();
    std::snprintf(path, sizeof path, "%s", p.c_str());
    std::atexit([] { std::remove(path); });
  }
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
