#include "server_admin.h"

#include <streamhost/plugin_sdk.hpp>

#include <chrono>
#include <thread>

namespace streamhost::pgcdc {
namespace {

std::string value(const PGresult* r, int row, int col) {
  return PQgetisnull(r, row, col) ? std::string() : std::string(PQgetvalue(r, row, col));
}

}  // namespace

bool ServerAdmin::describeWalLevel(std::string& sentence) {
  std::string level = conn_.scalar("SELECT current_setting('wal_level')", {}, "reading wal_level").value_or("");
  if (level == "logical") {
    sentence = "wal_level is logical.";
    return true;
  }
  sentence = "wal_level is " + level +
             ", not logical: set wal_level = logical in postgresql.conf and restart PostgreSQL.";
  return false;
}

bool ServerAdmin::describeRole(std::string& sentence) {
  auto row = conn_.scalar("SELECT rolsuper OR rolreplication FROM pg_roles WHERE rolname = current_user", {},
                          "reading the role's attributes");
  const std::string& user = conn_.settings().user;
  if (row.value_or("f") == "t") {
    sentence = "The role " + user + " has the REPLICATION attribute.";
    return true;
  }
  sentence = "The role " + user + " lacks the REPLICATION attribute: run ALTER ROLE " + quoteIdent(user) +
             " REPLICATION as a superuser.";
  return false;
}

void ServerAdmin::checkReplicationReady() {
  std::string sentence;
  if (!describeWalLevel(sentence) || !describeRole(sentence)) {
    throw sdk::Error(SH_ERR_FATAL, sentence);
  }
}

int64_t ServerAdmin::walSenderTimeoutMs() {
  auto v = conn_.scalar("SELECT setting FROM pg_settings WHERE name = 'wal_sender_timeout'", {},
                        "reading wal_sender_timeout");
  return v ? std::stoll(*v) : 0;
}

std::vector<std::pair<uint32_t, uint32_t>> ServerAdmin::baseTypes(const std::vector<uint32_t>& oids) {
  std::string list = "{";
  for (size_t i = 0; i < oids.size(); ++i) {
    list += (i > 0 ? "," : "") + std::to_string(oids[i]);
  }
  list += "}";
  PgResultPtr r = conn_.execParams(
      "WITH RECURSIVE d(oid, base) AS (SELECT oid, oid FROM pg_type WHERE oid = ANY($1::oid[]) "
      "UNION ALL SELECT d.oid, t.typbasetype FROM d JOIN pg_type t ON t.oid = d.base WHERE t.typtype = 'd') "
      "SELECT d.oid, d.base FROM d JOIN pg_type t ON t.oid = d.base WHERE t.typtype <> 'd'",
      {list}, "resolving column types");
  std::vector<std::pair<uint32_t, uint32_t>> out;
  for (int i = 0; i < PQntuples(r.get()); ++i) {
    out.emplace_back(static_cast<uint32_t>(std::stoul(value(r.get(), i, 0))),
                     static_cast<uint32_t>(std::stoul(value(r.get(), i, 1))));
  }
  return out;
}

bool ServerAdmin::publicationExists(const std::string& name) {
  return conn_.scalar("SELECT 1 FROM pg_publication WHERE pubname = $1", {name}, "looking up the publication")
      .has_value();
}

std::vector<std::string> ServerAdmin::createPublication(const CdcConfig& config) {
  std::vector<std::string> tables;
  std::string sql = "CREATE PUBLICATION " + quoteIdent(config.publication);
  if (config.include.empty()) {
    sql += " FOR ALL TABLES";
  } else {
    PgResultPtr r = conn_.exec(
        "SELECT schemaname, tablename FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') "
        "ORDER BY 1, 2",
        "listing tables");
    for (int i = 0; i < PQntuples(r.get()); ++i) {
      std::string s = value(r.get(), i, 0), t = value(r.get(), i, 1);
      if (config.wants(s, t)) {
        tables.push_back(quoteIdent(s) + "." + quoteIdent(t));
      }
    }
    if (tables.empty()) {
      throw sdk::Error(SH_ERR_FATAL, "include_tables matches no table in database " + conn_.settings().database +
                                         "; create the tables first or change include_tables");
    }
    sql += " FOR TABLE ";
    for (size_t i = 0; i < tables.size(); ++i) {
      sql += (i > 0 ? ", " : "") + tables[i];
    }
  }
  PgResultPtr r(PQexec(conn_.raw(), sql.c_str()));
  if (PQresultStatus(r.get()) != PGRES_COMMAND_OK && sqlState(r.get()) != "42710") {  // 42710: created meanwhile
    conn_.raise(r.get(), "creating publication " + config.publication);
  }
  return tables;
}

void ServerAdmin::dropPublication(const std::string& name) {
  conn_.exec("DROP PUBLICATION IF EXISTS " + quoteIdent(name), "dropping publication " + name);
}

std::vector<std::pair<std::string, std::string>> ServerAdmin::publishedTables(const CdcConfig& config) {
  PgResultPtr r = conn_.execParams(
      "SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = $1 ORDER BY 1, 2",
      {config.publication}, "listing the publication's tables");
  std::vector<std::pair<std::string, std::string>> out;
  for (int i = 0; i < PQntuples(r.get()); ++i) {
    std::string s = value(r.get(), i, 0), t = value(r.get(), i, 1);
    if (config.wants(s, t)) {
      out.emplace_back(std::move(s), std::move(t));
    }
  }
  return out;
}

std::optional<SlotInfo> ServerAdmin::slot(const std::string& name) {
  PgResultPtr r = conn_.execParams(
      "SELECT plugin, database, active_pid, confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = $1",
      {name}, "looking up replication slot " + name);
  if (PQntuples(r.get()) == 0) {
    return std::nullopt;
  }
  SlotInfo s;
  s.plugin = value(r.get(), 0, 0);
  s.database = value(r.get(), 0, 1);
  if (!PQgetisnull(r.get(), 0, 2)) {
    s.active_pid = std::stoll(value(r.get(), 0, 2));
  }
  s.confirmed_flush = parseLsn(value(r.get(), 0, 3)).value_or(0);
  return s;
}

void ServerAdmin::dropSlot(const std::string& name) {
  conn_.execParams("SELECT pg_drop_replication_slot($1)", {name}, "dropping replication slot " + name);
}

std::optional<int64_t> ServerAdmin::waitSlotInactive(const std::string& name, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    auto s = slot(name);
    if (!s || !s->active_pid) {
      return std::nullopt;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return s->active_pid;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

bool ServerAdmin::terminate(int64_t pid) {
  return conn_.scalar("SELECT pg_terminate_backend($1)", {std::to_string(pid)}, "terminating backend").value_or("") ==
         "t";
}

std::vector<std::string> ServerAdmin::primaryKey(const std::string& relation, bool by_oid) {
  std::string sql =
      "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
      "WHERE i.indrelid = $1::";
  sql += by_oid ? "oid" : "regclass";
  sql += " AND i.indisprimary ORDER BY array_position(i.indkey::int2[], a.attnum)";
  PgResultPtr r = conn_.execParams(sql, {relation}, "reading the primary key of " + relation);
  std::vector<std::string> out;
  for (int i = 0; i < PQntuples(r.get()); ++i) {
    out.push_back(value(r.get(), i, 0));
  }
  return out;
}

std::vector<std::string> ServerAdmin::snapshotColumns(const std::string& qualified) {
  PgResultPtr r = conn_.execParams(
      "SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped "
      "AND attgenerated = '' ORDER BY attnum",
      {qualified}, "reading the columns of " + qualified);
  std::vector<std::string> out;
  for (int i = 0; i < PQntuples(r.get()); ++i) {
    out.push_back(value(r.get(), i, 0));
  }
  return out;
}

}  // namespace streamhost::pgcdc
