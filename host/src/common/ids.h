#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "common/clock.h"

namespace streamhost {

/// Makes prefixed ULIDs: `prefix` + 26 lower-case Crockford base32 characters
/// (48-bit millisecond timestamp, 80 random bits). Ids from one generator are
/// strictly increasing, also within one millisecond (the random part is
/// incremented) and when the wall clock steps back. Thread-safe.
class IdGenerator {
 public:
  /// Uses the system clock.
  IdGenerator();
  /// Uses `clock`, which must outlive the generator.
  explicit IdGenerator(const Clock& clock);
  IdGenerator(const IdGenerator&) = delete;
  IdGenerator& operator=(const IdGenerator&) = delete;

  /// A new id such as "str_01j9z3k4q8w5x6y7z8a9b0c1d2".
  /// @param prefix prepended verbatim, including its separator ("str_").
  std::string next(std::string_view prefix);

 private:
  SystemClock system_clock_;
  const Clock& clock_;
  std::mutex mu_;
  int64_t last_ms_ = -1;
  uint16_t rand_hi_ = 0;  // top 16 of the 80 random bits
  uint64_t rand_lo_ = 0;  // low 64 of the 80 random bits
};

/// True when `id` is `prefix` followed by a well-formed lower-case ULID.
bool isValidId(std::string_view id, std::string_view prefix);

/// Length of the ULID part of an id.
inline constexpr size_t kUlidLength = 26;

}  // namespace streamhost
