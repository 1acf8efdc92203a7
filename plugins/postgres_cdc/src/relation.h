#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace streamhost::pgcdc {

/// One column as pgoutput describes it.
struct Column {
  std::string name;
  std::string json_key;  ///< "\"name\":", written ahead of every value
  uint32_t type_oid = 0;
  bool identity = false;  ///< part of the replica identity (pgoutput's key flag)
  bool key = false;       ///< part of the record key (the primary key)
};

/// A table as the replication stream (or the snapshot) sees it.
struct Relation {
  uint32_t id = 0;
  std::string schema;
  std::string table;
  char identity = 'd';  ///< d default, n nothing, f full, i index
  std::vector<Column> columns;
  bool wanted = true;       ///< include/exclude verdict
  std::string source_tail;  ///< ",\"schema\":…,\"table\":…" for the source block

  /// Fills json_key and source_tail; call after the names are set.
  void prepare();
  /// Marks the columns named in `key_columns` as the key; false when one is missing.
  bool setKey(const std::vector<std::string>& key_columns);
  /// Uses the identity columns as the key (DEFAULT identity: the primary key).
  void keyFromIdentity();
};

/// One column value of a tuple: 'n' null, 'u' unchanged TOAST, 't' text.
struct Datum {
  char kind = 'n';
  std::string_view text;
};
using Tuple = std::vector<Datum>;

}  // namespace streamhost::pgcdc
