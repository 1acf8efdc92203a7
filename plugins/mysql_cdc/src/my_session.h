#pragma once

#include <mysql.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mysql_config.h"

namespace streamhost::mycdc {

using SqlRow = std::vector<std::optional<std::string>>;

/// One client session (RAII over MYSQL) with the connection's TLS settings.
/// Errors become sdk::Error: lost connections and server shutdowns are
/// SH_ERR_TRANSIENT (retried), refused logins and missing grants SH_ERR_FATAL.
class MySession {
 public:
  /// Connects; `what` names the purpose in error messages.
  MySession(const ConnSettings& settings, const std::string& what);
  ~MySession();
  MySession(const MySession&) = delete;
  MySession& operator=(const MySession&) = delete;

  MYSQL* raw() const { return conn_; }
  const ConnSettings& settings() const { return settings_; }
  /// The server's version string, e.g. "10.11.6-MariaDB-0+deb12u1-log".
  std::string serverVersion() const;
  bool isMariaDb() const;

  void exec(const std::string& sql, const std::string& what);
  std::vector<SqlRow> query(const std::string& sql, const std::string& what);
  /// First column of the first row; nullopt for no row or NULL.
  std::optional<std::string> scalar(const std::string& sql, const std::string& what);
  /// SHOW VARIABLES-style lookup of a global variable; nullopt when the server has none.
  std::optional<std::string> variable(const std::string& name);

  /// Throws the sdk::Error for the session's last error.
  [[noreturn]] void raise(const std::string& what) const;

 private:
  ConnSettings settings_;
  MYSQL* conn_ = nullptr;
  std::string ca_path_;
};

/// Whether a client or server error number means "try again later".
bool isTransientError(unsigned int code);

}  // namespace streamhost::mycdc
