#include "pg_conn.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <streamhost/plugin_sdk.hpp>

namespace streamhost::pgcdc {
namespace {

bool contains(std::string_view hay, std::string_view needle) { return hay.find(needle) != std::string_view::npos; }

/// Connection failures that a retry cannot fix, with what to do about them.
std::optional<std::string> fatalConnectHint(std::string_view msg, const ConnSettings& s) {
  if (contains(msg, "password authentication failed") || contains(msg, "no password supplied")) {
    return "check the user and password of the connection";
  }
  if (contains(msg, "no pg_hba.conf entry")) {
    return "allow this client in the server's pg_hba.conf (a replication entry is needed too)";
  }
  if (contains(msg, "must be superuser or replication role") || contains(msg, "permission denied to start WAL sender")) {
    return "the role " + s.user + " lacks the REPLICATION attribute; run ALTER ROLE " + quoteIdent(s.user) +
           " REPLICATION as a superuser";
  }
  if (contains(msg, "does not exist") && contains(msg, "database")) {
    return "the database " + s.database + " does not exist on the server";
  }
  if (contains(msg, "role \"") && contains(msg, "does not exist")) {
    return "the role " + s.user + " does not exist on the server";
  }
  return std::nullopt;
}

}  // namespace

std::string cleanMessage(std::string_view message) {
  std::string m(message);
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) {
    m.pop_back();
  }
  for (std::string_view prefix : {"ERROR:  ", "FATAL:  "}) {
    if (m.rfind(prefix, 0) == 0) {
      m.erase(0, prefix.size());
    }
  }
  // Keep the first line; DETAIL/HINT lines follow.
  if (size_t nl = m.find('\n'); nl != std::string::npos) {
    m.resize(nl);
  }
  return m;
}

std::string sqlState(const PGresult* result) {
  const char* s = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  return s ? s : "";
}

