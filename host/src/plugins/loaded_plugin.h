#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "plugins/plugin_types.h"

namespace streamhost::plugins {

/// Everything the host copied out of one validated plugin, plus the library
/// itself. The library is unloaded when the last LoadedPlugin reference goes,
/// so instances hold a std::shared_ptr to it.
class LoadedPlugin {
 public:
  /// @param library type-erased owner of the boost::dll::shared_library.
  LoadedPlugin(std::shared_ptr<void> library, std::string file, std::string name, std::string version,
               std::string description, uint32_t abi_version, std::vector<SourceTypeDesc> source_types,
               std::vector<ConnectionTypeDesc> connection_types, void* opaque = nullptr,
               void (*shutdown)(void*) = nullptr, const sh_host_api_t* host_api = nullptr)
      : library_(std::move(library)),
        file_(std::move(file)),
        name_(std::move(name)),
        version_(std::move(version)),
        description_(std::move(description)),
        abi_version_(abi_version),
        source_types_(std::move(source_types)),
        connection_types_(std::move(connection_types)),
        opaque_(opaque),
        shutdown_(shutdown),
        host_api_(host_api) {}
  /// Calls the plugin's shutdown (ABI 1.1) while the library is still loaded.
  ~LoadedPlugin();

  LoadedPlugin(const LoadedPlugin&) = delete;
  LoadedPlugin& operator=(const LoadedPlugin&) = delete;

  /// Canonical path of the .so.
  const std::string& file() const { return file_; }
  const std::string& name() const { return name_; }
  const std::string& version() const { return version_; }
  const std::string& description() const { return description_; }
  /// The oldest ABI the plugin requires (what it declared).
  uint32_t abiVersion() const { return abi_version_; }
  /// The plugin-wide pointer it set at entry (ABI 1.1), or null.
  void* opaque() const { return opaque_; }
  /// The host table its entry was given (null: the current one).
  const sh_host_api_t* hostApi() const { return host_api_; }
  /// "major.minor" of abiVersion().
  std::string abiVersionString() const;
  const std::vector<SourceTypeDesc>& sourceTypes() const { return source_types_; }
  const std::vector<ConnectionTypeDesc>& connectionTypes() const { return connection_types_; }

 private:
  // Declared first so it is destroyed last, after the copied descriptors.
  std::shared_ptr<void> library_;
  std::string file_;
  std::string name_;
  std::string version_;
  std::string description_;
  uint32_t abi_version_;
  std::vector<SourceTypeDesc> source_types_;
  std::vector<ConnectionTypeDesc> connection_types_;
  void* opaque_;
  void (*shutdown_)(void*);
  const sh_host_api_t* host_api_;
};

using LoadedPluginPtr = std::shared_ptr<const LoadedPlugin>;

/// "major.minor" of a packed ABI version.
std::string abiVersionString(uint32_t version);

}  // namespace streamhost::plugins
