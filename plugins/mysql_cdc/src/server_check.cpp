#include "server_check.h"

#include <streamhost/plugin_sdk.hpp>

#include <algorithm>
#include <cctype>

namespace streamhost::mycdc {
namespace {

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

}  // namespace

Finding ServerCheck::flavour() {
  std::string v = s_.serverVersion();
  std::string plain = v.substr(0, v.find('-'));
  return {true, std::string("Connected to ") + (s_.isMariaDb() ? "MariaDB " : "MySQL ") + plain + " at " +
                    s_.settings().describe() + "."};
}

Finding ServerCheck::binlogOn() {
  std::string on = upper(s_.variable("log_bin").value_or("OFF"));
  if (on == "ON" || on == "1") {
    return {true, "The binlog is on."};
  }
  return {false, "The binlog is off: set log_bin (for example log-bin=mysql-bin) in the server's configuration and "
                 "restart it."};
}

Finding ServerCheck::rowFormat() {
  std::string format = upper(s_.variable("binlog_format").value_or(""));
  std::string image = upper(s_.variable("binlog_row_image").value_or("FULL"));
  if (format != "ROW") {
    return {false, "binlog_format is " + format +
                       ", not ROW: run SET GLOBAL binlog_format = 'ROW' and set binlog_format=ROW in the server's "
                       "configuration (sessions keep their format until they reconnect)."};
  }
  if (image != "FULL") {
    return {false, "binlog_format is ROW but binlog_row_image is " + image +
                       ", not FULL: run SET GLOBAL binlog_row_image = 'FULL' and set binlog_row_image=FULL in the "
                       "server's configuration."};
  }
  return {true, "binlog_format is ROW and binlog_row_image is FULL."};
}

Finding ServerCheck::gtids() {
  if (s_.isMariaDb()) {
    std::string pos = s_.variable("gtid_binlog_pos").value_or("");
    return {true, "GTIDs are on (MariaDB; binlog position " + (pos.empty() ? std::string("empty") : pos) + ")."};
  }
  std::string mode = upper(s_.variable("gtid_mode").value_or("OFF"));
  if (mode == "ON") {
    return {true, "GTIDs are on (gtid_mode=ON)."};
  }
  return {true, "GTIDs are off (gtid_mode=" + mode + "); streams resume by binlog file and position."};
}

Finding ServerCheck::grants() {
  auto rows = s_.query("SHOW GRANTS FOR CURRENT_USER()", "reading the user's grants");
  std::string account = s_.scalar("SELECT CURRENT_USER()", "reading the user").value_or(s_.settings().user + "@%");
  bool all = false, repl_slave = false, repl_client = false, select = false;
  for (const auto& r : rows) {
    std::string g = upper(r.empty() || !r[0] ? "" : *r[0]);
    bool global = g.find(" ON *.* ") != std::string::npos;
    all = all || (global && g.find("ALL PRIVILEGES") != std::string::npos);
    repl_slave = repl_slave || (global && g.find("REPLICATION SLAVE") != std::string::npos);
    repl_client = repl_client || (global && (g.find("REPLICATION CLIENT") != std::string::npos ||
                                             g.find("BINLOG MONITOR") != std::string::npos));
    select = select || g.find("SELECT") != std::string::npos || g.find("ALL PRIVILEGES") != std::string::npos;
  }
  std::vector<std::string> missing;
  if (!all && !repl_slave) missing.push_back("REPLICATION SLAVE");
  if (!all && !repl_client) missing.push_back(s_.isMariaDb() ? "BINLOG MONITOR" : "REPLICATION CLIENT");
  if (!all && !select) missing.push_back("SELECT");
  size_t at = account.rfind('@');
  std::string user = account.substr(0, at), host = at == std::string::npos ? "%" : account.substr(at + 1);
  if (missing.empty()) {
    return {true, "The user " + user + " has the replication grants."};
  }
  std::string list;
  for (size_t i = 0; i < missing.size(); ++i) {
    list += (i == 0 ? "" : ", ") + missing[i];
  }
  return {false, "The user " + user + " lacks " + list + ": run GRANT " + list + " ON *.* TO " + quoteLiteral(user) +
                     "@" + quoteLiteral(host) + " as an administrator."};
}

void ServerCheck::requireReady() {
  for (Finding f : {binlogOn(), rowFormat(), grants()}) {
    if (!f.ok) {
      throw sdk::Error(SH_ERR_FATAL, f.sentence);
    }
  }
}

BinlogEnd binlogEnd(MySession& session) {
  auto rows = session.query("SHOW MASTER STATUS", "reading the binlog position");
  if (rows.empty() || rows[0].size() < 2 || !rows[0][0]) {
    throw sdk::Error(SH_ERR_FATAL, "SHOW MASTER STATUS returned nothing: the binlog is off on " +
                                       session.settings().describe());
  }
  return {*rows[0][0], std::stoull(rows[0][1].value_or("4"))};
}

std::vector<std::pair<std::string, uint64_t>> binaryLogs(MySession& session) {
  std::vector<std::pair<std::string, uint64_t>> out;
  for (const auto& r : session.query("SHOW BINARY LOGS", "listing the binlog files")) {
    if (r.size() >= 2 && r[0] && r[1]) {
      out.emplace_back(*r[0], std::stoull(*r[1]));
    }
  }
  return out;
}

}  // namespace streamhost::mycdc
