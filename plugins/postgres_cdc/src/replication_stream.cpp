#include "replication_stream.h"

#include <poll.h>

#include <streamhost/plugin_sdk.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>

namespace streamhost::pgcdc {
namespace {

void putU64(char* p, uint64_t v) {
  for (int i = 7; i >= 0; --i) {
    p[i] = static_cast<char>(v & 0xFF);
    v >>= 8;
  }
}

}  // namespace

ReplicationStream::~ReplicationStream() { release(); }

void ReplicationStream::release() {
  if (buf_ != nullptr) {
    PQfreemem(buf_);
    buf_ = nullptr;
  }
}

std::string_view ReplicationStream::next(int timeout_ms, int wake_fd) {
  release();
  PGconn* c = conn_.raw();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  bool consumed = false;
  while (true) {
    int n = PQgetCopyData(c, &buf_, 1);
    if (n > 0) {
      return std::string_view(buf_, static_cast<size_t>(n));
    }
    if (n == -1) {
      // The server ended COPY: its reason is in the result that follows.
      PgResultPtr r(PQgetResult(c));
      if (r && PQresultStatus(r.get()) == PGRES_FATAL_ERROR) {
        conn_.raise(r.get(), "replication");
      }
      throw sdk::Error(SH_ERR_TRANSIENT, "the server ended the replication stream");
    }
    if (n == -2) {
      conn_.raise(nullptr, "replication");
    }
    // Over TLS, OpenSSL may already hold decrypted bytes the socket no longer
    // shows; read those before waiting on it.
    if (PQsslInUse(c) != 0 && !consumed) {
      consumed = true;
      if (PQconsumeInput(c) == 0) {
        conn_.raise(nullptr, "replication");
      }
      continue;
    }
    consumed = false;
    // With no time left this still takes what the socket holds, so a batch is
    // not cut at whatever one read happened to bring in.
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd fds[2] = {{PQsocket(c), POLLIN, 0}, {wake_fd, POLLIN, 0}};
    int ready = ::poll(fds, wake_fd >= 0 ? 2 : 1, static_cast<int>(std::max<int64_t>(0, left.count())));
    if (ready < 0 && errno != EINTR) {
      throw sdk::Error(SH_ERR_TRANSIENT, "waiting on the replication connection failed");
    }
    if (ready == 0 || (wake_fd >= 0 && (fds[1].revents & POLLIN) != 0)) {
      return {};
    }
    if ((fds[0].revents & (POLLIN | POLLERR | POLLHUP)) != 0 && PQconsumeInput(c) == 0) {
      conn_.raise(nullptr, "replication");
    }
  }
}

void ReplicationStream::sendStatus(Lsn flushed, bool reply_requested, int64_t now_unix_ms) {
  char msg[34];
  msg[0] = 'r';
  putU64(msg + 1, flushed);   // written
  putU64(msg + 9, flushed);   // flushed: what the slot may forget
  putU64(msg + 17, flushed);  // applied
  putU64(msg + 25, static_cast<uint64_t>(now_unix_ms * 1000 - kPgEpochOffsetMicros));
  msg[33] = reply_requested ? 1 : 0;
  if (PQputCopyData(conn_.raw(), msg, sizeof msg) != 1 || PQflush(conn_.raw()) != 0) {
    conn_.raise(nullptr, "sending the standby status");
  }
}

void ReplicationStream::finish() {
  release();
  PQputCopyEnd(conn_.raw(), nullptr);
  PQflush(conn_.raw());
}

}  // namespace streamhost::pgcdc
