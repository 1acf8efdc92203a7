#pragma once

#include <chrono>
#include <string>

namespace streamhost::app {

/// systemd's service notification protocol (sd_notify(3)), spoken directly:
/// one datagram of newline-separated VARIABLE=value lines, sent to the
/// AF_UNIX socket that NOTIFY_SOCKET names (a path, or "@name" for the
/// abstract namespace). The protocol is small and stable, so this avoids
/// linking libsystemd into the daemon. Inactive (every call a no-op) when
/// the daemon does not run under a Type=notify unit.
class SystemdNotifier {
 public:
  /// Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID and removes them from
  /// the environment so nothing this process starts inherits them.
  static SystemdNotifier fromEnvironment();
  SystemdNotifier() = default;
  SystemdNotifier(std::string socket, std::chrono::microseconds watchdog)
      : socket_(std::move(socket)), watchdog_(watchdog) {}

  bool active() const { return !socket_.empty(); }
  /// WatchdogSec of the unit, zero when the watchdog is off.
  std::chrono::microseconds watchdogInterval() const { return watchdog_; }

  /// Sends `message` as one datagram; false when inactive or the send failed.
  bool send(const std::string& message) const;

  bool ready(const std::string& status) const;      ///< READY=1, STATUS=, MAINPID=
  bool reloading(const std::string& status) const;  ///< RELOADING=1, MONOTONIC_USEC=, STATUS=
  bool stopping(const std::string& status) const;   ///< STOPPING=1, STATUS=
  bool status(const std::string& status) const;     ///< STATUS=
  bool watchdog() const;                            ///< WATCHDOG=1

 private:
  std::string socket_;
  std::chrono::microseconds watchdog_{0};
};

}  // namespace streamhost::app
