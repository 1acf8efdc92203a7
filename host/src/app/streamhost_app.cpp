#include "app/streamhost_app.h"

#include <Poco/Logger.h>

#include <csignal>
#include <cerrno>

#include "app/daemon.h"
#include "app/systemd_notify.h"
#include "app/version.h"

namespace streamhost::app {
namespace {

sigset_t serviceSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGQUIT);
  return set;
}

/// SIGHUP: re-read the file (with the same environment and flags, which still
/// win over it) and apply what can change live.
void reload(Daemon& daemon, const CommandLine& cl, const SystemdNotifier& notify, Poco::Logger& log) {
  notify.reloading("reloading the configuration");
  log.information("SIGHUP: re-reading the configuration%s",
                  cl.config_path.empty() ? std::string() : " from " + cl.config_path.string());
  std::string result;
  auto next = loadEffectiveConfig(cl);
  if (!next) {
    result = "reload refused, the running configuration stays: " + next.status().message();
    log.error("%s", result);
  } else {
    Daemon::ReloadOutcome out = daemon.reload(*next);
    if (!out.status) {
      result = "reload refused, the running configuration stays: " + out.status.message();
      log.error("%s", result);
    } else {
      std::vector<ConfigChange> live;
      std::vector<ConfigChange> later;
      for (const auto& c : out.changes) {
        (c.live ? live : later).push_back(c);
      }
      if (!out.tls.empty()) {
        log.information("reload: TLS certificate re-read: %s", out.tls);
      }
      if (!live.empty()) {
        log.information("reload applied: %s", describeChanges(live));
      }
      if (!later.empty()) {
        log.warning("reload: these changes need a restart and are not in force yet: %s", describeChanges(later));
      }
      if (live.empty() && later.empty()) {
        log.information("reload: the configuration is unchanged");
      }
      result = "reloaded: " + std::to_string(live.size()) + " changes applied, " + std::to_string(later.size()) +
               " waiting for a restart";
    }
  }
  notify.ready(result + "; " + daemon.statusLine());
}

}  // namespace

void blockServiceSignals() {
  sigset_t set = serviceSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int StreamhostApp::main(const std::vector<std::string>& /*args*/) {
  Poco::Logger& log = Poco::Logger::get("streamhost.app");
  SystemdNotifier notify = SystemdNotifier::fromEnvironment();
  auto daemon = Daemon::create(config_);
  if (!daemon) {
    log.fatal("cannot start: %s", daemon.status().message());
    notify.status("cannot start: " + daemon.status().message());
    return EXIT_CONFIG;
  }
  Status s = (*daemon)->start();
  if (!s) {
    log.fatal("cannot start: %s", s.message());
    notify.status("cannot start: " + s.message());
    return EXIT_UNAVAILABLE;
  }
  // The listener is up, plugins are loaded and streams resumed: systemctl
  // start returns now, and the API answers.
  log.information("streamhostd %s ready", std::string(version()));
  std::string status = (*daemon)->statusLine();
  notify.ready(status);

  // Wake up for the watchdog at half its interval, else every 5 s to refresh STATUS=.
  auto tick = std::chrono::microseconds(5000000);
  if (notify.watchdogInterval().count() > 0) {
    tick = std::min(tick, notify.watchdogInterval() / 2);
    log.information("systemd watchdog every %s ms", std::to_string(notify.watchdogInterval().count() / 1000));
  }
  sigset_t set = serviceSignals();
  while (true) {
    timespec timeout{};
    timeout.tv_sec = static_cast<time_t>(tick.count() / 1000000);
    timeout.tv_nsec = static_cast<long>(tick.count() % 1000000) * 1000;
    int sig = sigtimedwait(&set, nullptr, &timeout);
    if (sig == SIGHUP) {
      reload(**daemon, command_line_, notify, log);
      status.clear();
      continue;
    }
    if (sig > 0) {
      log.information("%s: shutting down", std::string(strsignal(sig)));
      break;
    }
    if (sig < 0 && errno != EAGAIN && errno != EINTR) {
      log.error("sigtimedwait failed: %s; shutting down", std::string(strerror(errno)));
      break;
    }
    if (!notify.active()) {
      continue;
    }
    // A store that does not answer (a stuck lock, a dead disk) stops the
    // pings, and systemd restarts the service after WatchdogSec.
    if (notify.watchdogInterval().count() > 0) {
      if (Status h = (*daemon)->healthCheck(); h) {
        notify.watchdog();
      } else {
        log.error("watchdog not fed: the store does not answer: %s", h.message());
      }
    }
    std::string now = (*daemon)->statusLine();
    if (now != status) {
      notify.status(now);
      status = now;
    }
  }
  notify.stopping("stopping: committing in-flight batches");
  (*daemon)->stop();
  log.information("stopped");
  return EXIT_OK;
}

}  // namespace streamhost::app
