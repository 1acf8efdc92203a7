#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lsn.h"

namespace streamhost::pgcdc::testing {

/// Writes one pgoutput message, big-endian, as the server would.
class Msg {
 public:
  explicit Msg(char type) { bytes_ += type; }

  Msg& u8(uint8_t v) {
    bytes_ += static_cast<char>(v);
    return *this;
  }
  Msg& u16(uint16_t v) { return be(v, 2); }
  Msg& u32(uint32_t v) { return be(v, 4); }
  Msg& u64(uint64_t v) { return be(v, 8); }
  Msg& cstr(std::string_view s) {
    bytes_.append(s);
    bytes_ += '\0';
    return *this;
  }
  /// A tuple: each datum is {kind, text}; text is written only for 't'.
  Msg& tuple(const std::vector<std::pair<char, std::string>>& datums) {
    u16(static_cast<uint16_t>(datums.size()));
    for (const auto& [kind, text] : datums) {
      u8(static_cast<uint8_t>(kind));
      if (kind == 't') {
        u32(static_cast<uint32_t>(text.size()));
        bytes_ += text;
      }
    }
    return *this;
  }
  const std::string& str() const { return bytes_; }

 private:
  Msg& be(uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i) {
      bytes_ += static_cast<char>((v >> (8 * i)) & 0xFF);
    }
    return *this;
  }

  std::string bytes_;
};

struct ColumnSpec {
  std::string name;
  uint32_t type_oid;
  bool identity;
};

/// A Relation message, optionally with the xid prefix of a streamed block.
inline std::string relationMsg(uint32_t id, std::string_view schema, std::string_view table, char identity,
                               const std::vector<ColumnSpec>& cols, const uint32_t* xid = nullptr) {
  Msg m('R');
  if (xid != nullptr) {
    m.u32(*xid);
  }
  m.u32(id).cstr(schema).cstr(table).u8(static_cast<uint8_t>(identity)).u16(static_cast<uint16_t>(cols.size()));
  for (const ColumnSpec& c : cols) {
    m.u8(c.identity ? 1 : 0).cstr(c.name).u32(c.type_oid).u32(0xFFFFFFFFu);
  }
  return m.str();
}

}  // namespace streamhost::pgcdc::testing
