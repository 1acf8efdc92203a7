#pragma once

#include <libpq-fe.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cdc_config.h"

namespace streamhost::pgcdc {

struct PgConnCloser {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct PgResultClearer {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResultPtr = std::unique_ptr<PGresult, PgResultClearer>;

/// One libpq connection, regular or `replication=database`, with the session
/// settings the value codec expects (UTC, ISO dates, hex bytea, UTF-8).
/// Failures throw sdk::Error: transient for network trouble and server
/// restarts, fatal with a sentence saying what to fix for everything else.
class PgConn {
 public:
  enum class Mode { kRegular, kReplication };

  /// Connects; throws sdk::Error.
  PgConn(const ConnSettings& settings, Mode mode);

  PGconn* raw() const { return conn_.get(); }
  bool ok() const { return conn_ && PQstatus(conn_.get()) == CONNECTION_OK; }

  /// Runs a statement; throws sdk::Error (with `what` in the message) unless it succeeds.
  PgResultPtr exec(const std::string& sql, std::string_view what);
  /// Like exec with $1.. text parameters.
  PgResultPtr execParams(const std::string& sql, const std::vector<std::string>& params, std::string_view what);
  /// First column of the first row, nullopt for no row or NULL.
  std::optional<std::string> scalar(const std::string& sql, const std::vector<std::string>& params,
                                    std::string_view what);

  /// Starts `COPY ... TO STDOUT`; throws unless the server began sending rows.
  void copyOut(const std::string& sql, std::string_view what);
  /// The next row of the running COPY TO STDOUT, valid until the next call;
  /// nullopt once the COPY has ended well. A failure throws.
  std::optional<std::string_view> copyRow(std::string_view what);
  /// Whether a COPY TO STDOUT is running (the connection takes no other command).
  bool copying() const { return copying_; }

  /// Throws the sdk::Error a failed result (or a broken connection) stands for.
  [[noreturn]] void raise(const PGresult* result, std::string_view what) const;

  const ConnSettings& settings() const { return settings_; }
  /// "TLS: TLSv1.3 <cipher> (sslmode=require)" or "TLS: off (sslmode=disable)".
  std::string tlsDescription() const;

 private:
  ConnSettings settings_;
  std::unique_ptr<PGconn, PgConnCloser> conn_;
  struct CopyBufferFree {
    void operator()(char* p) const { PQfreemem(p); }
  };
  std::unique_ptr<char, CopyBufferFree> copy_row_;
  bool copying_ = false;
};

/// The SQLSTATE of a result ("" when none).
std::string sqlState(const PGresult* result);
/// libpq's message without the trailing newline and the "ERROR:  " prefix.
std::string cleanMessage(std::string_view message);

}  // namespace streamhost::pgcdc