namespace {

/// The CA PEM in a private temporary file for as long as the object lives.
class RootCertFile {
 public:
  explicit RootCertFile(const std::string& pem) {
    if (pem.empty()) {
      return;
    }
    const char* tmp = std::getenv("TMPDIR");
    std::string templ = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/streamhost-pgca-XXXXXX";
    int fd = ::mkstemp(templ.data());  // mode 0600
    if (fd < 0) {
      throw sdk::Error(SH_ERR_TRANSIENT, std::string("cannot write ssl_root_cert_pem to a temporary file: ") +
                                             std::strerror(errno));
    }
    path_ = templ;
    size_t done = 0;
    while (done < pem.size()) {
      ssize_t n = ::write(fd, pem.data() + done, pem.size() - done);
      if (n <= 0) {
        ::close(fd);
        throw sdk::Error(SH_ERR_TRANSIENT, "cannot write ssl_root_cert_pem to a temporary file");
      }
      done += static_cast<size_t>(n);
    }
    ::close(fd);
  }
  ~RootCertFile() {
    if (!path_.empty()) {
      ::unlink(path_.c_str());
    }
  }
  RootCertFile(const RootCertFile&) = delete;
  RootCertFile& operator=(const RootCertFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace

std::string PgConn::tlsDescription() const {
  PGconn* c = conn_.get();
  if (c == nullptr || PQsslInUse(c) == 0) {
    return "TLS: off (sslmode=" + settings_.sslmode + ")";
  }
  const char* protocol = PQsslAttribute(c, "protocol");
  const char* cipher = PQsslAttribute(c, "cipher");
  return "TLS: " + std::string(protocol ? protocol : "on") + (cipher ? std::string(" ") + cipher : std::string()) +
         " (sslmode=" + settings_.sslmode + ")";
}

PgConn::PgConn(const ConnSettings& settings, Mode mode) : settings_(settings) {
  std::string port = std::to_string(settings.port);
  std::vector<const char*> keys = {"host",     "port",        "dbname",          "user",
                                   "sslmode",  "application_name", "connect_timeout", "client_encoding",
                                   "options"};
  std::vector<const char*> values = {settings.host.c_str(),
                                     port.c_str(),
                                     settings.database.c_str(),
                                     settings.user.c_str(),
                                     settings.sslmode.c_str(),
                                     "streamhost",
                                     "10",
                                     "UTF8",
                                     "-c TimeZone=UTC -c DateStyle=ISO -c bytea_output=hex -c IntervalStyle=iso_8601"};
  if (!settings.password.empty()) {
    keys.push_back("password");
    values.push_back(settings.password.c_str());
  }
  // libpq reads the CA only from a file, and only while connecting.
  RootCertFile root_cert(settings.ssl_root_cert_pem);
  if (!settings.ssl_root_cert_pem.empty()) {
    keys.push_back("sslrootcert");
    values.push_back(root_cert.path().c_str());
  }
  if (mode == Mode::kReplication) {
    keys.push_back("replication");
    values.push_back("database");
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  conn_.reset(PQconnectdbParams(keys.data(), values.data(), 0));
  if (conn_ && PQstatus(conn_.get()) == CONNECTION_OK) {
    return;
  }
  std::string msg = conn_ ? cleanMessage(PQerrorMessage(conn_.get())) : "out of memory";
  if (auto hint = fatalConnectHint(msg, settings)) {
    throw sdk::Error(SH_ERR_FATAL, "cannot connect to PostgreSQL at " + settings.describe() + ": " + *hint + " (" +
                                       msg + ")");
  }
  throw sdk::Error(SH_ERR_TRANSIENT, "cannot connect to PostgreSQL at " + settings.describe() + ": " + msg);
}

void PgConn::raise(const PGresult* result, std::string_view what) const {
  std::string msg = result ? cleanMessage(PQresultErrorMessage(result)) : std::string();
  if (msg.empty()) {
    msg = cleanMessage(PQerrorMessage(conn_.get()));
  }
  std::string state = sqlState(result);
  std::string text = std::string(what) + " failed: " + msg;
  // Connection exceptions, shutdowns and lost connections are worth a retry.
  // 57P04: the database was dropped, no retry brings it back. 57014: a statement
  // timeout or cancel. 42P01: a table dropped while the snapshot read it.
  bool transient = PQstatus(conn_.get()) != CONNECTION_OK || state.empty() || state.rfind("08", 0) == 0 ||
                   (state.rfind("57P", 0) == 0 && state != "57P04") || state == "57014" || state == "53300" ||
                   state == "55006" || state == "40001" || state == "40P01" || state == "42P01";
  if (state == "42501") {
    text += "; grant the role " + settings_.user + " the privilege named above";
  }
  throw sdk::Error(transient ? SH_ERR_TRANSIENT : SH_ERR_FATAL, text);
}

PgResultPtr PgConn::exec(const std::string& sql, std::string_view what) {
  PgResultPtr r(PQexec(conn_.get(), sql.c_str()));
  ExecStatusType st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_COPY_BOTH) {
    return r;
  }
  raise(r.get(), what);
}

PgResultPtr PgConn::execParams(const std::string& sql, const std::vector<std::string>& params, std::string_view what) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) {
    values.push_back(p.c_str());
  }
  PgResultPtr r(PQexecParams(conn_.get(), sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(),
                             nullptr, nullptr, 0));
  ExecStatusType st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
    return r;
  }
  raise(r.get(), what);
}

void PgConn::copyOut(const std::string& sql, std::string_view what) {
  PgResultPtr r(PQexec(conn_.get(), sql.c_str()));
  if (!r || PQresultStatus(r.get()) != PGRES_COPY_OUT) {
    raise(r.get(), what);
  }
  copying_ = true;
}

std::optional<std::string_view> PgConn::copyRow(std::string_view what) {
  copy_row_.reset();
  char* buf = nullptr;
  int n = PQgetCopyData(conn_.get(), &buf, 0);
  if (n >= 0) {
    copy_row_.reset(buf);
    return std::string_view(buf, static_cast<size_t>(n));
  }
  copying_ = false;
  if (n == -2) {
    raise(nullptr, what);
  }
  // The COPY ended: its own result says whether it ended well.
  PgResultPtr r(PQgetResult(conn_.get()));
  ExecStatusType st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  while (PgResultPtr more{PQgetResult(conn_.get())}) {
  }
  if (st != PGRES_COMMAND_OK) {
    raise(r.get(), what);
  }
  return std::nullopt;
}

std::optional<std::string> PgConn::scalar(const std::string& sql, const std::vector<std::string>& params,
                                          std::string_view what) {
  PgResultPtr r = execParams(sql, params, what);
  if (PQntuples(r.get()) == 0 || PQgetisnull(r.get(), 0, 0)) {
    return std::nullopt;
  }
  return std::string(PQgetvalue(r.get(), 0, 0));
}

}  // namespace streamhost::pgcdc
