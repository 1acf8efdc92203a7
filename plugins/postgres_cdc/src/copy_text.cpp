#include "copy_text.h"

namespace streamhost::pgcdc {
namespace {

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Appends the unescaped `field` (COPY text rules) to `out`.
void unescape(std::string_view field, std::string& out) {
  for (size_t i = 0; i < field.size(); ++i) {
    char c = field[i];
    if (c != '\\' || i + 1 == field.size()) {
      out.push_back(c);
      continue;
    }
    char e = field[++i];
    switch (e) {
      case 'b': out.push_back('\b'); break;
      case 'f': out.push_back('\f'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 't': out.push_back('\t'); break;
      case 'v': out.push_back('\v'); break;
      case 'x':
        if (i + 1 < field.size() && hexValue(field[i + 1]) >= 0) {
          int v = hexValue(field[++i]);
          if (i + 1 < field.size() && hexValue(field[i + 1]) >= 0) {
            v = v * 16 + hexValue(field[++i]);
          }
          out.push_back(static_cast<char>(v));
        } else {
          out.push_back('x');
        }
        break;
      default:
        if (e >= '0' && e <= '7') {
          int v = e - '0';
          for (int k = 0; k < 2 && i + 1 < field.size() && field[i + 1] >= '0' && field[i + 1] <= '7'; ++k) {
            v = v * 8 + (field[++i] - '0');
          }
          out.push_back(static_cast<char>(v));
        } else {
          out.push_back(e);  // "\\" and any other escaped character stand for themselves
        }
    }
  }
}

}  // namespace

bool splitCopyRow(std::string_view row, std::string& scratch, Tuple& tuple) {
  if (!row.empty() && row.back() == '\n') {
    row.remove_suffix(1);
  }
  // Unescaping never grows a field, so reserving the row keeps earlier views valid.
  scratch.clear();
  scratch.reserve(row.size());
  if (tuple.empty()) {
    return row.empty();
  }
  size_t col = 0;
  size_t start = 0;
  while (true) {
    size_t end = row.find('\t', start);
    std::string_view field = row.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (col == tuple.size()) {
      return false;
    }
    Datum& d = tuple[col++];
    if (field == "\\N") {
      d.kind = 'n';
      d.text = {};
    } else if (field.find('\\') == std::string_view::npos) {
      d.kind = 't';
      d.text = field;
    } else {
      size_t from = scratch.size();
      unescape(field, scratch);
      d.kind = 't';
      d.text = std::string_view(scratch).substr(from);
    }
    if (end == std::string_view::npos) {
      break;
    }
    start = end + 1;
  }
  return col == tuple.size();
}

}  // namespace streamhost::pgcdc
