#pragma once

#include <cstdint>
#include <filesystem>

#include "common/status.h"

namespace streamhost::app {

/// The release, e.g. "0.1.0" (CMake's STREAMHOST_VERSION). Only version.cpp
/// sees the definition, so a version bump recompiles one file.
const char* version();

/// The newest store schema this build opens (older ones it migrates).
int64_t storeSchemaVersion();

/// The file in the data dir that records the store's schema version in plain
/// text, written each time this build has opened (and so migrated) the store.
/// The deb's preinst and the rpm's %pre read it to refuse a downgrade to a
/// build that could not open the store.
constexpr const char* kStoreSchemaFile = "store-schema-version";
Status writeStoreSchemaMarker(const std::filesystem::path& data_dir);

}  // namespace streamhost::app
