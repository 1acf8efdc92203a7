#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace streamhost {

/// A record as the host keeps it: owned copies of what a plugin emitted.
struct Record {
  int32_t op = 0;  ///< SH_OP_* ('c','u','d','r','t') or 0
  std::string key;
  std::string value;
  std::string offset;  ///< source position; empty for none
  int64_t ts_ms = 0;   ///< source timestamp, 0 when unknown
  uint32_t flags = 0;  ///< SH_REC_* (ABI 1.1); read, not yet kept in the journal
  std::vector<std::pair<std::string, std::string>> headers;

  size_t byteSize() const {
    size_t n = key.size() + value.size() + offset.size();
    for (const auto& [k, v] : headers) {
      n += k.size() + v.size();
    }
    return n;
  }
};

}  // namespace streamhost
