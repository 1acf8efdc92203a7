#include "api/console_assets.h"

#include <Poco/DeflatingStream.h>

#include <fstream>
#include <sstream>
#include <system_error>

#include "common/crypto.h"

namespace streamhost::api {
namespace {

// The console is a few hundred KiB; anything far larger in the directory is a mistake.
constexpr int64_t kMaxFileBytes = 8 << 20;
constexpr int64_t kMaxTotalBytes = 32 << 20;

std::string gzipOf(const std::string& body) {
  std::ostringstream out;
  Poco::DeflatingOutputStream z(out, Poco::DeflatingStreamBuf::STREAM_GZIP, 9);
  z.write(body.data(), static_cast<std::streamsize>(body.size()));
  z.close();
  return out.str();
}

bool hiddenOrOdd(const std::filesystem::path& relative) {
  for (const auto& part : relative) {
    std::string s = part.string();
    if (s.empty() || s.front() == '.') {
      return true;
    }
  }
  return false;
}

}  // namespace

std::string ConsoleAssets::contentTypeFor(const std::string& name) {
  static const std::map<std::string, std::string> kTypes = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"},
  };
  auto dot = name.rfind('.');
  if (dot == std::string::npos || name.find('/', dot) != std::string::npos) {
    return "";
  }
  auto it = kTypes.find(name.substr(dot));
  return it == kTypes.end() ? std::string() : it->second;
}

Result<ConsoleAssetsPtr> ConsoleAssets::load(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return Status(StatusCode::kNotFound, "console assets directory " + dir.string() + " does not exist",
                  "console.assets_dir");
  }
  auto assets = std::make_shared<ConsoleAssets>();
  int64_t total = 0;
  std::filesystem::recursive_directory_iterator it(dir, std::filesystem::directory_options::none, ec);
  for (; !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    const auto& entry = *it;
    std::filesystem::path relative = entry.path().lexically_relative(dir);
    auto st = entry.symlink_status(ec);
    if (ec) {
      break;
    }
    if (hiddenOrOdd(relative) || std::filesystem::is_symlink(st)) {
      if (std::filesystem::is_directory(st)) {
        it.disable_recursion_pending();
      }
      continue;
    }
    if (!std::filesystem::is_regular_file(st)) {
      continue;
    }
    std::string name = relative.generic_string();
    std::string type = contentTypeFor(name);
    if (type.empty()) {
      continue;
    }
    auto bytes = static_cast<int64_t>(entry.file_size(ec));
    if (ec || bytes > kMaxFileBytes || total + bytes > kMaxTotalBytes) {
      return Status(StatusCode::kInvalidConfig,
                    "console asset " + entry.path().string() + " cannot be read or is too large", "console.assets_dir");
    }
    std::ifstream in(entry.path(), std::ios::binary);
    std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) {
      return Status(StatusCode::kInvalidConfig, "cannot read console asset " + entry.path().string(),
                    "console.assets_dir");
    }
    total += bytes;
    ConsoleAsset a;
    a.content_type = type;
    a.etag = "\"" + crypto::sha256Hex(body).substr(0, 32) + "\"";
    std::string z = gzipOf(body);
    if (z.size() + 64 < body.size()) {
      a.gzip = std::move(z);
    }
    a.body = std::move(body);
    assets->files_.emplace(std::move(name), std::move(a));
  }
  if (ec) {
    return Status(StatusCode::kInvalidConfig, "cannot list console assets in " + dir.string() + ": " + ec.message(),
                  "console.assets_dir");
  }
  if (assets->files_.count("index.html") == 0) {
    return Status(StatusCode::kNotFound, "console assets directory " + dir.string() + " has no index.html",
                  "console.assets_dir");
  }
  return ConsoleAssetsPtr(std::move(assets));
}

const ConsoleAsset* ConsoleAssets::find(const std::string& relative) const {
  auto it = files_.find(relative);
  return it == files_.end() ? nullptr : &it->second;
}

int64_t ConsoleAssets::compressedBytes() const {
  int64_t n = 0;
  for (const auto& [name, a] : files_) {
    n += static_cast<int64_t>(a.gzip.empty() ? a.body.size() : a.gzip.size());
  }
  return n;
}

}  // namespace streamhost::api
