#pragma once

#include <mysql.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "my_session.h"
#include "table_schema.h"

namespace streamhost::mycdc {

/// How a snapshot column's text (from a plain SELECT) becomes JSON.
enum class SnapKind { kNumber, kDouble, kString, kDatetime, kTimestamp, kBinary, kJson, kSet, kGeometry };

/// An initial snapshot in progress: one consistent read transaction and the
/// binlog position it corresponds to.
struct Snapshot {
  std::unique_ptr<MySession> conn;
  std::string file;
  uint64_t pos = 0;
  uint32_t server_id = 0;  ///< the server's own @@server_id, for the source block
  std::vector<std::pair<std::string, std::string>> tables;
  size_t table = 0;
  MYSQL_RES* result = nullptr;  ///< the table being read (mysql_use_result)
  TableSchema schema;
  std::vector<SnapKind> kinds;
  int64_t started_ms = 0;
  int64_t rows_table = 0;
  int64_t rows_total = 0;

  ~Snapshot() {
    if (result != nullptr) {
      mysql_free_result(result);
    }
  }
};

}  // namespace streamhost::mycdc
