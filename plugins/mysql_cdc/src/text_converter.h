#pragma once

#include <iconv.h>

#include <mutex>
#include <string>
#include <string_view>

namespace streamhost::mycdc {

/// Converts one MySQL character set to UTF-8 and appends it JSON-quoted.
class TextConverter {
 public:
  /// `charset` is MySQL's name (utf8mb4, latin1, …).
  explicit TextConverter(std::string charset);
  ~TextConverter();
  TextConverter(const TextConverter&) = delete;
  TextConverter& operator=(const TextConverter&) = delete;

  const std::string& charset() const { return charset_; }
  /// Whether this charset is "binary" (values become base64).
  bool binary() const { return binary_; }
  /// Appends the text as a JSON string. Bytes that are not valid in the
  /// charset become U+FFFD, so a record is always valid UTF-8.
  void appendJson(std::string& out, std::string_view bytes) const;
  /// The text in UTF-8.
  std::string toUtf8(std::string_view bytes) const;

 private:
  std::string charset_;
  bool utf8_ = false;
  bool binary_ = false;
  mutable std::mutex mu_;
  iconv_t cd_ = reinterpret_cast<iconv_t>(-1);
};

/// Standard base64 with padding, appended.
void appendBase64(std::string& out, std::string_view bytes);

}  // namespace streamhost::mycdc
