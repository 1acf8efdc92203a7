#include "my_session.h"

#include <errmsg.h>
#include <unistd.h>

#include <streamhost/plugin_sdk.hpp>

#include <cstdio>
#include <cstdlib>

namespace streamhost::mycdc {

bool isTransientError(unsigned int code) {
  // Client errors (lost connection, cannot connect), server shutdown, killed
  // connection, too many connections, lock waits and deadlocks.
  return (code >= 2000 && code < 3000) || code == 1053 || code == 1927 || code == 1040 || code == 1205 ||
         code == 1213 || code == 1317 || code == 1159 || code == 1161;
}

MySession::MySession(const ConnSettings& settings, const std::string& what) : settings_(settings) {
  conn_ = mysql_init(nullptr);
  if (conn_ == nullptr) {
    throw sdk::Error(SH_ERR_INTERNAL, "mysql_init failed (out of memory)");
  }
  unsigned int timeout = 10;
  mysql_optionsv(conn_, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
  mysql_optionsv(conn_, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  if (settings_.ssl_mode != SslMode::kDisabled) {
    if (!settings_.ssl_ca_pem.empty()) {
      char path[] = "/tmp/streamhost-ca-XXXXXX";
      int fd = ::mkstemp(path);
      if (fd < 0 || ::write(fd, settings_.ssl_ca_pem.data(), settings_.ssl_ca_pem.size()) !=
                        static_cast<ssize_t>(settings_.ssl_ca_pem.size())) {
        if (fd >= 0) {
          ::close(fd);
        }
        throw sdk::Error(SH_ERR_TRANSIENT, "cannot write the CA certificate to a temp file");
      }
      ::close(fd);
      ca_path_ = path;
    }
    mysql_ssl_set(conn_, nullptr, nullptr, ca_path_.empty() ? nullptr : ca_path_.c_str(), nullptr, nullptr);
    my_bool on = 1;
    if (settings_.ssl_mode != SslMode::kPreferred) {
      mysql_optionsv(conn_, MYSQL_OPT_SSL_ENFORCE, &on);
    }
    if (settings_.ssl_mode == SslMode::kVerifyCa || settings_.ssl_mode == SslMode::kVerifyIdentity) {
      mysql_optionsv(conn_, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &on);
    }
  }
  if (mysql_real_connect(conn_, settings_.host.c_str(), settings_.user.c_str(), settings_.password.c_str(), nullptr,
                         static_cast<unsigned int>(settings_.port), nullptr, CLIENT_MULTI_RESULTS) == nullptr) {
    unsigned int code = mysql_errno(conn_);
    std::string msg = "cannot connect to " + settings_.describe() + " for " + what + ": " + mysql_error(conn_);
    mysql_close(conn_);
    conn_ = nullptr;
    if (!ca_path_.empty()) {
      ::unlink(ca_path_.c_str());
    }
    throw sdk::Error(code == 1045 || code == 1044 ? SH_ERR_FATAL : SH_ERR_TRANSIENT, msg);
  }
}

MySession::~MySession() {
  if (conn_ != nullptr) {
    mysql_close(conn_);
  }
  if (!ca_path_.empty()) {
    ::unlink(ca_path_.c_str());
  }
}

std::string MySession::serverVersion() const { return mysql_get_server_info(conn_); }

bool MySession::isMariaDb() const { return serverVersion().find("MariaDB") != std::string::npos; }

void MySession::raise(const std::string& what) const {
  unsigned int code = mysql_errno(conn_);
  std::string msg = what + " failed on " + settings_.describe() + ": " + mysql_error(conn_) + " (error " +
                    std::to_string(code) + ")";
  throw sdk::Error(isTransientError(code) ? SH_ERR_TRANSIENT : SH_ERR_FATAL, msg);
}

void MySession::exec(const std::string& sql, const std::string& what) {
  if (mysql_real_query(conn_, sql.data(), sql.size()) != 0) {
    raise(what);
  }
  do {
    if (MYSQL_RES* r = mysql_store_result(conn_)) {
      mysql_free_result(r);
    }
  } while (mysql_next_result(conn_) == 0);
}

std::vector<SqlRow> MySession::query(const std::string& sql, const std::string& what) {
  if (mysql_real_query(conn_, sql.data(), sql.size()) != 0) {
    raise(what);
  }
  std::vector<SqlRow> rows;
  MYSQL_RES* r = mysql_store_result(conn_);
  if (r == nullptr) {
    if (mysql_errno(conn_) != 0) {
      raise(what);
    }
    return rows;
  }
  unsigned int cols = mysql_num_fields(r);
  while (MYSQL_ROW row = mysql_fetch_row(r)) {
    unsigned long* lengths = mysql_fetch_lengths(r);
    SqlRow out;
    out.reserve(cols);
    for (unsigned int c = 0; c < cols; ++c) {
      out.push_back(row[c] ? std::optional<std::string>(std::string(row[c], lengths[c])) : std::nullopt);
    }
    rows.push_back(std::move(out));
  }
  mysql_free_result(r);
  return rows;
}

std::optional<std::string> MySession::scalar(const std::string& sql, const std::string& what) {
  auto rows = query(sql, what);
  if (rows.empty() || rows[0].empty()) {
    return std::nullopt;
  }
  return rows[0][0];
}

std::optional<std::string> MySession::variable(const std::string& name) {
  auto rows = query("SHOW GLOBAL VARIABLES LIKE " + quoteLiteral(name), "reading " + name);
  if (rows.empty() || rows[0].size() < 2) {
    return std::nullopt;
  }
  return rows[0][1];
}

}  // namespace streamhost::mycdc
