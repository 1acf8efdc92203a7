#include "support/pg_server.h"
#include "support/child_process.h"
#include "support/free_port.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

namespace streamhost::testing {
namespace {

constexpr const char* kPgBin = "/usr/lib/postgresql/15/bin";
constexpr int kPortAttempts = 6;
constexpr size_t kLogTailChars = 12000;


std::string runuserPath() {
  for (const char* p : {"/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"}) {
    if (::access(p, X_OK) == 0) {
      return p;
    }
  }
  return "runuser";
}

/// Runs `args` as the postgres user in `cwd`, output appended to `out_path`;
/// returns the exit status, or -1 when it could not run or was signalled.
int runAsPostgres(const std::vector<std::string>& args, const std::filesystem::path& cwd,
                  const std::filesystem::path& out_path) {
  std::vector<std::string> full = {runuserPath(), "-u", "postgres", "--"};
  full.insert(full.end(), args.begin(), args.end());
  // The tools need a readable cwd.
  return waitExit(spawnLogged(full, out_path, SpawnOptions{cwd, false}));
}

}  // namespace

PgConnection::PgConnection(const std::string& conninfo) : conn_(PQconnectdb(conninfo.c_str())) {}

std::string PgConnection::error() const {
  if (!conn_) {
    return "not connected";
  }
  std::string e = PQerrorMessage(conn_.get());
  while (!e.empty() && (e.back() == '\n' || e.back() == ' ')) {
    e.pop_back();
  }
  return e;
}

::testing::AssertionResult PgConnection::tryExec(const std::string& sql) {
  if (!conn_) {
    return ::testing::AssertionFailure() << "not connected, cannot run: " << sql;
  }
  PgResultPtr r(PQexec(conn_.get(), sql.c_str()));
  ExecStatusType st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_COPY_BOTH) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "SQL failed: " << sql.substr(0, 300) << "\n  server: " << error();
}

bool PgConnection::exec(const std::string& sql) {
  ::testing::AssertionResult r = tryExec(sql);
  if (!r) {
    ADD_FAILURE() << r.message();
  }
  return static_cast<bool>(r);
}

