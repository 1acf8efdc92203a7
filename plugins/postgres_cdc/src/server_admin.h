#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cdc_config.h"
#include "lsn.h"
#include "pg_conn.h"

namespace streamhost::pgcdc {

/// A replication slot as pg_replication_slots shows it.
struct SlotInfo {
  std::string plugin;
  std::string database;
  std::optional<int64_t> active_pid;
  Lsn confirmed_flush = 0;
};

/// Catalogue work on a regular connection: checks, publications, slots.
class ServerAdmin {
 public:
  explicit ServerAdmin(PgConn& conn) : conn_(conn) {}

  /// Throws SH_ERR_FATAL with what to fix when wal_level is not logical or
  /// the role cannot replicate.
  void checkReplicationReady();
  /// "wal_level is logical." and the like, for the connection test; false when not usable.
  bool describeWalLevel(std::string& sentence);
  bool describeRole(std::string& sentence);

  /// The server's wal_sender_timeout in ms (0: none).
  int64_t walSenderTimeoutMs();
  /// Base types of domain types among `oids` (others map to themselves).
  std::vector<std::pair<uint32_t, uint32_t>> baseTypes(const std::vector<uint32_t>& oids);

  bool publicationExists(const std::string& name);
  /// Creates the publication for the tables `config` wants (FOR ALL TABLES when
  /// include_tables is empty). Returns the tables named, empty for all.
  std::vector<std::string> createPublication(const CdcConfig& config);
  void dropPublication(const std::string& name);
  /// schema.table pairs in the publication that `config` wants, sorted.
  std::vector<std::pair<std::string, std::string>> publishedTables(const CdcConfig& config);

  std::optional<SlotInfo> slot(const std::string& name);
  void dropSlot(const std::string& name);
  /// Waits up to `timeout_ms` for the slot to have no active backend; its last pid otherwise.
  std::optional<int64_t> waitSlotInactive(const std::string& name, int timeout_ms);
  bool terminate(int64_t pid);

  /// Primary-key column names of a relation ("schema"."table" or an oid), in key order.
  std::vector<std::string> primaryKey(const std::string& relation, bool by_oid);
  /// Columns a snapshot reads (not dropped, not generated), in order.
  std::vector<std::string> snapshotColumns(const std::string& qualified);

 private:
  PgConn& conn_;
};

}  // namespace streamhost::pgcdc
