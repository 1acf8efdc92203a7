#pragma once

#include <string>
#include <vector>

#include "common/record.h"
#include "journal/journal_types.h"

namespace streamhost::journal::testutil {

/// `n` records whose key is "k<first+i>" and value "v<first+i>" padded to `value_bytes`.
inline std::vector<Record> makeRecords(size_t n, uint64_t first = 1, size_t value_bytes = 0) {
  std::vector<Record> out;
  for (size_t i = 0; i < n; ++i) {
    Record r;
    r.op = 'c';
    r.key = "k" + std::to_string(first + i);
    r.value = "v" + std::to_string(first + i);
    if (r.value.size() < value_bytes) {
      r.value.resize(value_bytes, 'x');
    }
    r.offset = "lsn/" + std::to_string(first + i);
    r.ts_ms = 1000 + static_cast<int64_t>(first + i);
    r.headers = {{"h", "1"}};
    out.push_back(std::move(r));
  }
  return out;
}

/// Options for tests: no group-commit wait, small index interval.
inline JournalOptions fastOptions() {
  JournalOptions o;
  o.group_commit_delay = std::chrono::microseconds(0);
  o.index_interval_bytes = 256;
  return o;
}

}  // namespace streamhost::journal::testutil
