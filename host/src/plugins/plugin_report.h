#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace streamhost::plugins {

/// What happened to one file of the plugin directory.
struct PluginReportEntry {
  std::string file;
  bool loaded = false;
  std::string name;         ///< empty when refused before the descriptor was read
  std::string version;
  std::string abi_version;  ///< "major.minor", empty when unknown
  std::vector<std::string> source_types;
  std::vector<std::string> connection_types;
  std::string reason;       ///< why it was refused; empty when loaded
};

/// The outcome of loading a plugin directory, for `--list-plugins` and
/// `GET /api/plugins`.
struct PluginReport {
  std::string dir;
  std::vector<PluginReportEntry> entries;
  std::string error;  ///< set when the directory itself could not be read

  size_t loadedCount() const;
  size_t refusedCount() const;
  /// Human-readable lines, one per file.
  std::string toText() const;
  /// JSON object {"dir","error","plugins":[...]}.
  std::string toJson() const;
};

}  // namespace streamhost::plugins
