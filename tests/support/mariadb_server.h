#pragma once

#include <gtest/gtest.h>
#include <mysql.h>
#include <sys/types.h>

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
using MyRow = std::vector<std::optional<std::string>>;

struct MysqlDeleter {
  void operator()(MYSQL* m) const { mysql_close(m); }
};
using MysqlPtr = std::unique_ptr<MYSQL, MysqlDeleter>;

/// A client session owned by a test (RAII over MYSQL). One thread per session.
class MyConnection {
 public:
  MyConnection() = default;
  /// Connects over TCP as `user` (empty password) to `database` ("" for none); check ok().
  MyConnection(const std::string& host, uint16_t port, const std::string& user, const std::string& password,
               const std::string& database);

  bool ok() const { return conn_ != nullptr; }
  const std::string& error() const { return error_; }
  MYSQL* get() const { return conn_.get(); }

  /// Runs `sql` (one statement); on error adds a test failure and returns false.
  bool exec(const std::string& sql);
  /// Runs `sql` without touching the test result; the failure says why.
  ::testing::AssertionResult tryExec(const std::string& sql);
  /// Rows of `sql`; empty plus a test failure on error.
  std::vector<MyRow> query(const std::string& sql);
  /// The first column of the first row; nullopt for NULL or no row.
  std::optional<std::string> scalar(const std::string& sql);

 private:
  MysqlPtr conn_;
  std::string error_;
};

/// How a MariaDbServer starts mariadbd.
struct MariaDbOptions {
  bool log_bin = true;
  std::string binlog_format = "ROW";
  std::string binlog_row_image = "FULL";
  std::string binlog_row_metadata = "FULL";
  /// Extra `key=value` lines of my.cnf's [mariadbd] section.
  std::vector<std::pair<std::string, std::string>> settings;
  std::chrono::seconds start_timeout{60};
};

/// A real MariaDB 10.11 server in its own temp dir on a free loopback port,
/// run as root (`user=root`), with root reachable over TCP without a
/// password. The port is kept across restart(). The destructor kills the
/// server and removes the dir. Drive it from one thread; exec()/query() share
/// one session, other threads open their own MyConnection.
class MariaDbServer {
 public:
  explicit MariaDbServer(MariaDbOptions options = {});
  ~MariaDbServer();
  MariaDbServer(const MariaDbServer&) = delete;
  MariaDbServer& operator=(const MariaDbServer&) = delete;

  /// mariadb-install-db on the first call, then starts and waits until it answers.
  ::testing::AssertionResult start();
  /// A clean shutdown (SIGTERM, waiting for the process to end).
  ::testing::AssertionResult stop();
  /// SIGKILL, for crash tests.
  ::testing::AssertionResult kill();
  ::testing::AssertionResult restart();
  bool running() const { return pid_ > 0; }

  uint16_t port() const { return port_; }
  const std::string& host() const { return host_; }
  const std::filesystem::path& dir() const { return dir_.path(); }
  /// A new root session to `database`; check ok().
  MyConnection connect(const std::string& database = "", const std::string& user = "root",
                       const std::string& password = "") const {
    return MyConnection(host_, port_, user, password, database);
  }

  bool exec(const std::string& sql);
  std::vector<MyRow> query(const std::string& sql);
  std::optional<std::string> scalar(const std::string& sql);

  std::string log() const;
  void printLogIfFailed() const;

 private:
  ::testing::AssertionResult installDb();
  ::testing::AssertionResult startOnce(uint16_t port, bool& port_taken);
  MyConnection& admin();

  MariaDbOptions options_;
  TempDir dir_;
  std::filesystem::path cnf_;
  std::filesystem::path log_path_;
  std::string host_ = "127.0.0.1";
  uint16_t port_ = 0;
  bool installed_ = false;
  pid_t pid_ = -1;
  MyConnection admin_;
};

}  // namespace streamhost::testing
