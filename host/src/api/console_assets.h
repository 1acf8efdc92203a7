#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "common/status.h"

namespace streamhost::api {

/// One file of the console, held in memory with its gzip form.
struct ConsoleAsset {
  std::string content_type;
  std::string body;
  std::string gzip;  ///< empty when compressing does not pay
  std::string etag;  ///< quoted, from the content's SHA-256
};

/// The console's static files, read once at start from a directory. Requests
/// are answered only from this map, so no request path ever reaches the file
/// system: a path that is not a key here does not exist, whatever it holds.
class ConsoleAssets {
 public:
  /// Reads every regular file under `dir` whose extension has a known content
  /// type; hidden names and symbolic links are skipped. Needs `index.html`.
  static Result<std::shared_ptr<const ConsoleAssets>> load(const std::filesystem::path& dir);

  /// The file at `relative` ("index.html", "vendor/uPlot.esm.js"); null when none.
  const ConsoleAsset* find(const std::string& relative) const;
  size_t size() const { return files_.size(); }
  /// Sum of the gzip forms (or plain bodies when not compressed).
  int64_t compressedBytes() const;

  /// "text/javascript; charset=utf-8" for "app.js"; empty for an unknown extension.
  static std::string contentTypeFor(const std::string& name);

 private:
  std::map<std::string, ConsoleAsset> files_;
};

using ConsoleAssetsPtr = std::shared_ptr<const ConsoleAssets>;

}  // namespace streamhost::api