std::vector<PgRow> PgConnection::query(const std::string& sql) {
  std::vector<PgRow> rows;
  if (!conn_) {
    ADD_FAILURE() << "not connected, cannot run: " << sql;
    return rows;
  }
  PgResultPtr r(PQexec(conn_.get(), sql.c_str()));
  ExecStatusType st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
    ADD_FAILURE() << "SQL failed: " << sql.substr(0, 300) << "\n  server: " << error();
    return rows;
  }
  const int n = PQntuples(r.get());
  const int cols = PQnfields(r.get());
  rows.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    PgRow row;
    for (int c = 0; c < cols; ++c) {
      if (PQgetisnull(r.get(), i, c)) {
        row.emplace_back(std::nullopt);
      } else {
        row.emplace_back(std::string(PQgetvalue(r.get(), i, c), static_cast<size_t>(PQgetlength(r.get(), i, c))));
      }
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

std::optional<std::string> PgConnection::scalar(const std::string& sql) {
  std::vector<PgRow> rows = query(sql);
  if (rows.empty() || rows[0].empty()) {
    return std::nullopt;
  }
  return rows[0][0];
}

::testing::AssertionResult PgConnection::startReplication(const std::string& slot, const std::string& publication) {
  std::string sql = "START_REPLICATION SLOT " + slot + " LOGICAL 0/0 (proto_version '1', publication_names '" +
                    publication + "')";
  if (!conn_) {
    return ::testing::AssertionFailure() << "not connected";
  }
  PgResultPtr r(PQexec(conn_.get(), sql.c_str()));
  if (!r || PQresultStatus(r.get()) != PGRES_COPY_BOTH) {
    return ::testing::AssertionFailure() << sql << " failed: " << error();
  }
  return ::testing::AssertionSuccess();
}

PgServer::PgServer(PgServerOptions options)
    : options_(std::move(options)), data_dir_(dir_.path() / "data"), log_path_(dir_.path() / "server.log") {}

PgServer::~PgServer() {
  admin_ = PgConnection();
  if (running_) {
    runAsPostgres({std::string(kPgBin) + "/pg_ctl", "-D", data_dir_.string(), "-m", "immediate", "-w", "stop"},
                  dir_.path(), dir_.path() / "ctl.log");
    running_ = false;
  }
}

::testing::AssertionResult PgServer::initDb() {
  struct passwd* pw = ::getpwnam("postgres");
  if (pw == nullptr) {
    return ::testing::AssertionFailure() << "no 'postgres' user: install PostgreSQL 15 (apt-get install -y postgresql)";
  }
  if (::chown(dir_.path().c_str(), pw->pw_uid, pw->pw_gid) != 0) {
    return ::testing::AssertionFailure() << "chown " << dir_.str() << ": " << std::strerror(errno);
  }
  const std::filesystem::path out = dir_.path() / "initdb.log";
  int rc = runAsPostgres({std::string(kPgBin) + "/initdb", "-D", data_dir_.string(), "-U", "postgres", "-A", "trust",
                          "-E", "UTF8", "--no-locale", "--no-sync", "--no-instructions"},
                         dir_.path(), out);
  if (rc != 0) {
    return ::testing::AssertionFailure() << "initdb failed (status " << rc << "); is PostgreSQL 15 installed in "
                                         << kPgBin << "?\n" << readFile(out);
  }
  // Settings go into postgresql.conf so pg_ctl needs no shell quoting; only the port varies per start.
  std::ofstream conf(data_dir_ / "postgresql.conf", std::ios::app);
  conf << "\nlisten_addresses = '" << host_ << "'\n"
       << "unix_socket_directories = '" << dir_.str() << "'\n"
       << "wal_level = '" << options_.wal_level << "'\n"
       << "max_wal_senders = " << options_.max_wal_senders << "\n"
       << "max_replication_slots = " << options_.max_replication_slots << "\n"
       // Durability of the test cluster itself is not under test; clean shutdowns only.
       << "fsync = off\nfull_page_writes = off\n";
  for (const auto& [k, v] : options_.settings) {
    conf << k << " = '" << v << "'\n";
  }
  if (options_.ssl) {
    const std::filesystem::path key = data_dir_ / "server.key", crt = data_dir_ / "server.crt";
    rc = runAsPostgres({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key.string(), "-out",
                        crt.string(), "-days", "2", "-subj", "/CN=localhost"},
                       dir_.path(), dir_.path() / "openssl.log");
    if (rc != 0) {
      return ::testing::AssertionFailure() << "openssl req failed (status " << rc << ")\n"
                                           << readFile(dir_.path() / "openssl.log");
    }
    conf << "ssl = on\nssl_cert_file = '" << crt.string() << "'\nssl_key_file = '" << key.string() << "'\n";
  }
  if (!conf.good()) {
    return ::testing::AssertionFailure() << "cannot append to postgresql.conf";
  }
  initialized_ = true;
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult PgServer::startOnce(uint16_t port, bool& port_taken) {
  const size_t log_before = readFile(log_path_).size();
  int rc = runAsPostgres({std::string(kPgBin) + "/pg_ctl", "-D", data_dir_.string(), "-l", log_path_.string(), "-w",
                          "-t", std::to_string(options_.start_timeout.count()), "-o", "-p " + std::to_string(port),
                          "start"},
                         dir_.path(), dir_.path() / "ctl.log");
  if (rc == 0) {
    port_ = port;
    running_ = true;
    return ::testing::AssertionSuccess();
  }
  std::string text = readFile(log_path_);
  text = text.size() > log_before ? text.substr(log_before) : text;
  port_taken = text.find("Address already in use") != std::string::npos;
  return ::testing::AssertionFailure() << "pg_ctl start on port " << port << " failed (status " << rc << ")\n"
                                       << tail(text, 4000) << tail(readFile(dir_.path() / "ctl.log"), 2000);
}

::testing::AssertionResult PgServer::start() {
  if (running_) {
    return ::testing::AssertionFailure() << "PostgreSQL already runs on port " << port_;
  }
  if (!initialized_) {
    if (auto r = initDb(); !r) {
      return r;
    }
  }
  ::testing::AssertionResult last = ::testing::AssertionFailure() << "no free port found";
  for (int attempt = 0; attempt < kPortAttempts; ++attempt) {
    // A restart keeps its port so configured clients find the server again.
    uint16_t port = port_ != 0 ? port_ : pickFreePort();
    if (port == 0) {
      continue;
    }
    bool port_taken = false;
    last = startOnce(port, port_taken);
    if (last || !port_taken) {
      return last;
    }
    if (port_ != 0) {
      // Our own port, still held by a closing socket: give it a moment.
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
  return last;
}

::testing::AssertionResult PgServer::stop() {
  admin_ = PgConnection();
  if (!running_) {
    return ::testing::AssertionFailure() << "PostgreSQL is not running";
  }
  int rc = runAsPostgres({std::string(kPgBin) + "/pg_ctl", "-D", data_dir_.string(), "-m", "fast", "-w", "-t", "30",
                          "stop"},
                         dir_.path(), dir_.path() / "ctl.log");
  running_ = false;
  if (rc != 0) {
    return ::testing::AssertionFailure() << "pg_ctl stop failed (status " << rc << ")\n"
                                         << tail(readFile(dir_.path() / "ctl.log"), 2000);
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult PgServer::restart() {
  if (auto r = stop(); !r) {
    return r;
  }
  return start();
}

std::string PgServer::conninfo(const std::string& database, const std::string& user, const std::string& extra) const {
  std::string s = "host=" + host_ + " port=" + std::to_string(port_) + " dbname=" + database + " user=" + user +
                  " connect_timeout=5 sslmode=disable";
  if (!extra.empty()) {
    s += " " + extra;
  }
  return s;
}

PgConnection& PgServer::admin() {
  if (!admin_.ok()) {
    admin_ = connect();
    if (!admin_.ok()) {
      ADD_FAILURE() << "cannot connect to PostgreSQL on port " << port_ << ": " << admin_.error();
    }
  }
  return admin_;
}

bool PgServer::exec(const std::string& sql) { return admin().exec(sql); }
std::vector<PgRow> PgServer::query(const std::string& sql) { return admin().query(sql); }
std::optional<std::string> PgServer::scalar(const std::string& sql) { return admin().scalar(sql); }

bool PgServer::createRoleWithoutReplication(const std::string& name) {
  return exec("CREATE ROLE " + name + " LOGIN NOREPLICATION NOSUPERUSER");
}

std::string PgServer::log() const { return readFile(log_path_); }

void PgServer::printLogIfFailed() const {
  if (!::testing::Test::HasFailure()) {
    return;
  }
  std::cerr << "----- PostgreSQL log (" << log_path_.string() << ") -----\n"
            << tail(log(), kLogTailChars) << "\n----- end of PostgreSQL log -----\n";
}

}  // namespace streamhost::testing
