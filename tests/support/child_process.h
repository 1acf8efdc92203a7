#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace streamhost::testing {

/// The whole text of `path` ("" when it cannot be read).
std::string readFile(const std::filesystem::path& path);
/// The last `n` characters of `text`, led by "..." when cut.
std::string tail(const std::string& text, size_t n);

struct SpawnOptions {
  std::filesystem::path cwd;       ///< empty: the test's own
  bool own_process_group = false;  ///< so a test's Ctrl-C does not reach the child before the test's cleanup does
};

/// Starts `args` (args[0] an absolute path) with stdout and stderr appended
/// to `out_path`; returns the pid, or -1 when it could not start.
pid_t spawnLogged(const std::vector<std::string>& args, const std::filesystem::path& out_path,
                  const SpawnOptions& options = {});

/// Waits for `pid` to exit, at most `timeout` (none: as long as it takes).
/// Returns its exit status; -1 when it was signalled or cannot be waited for;
/// -2 when the timeout passed first.
int waitExit(pid_t pid, std::optional<std::chrono::milliseconds> timeout = std::nullopt);

}  // namespace streamhost::testing
