#include "common/json_syntax.h"

#include <cctype>

namespace streamhost {
namespace {

class Scanner {
 public:
  Scanner(std::string_view t, int max_depth) : t_(t), max_depth_(max_depth) {}

  std::optional<JsonSyntaxError> run() {
    skipWs();
    if (!value(0)) {
      return err_;
    }
    skipWs();
    if (i_ != t_.size()) {
      fail("unexpected content after the JSON value");
      return err_;
    }
    return std::nullopt;
  }

 private:
  bool fail(std::string message) {
    if (!err_) {
      JsonSyntaxError e;
      e.offset = i_;
      for (size_t k = 0; k < i_ && k < t_.size(); ++k) {
        if (t_[k] == '\n') {
          ++e.line;
          e.column = 1;
        } else {
          ++e.column;
        }
      }
      e.message = std::move(message);
      err_ = e;
    }
    return false;
  }
  bool failUnexpected() {
    if (i_ >= t_.size()) {
      return fail("unexpected end of input");
    }
    unsigned char c = static_cast<unsigned char>(t_[i_]);
    if (c >= 0x20 && c < 0x7f) {
      return fail(std::string("unexpected '") + static_cast<char>(c) + "'");
    }
    return fail("unexpected byte");
  }
  void skipWs() {
    while (i_ < t_.size() && (t_[i_] == ' ' || t_[i_] == '\t' || t_[i_] == '\n' || t_[i_] == '\r')) {
      ++i_;
    }
  }
  bool literal(std::string_view word) {
    if (t_.substr(i_, word.size()) != word) {
      return failUnexpected();
    }
    i_ += word.size();
    return true;
  }
  bool value(int depth) {
    if (depth > max_depth_) {
      return fail("nesting deeper than " + std::to_string(max_depth_) + " levels");
    }
    if (i_ >= t_.size()) {
      return failUnexpected();
    }
    switch (t_[i_]) {
      case '{': return object(depth);
      case '[': return array(depth);
      case '"': return string();
      case 't': return literal("true");
      case 'f': return literal("false");
      case 'n': return literal("null");
      default: return number();
    }
  }
  bool object(int depth) {
    ++i_;
    skipWs();
    if (i_ < t_.size() && t_[i_] == '}') {
      ++i_;
      return true;
    }
    while (true) {
      skipWs();
      if (i_ >= t_.size() || t_[i_] != '"') {
        return i_ >= t_.size() ? failUnexpected() : fail("expected a string key");
      }
      if (!string()) {
        return false;
      }
      skipWs();
      if (i_ >= t_.size() || t_[i_] != ':') {
        return i_ >= t_.size() ? failUnexpected() : fail("expected ':'");
      }
      ++i_;
      skipWs();
      if (!value(depth + 1)) {
        return false;
      }
      skipWs();
      if (i_ < t_.size() && t_[i_] == ',') {
        ++i_;
        continue;
      }
      if (i_ < t_.size() && t_[i_] == '}') {
        ++i_;
        return true;
      }
      return i_ >= t_.size() ? failUnexpected() : fail("expected ',' or '}'");
    }
  }
  bool array(int depth) {
    ++i_;
    skipWs();
    if (i_ < t_.size() && t_[i_] == ']') {
      ++i_;
      return true;
    }
    while (true) {
      skipWs();
      if (!value(depth + 1)) {
        return false;
      }
      skipWs();
      if (i_ < t_.size() && t_[i_] == ',') {
        ++i_;
        continue;
      }
      if (i_ < t_.size() && t_[i_] == ']') {
        ++i_;
        return true;
      }
      return i_ >= t_.size() ? failUnexpected() : fail("expected ',' or ']'");
    }
  }
  bool string() {
    ++i_;
    while (i_ < t_.size()) {
      unsigned char c = static_cast<unsigned char>(t_[i_]);
      if (c == '"') {
        ++i_;
        return true;
      }
      if (c < 0x20) {
        return fail("control character in string");
      }
      if (c == '\\') {
        ++i_;
        if (i_ >= t_.size()) {
          return failUnexpected();
        }
        char e = t_[i_];
        if (e == 'u') {
          for (int k = 1; k <= 4; ++k) {
            if (i_ + k >= t_.size() || !std::isxdigit(static_cast<unsigned char>(t_[i_ + k]))) {
              i_ += k;
              return fail("bad \\u escape");
            }
          }
          i_ += 5;
          continue;
        }
        if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos) {
          return fail("bad escape");
        }
        ++i_;
        continue;
      }
      ++i_;
    }
    return fail("unterminated string");
  }
  bool digits() {
    size_t start = i_;
    while (i_ < t_.size() && std::isdigit(static_cast<unsigned char>(t_[i_]))) {
      ++i_;
    }
    return i_ > start;
  }
  bool number() {
    if (i_ < t_.size() && t_[i_] == '-') {
      ++i_;
    }
    if (i_ < t_.size() && t_[i_] == '0') {
      ++i_;
    } else if (!digits()) {
      return failUnexpected();
    }
    if (i_ < t_.size() && t_[i_] == '.') {
      ++i_;
      if (!digits()) {
        return failUnexpected();
      }
    }
    if (i_ < t_.size() && (t_[i_] == 'e' || t_[i_] == 'E')) {
      ++i_;
      if (i_ < t_.size() && (t_[i_] == '+' || t_[i_] == '-')) {
        ++i_;
      }
      if (!digits()) {
        return failUnexpected();
      }
    }
    return true;
  }

  std::string_view t_;
  int max_depth_;
  size_t i_ = 0;
  std::optional<JsonSyntaxError> err_;
};

}  // namespace

std::string JsonSyntaxError::describe() const {
  return message + " at line " + std::to_string(line) + ", column " + std::to_string(column) + " (byte " +
         std::to_string(offset) + ")";
}

std::optional<JsonSyntaxError> checkJsonSyntax(std::string_view text, int max_depth) {
  return Scanner(text, max_depth).run();
}

}  // namespace streamhost
