#pragma once

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "support/temp_dir.h"

namespace streamhost::testing {

/// One result row; nullopt stands for SQL NULL.
using PgRow = std::vector<std::optional<std::string>>;

struct PgConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct PgResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgConnPtr = std::unique_ptr<PGconn, PgConnDeleter>;
using PgResultPtr = std::unique_ptr<PGresult, PgResultDeleter>;

/// A libpq session owned by a test (RAII over PGconn). Not thread-safe: one
/// thread per connection, as libpq requires.
class PgConnection {
 public:
  PgConnection() = default;
  /// Connects with `conninfo`; check ok() and error().
  explicit PgConnection(const std::string& conninfo);

  bool ok() const { return conn_ != nullptr && PQstatus(conn_.get()) == CONNECTION_OK; }
  /// libpq's last error text for this session.
  std::string error() const;
  PGconn* get() const { return conn_.get(); }
  /// The server process id serving this session, 0 when not connected.
  int backendPid() const { return conn_ ? PQbackendPID(conn_.get()) : 0; }

  /// Runs `sql` (several statements allowed); on error adds a test failure
  /// carrying the server's message and returns false.
  bool exec(const std::string& sql);
  /// Runs `sql` without touching the test result; the failure says why.
  ::testing::AssertionResult tryExec(const std::string& sql);
  /// Rows of the last statement of `sql`; empty plus a test failure on error.
  std::vector<PgRow> query(const std::string& sql);
  /// The first column of the first row; nullopt for NULL or no row.
  std::optional<std::string> scalar(const std::string& sql);
  /// On a `replication=database` session: START_REPLICATION of `slot` with
  /// pgoutput v1 for `publication`, leaving the session in COPY BOTH so the
  /// slot stays held by this backend until the connection closes.
  ::testing::AssertionResult startReplication(const std::string& slot, const std::string& publication);

 private:
  PgConnPtr conn_;
};

/// How a PgServer starts PostgreSQL.
struct PgServerOptions {
  std::string wal_level = "logical";
  int max_wal_senders = 10;
  int max_replication_slots = 10;
  /// TLS on, with a throwaway self-signed certificate (clients use sslmode=require).
  bool ssl = false;
  /// Extra `-c key=value` settings, e.g. {"wal_sender_timeout", "2s"}.
  std::vector<std::pair<std::string, std::string>> settings;
  /// How long pg_ctl may wait for a start.
  std::chrono::seconds start_timeout{30};
};

/// A real PostgreSQL 15 cluster in its own temp dir on a free loopback port,
/// run as the `postgres` user through runuser (initdb refuses root). Trust
/// authentication for every role, TCP on 127.0.0.1 and a socket in the dir.
/// The port is chosen at the first start and kept across restart(), so
/// clients configured with it reconnect. The destructor stops the server and
/// removes the dir. Drive it from one thread; exec()/query() use one shared
/// session, so other threads open their own PgConnection.
class PgServer {
 public:
  explicit PgServer(PgServerOptions options = {});
  ~PgServer();
  PgServer(const PgServer&) = delete;
  PgServer& operator=(const PgServer&) = delete;

  /// initdb on the first call, then starts and waits until it accepts connections.
  ::testing::AssertionResult start();
  /// Fast shutdown (`pg_ctl -m fast`): clients are disconnected.
  ::testing::AssertionResult stop();
  /// stop() then start() on the same data and port.
  ::testing::AssertionResult restart();
  bool running() const { return running_; }

  uint16_t port() const { return port_; }
  const std::string& host() const { return host_; }
  /// The self-signed certificate the server presents when started with `ssl`.
  std::filesystem::path sslCertFile() const { return data_dir_ / "server.crt"; }
  /// A libpq conninfo for `database` as `user`; `extra` is appended (e.g. "replication=database").
  std::string conninfo(const std::string& database = "postgres", const std::string& user = "postgres",
                       const std::string& extra = {}) const;
  /// A new session; check ok().
  PgConnection connect(const std::string& database = "postgres", const std::string& user = "postgres",
                       const std::string& extra = {}) const {
    return PgConnection(conninfo(database, user, extra));
  }

  /// Like PgConnection::exec on the shared session to database `postgres`.
  bool exec(const std::string& sql);
  std::vector<PgRow> query(const std::string& sql);
  std::optional<std::string> scalar(const std::string& sql);

  /// Creates a LOGIN role with NOREPLICATION and NOSUPERUSER (trust auth: no password needed).
  bool createRoleWithoutReplication(const std::string& name);

  /// The server log so far.
  std::string log() const;
  /// Prints the tail of the server log to stderr when the current test has failed.
  void printLogIfFailed() const;

 private:
  ::testing::AssertionResult initDb();
  ::testing::AssertionResult startOnce(uint16_t port, bool& port_taken);
  /// The shared session, reconnected when a restart dropped it.
  PgConnection& admin();

  PgServerOptions options_;
  TempDir dir_;
  std::filesystem::path data_dir_;
  std::filesystem::path log_path_;
  std::string host_ = "127.0.0.1";
  uint16_t port_ = 0;
  bool initialized_ = false;
  bool running_ = false;
  PgConnection admin_;
};

}  // namespace streamhost::testing
