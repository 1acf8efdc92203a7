#include "plugins/plugin_loader.h"

#include <Poco/Logger.h>

#include <boost/dll/shared_library.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <system_error>
#include <vector>

#include "plugins/descriptor_reader.h"
#include "plugins/host_api.h"

namespace streamhost::plugins {
namespace {

namespace fs = std::filesystem;

Poco::Logger& logger() { return Poco::Logger::get("streamhost.plugins"); }

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) {
    out += (out.empty() ? "" : ",") + i;
  }
  return out;
}

PluginReportEntry refusal(const fs::path& file, const std::string& reason) {
  logger().error("plugin refused file=" + file.string() + " reason=\"" + reason + "\"");
  PluginReportEntry e;
  e.file = file.string();
  e.reason = reason;
  return e;
}

PluginReportEntry loadedEntry(const fs::path& file, const LoadedPlugin& p) {
  PluginReportEntry e;
  e.file = file.string();
  e.loaded = true;
  e.name = p.name();
  e.version = p.version();
  e.abi_version = p.abiVersionString();
  for (const auto& t : p.sourceTypes()) {
    e.source_types.push_back(t.name);
  }
  for (const auto& t : p.connectionTypes()) {
    e.connection_types.push_back(t.name);
  }
  logger().information("plugin loaded file=" + e.file + " name=" + e.name + " version=" + e.version +
                       " abi=" + e.abi_version + " source_types=" + joined(e.source_types));
  return e;
}

std::string octalMode(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

/// Why `path` may not hold code the daemon runs: writable by every user, or
/// owned by someone other than root and the daemon's own user. nullopt: fine.
std::optional<std::string> unsafeOwnership(const fs::path& path, const char* what) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return std::string(what) + " " + path.string() + " cannot be checked: " + std::strerror(errno);
  }
  if ((st.st_mode & S_IWOTH) != 0) {
    return std::string(what) + " " + path.string() + " is writable by every user (mode " + octalMode(st.st_mode) +
           "), so anyone could replace the code this daemon runs; remove that with chmod o-w";
  }
  if (st.st_uid != 0 && st.st_uid != ::geteuid()) {
    return std::string(what) + " " + path.string() + " is owned by uid " + std::to_string(st.st_uid) +
           ", neither root nor the daemon's user (uid " + std::to_string(::geteuid()) +
           "), who could replace the code this daemon runs; chown it";
  }
  return std::nullopt;
}

bool isInside(const fs::path& file, const fs::path& dir) {
  auto [d, f] = std::mismatch(dir.begin(), dir.end(), file.begin(), file.end());
  return d == dir.end() && f != file.end();
}

}  // namespace

Result<fs::path> PluginLoader::resolveInside(const fs::path& file) const {
  std::error_code ec;
  fs::path dir = fs::canonical(dir_, ec);
  if (ec) {
    return invalidArgument("plugin directory " + dir_.string() + " cannot be resolved: " + ec.message());
  }
  fs::path real = fs::canonical(file, ec);
  if (ec) {
    return invalidArgument("cannot be resolved: " + ec.message());
  }
  if (!isInside(real, dir)) {
    return Status(StatusCode::kPermissionDenied,
                  "resolves to " + real.string() + ", outside the plugin directory " + dir.string());
  }
  if (!fs::is_regular_file(real, ec)) {
    return invalidArgument("is not a regular file");
  }
  if (auto unsafe = unsafeOwnership(real, "the plugin file")) {
    return Status(StatusCode::kPermissionDenied, *unsafe);
  }
  return real;
}

Result<LoadedPluginPtr> PluginLoader::loadFile(const fs::path& file) const {
  auto real = resolveInside(file);
  if (!real) {
    return real.status();
  }
  auto lib = std::make_shared<boost::dll::shared_library>();
  try {
    lib->load(*real, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  } catch (const std::exception& e) {
    return invalidArgument(std::string("cannot be loaded: ") + e.what());
  }
  if (!lib->has(SH_PLUGIN_ENTRY_SYMBOL)) {
    return invalidArgument("has no entry symbol " SH_PLUGIN_ENTRY_SYMBOL);
  }
  auto entry = lib->get<sh_status_t(uint32_t, const sh_host_api_t*, const sh_plugin_t**, char*, size_t)>(
      SH_PLUGIN_ENTRY_SYMBOL);
  const sh_plugin_t* raw = nullptr;
  char errbuf[1024] = {0};
  sh_status_t st = entry(host_abi_version_, hostApi(host_abi_version_), &raw, errbuf, sizeof(errbuf));
  errbuf[sizeof(errbuf) - 1] = '\0';
  if (st != SH_OK) {
    return Status::fromAbi(st, std::string("entry returned ") + sh_status_name(st) + ": " + errbuf);
  }
  auto desc = readDescriptor(raw, host_abi_version_);
  if (!desc) {
    // The entry may have set up plugin-wide state; let the plugin free it.
    if (SH_HAS_FIELD(raw, sh_plugin_t, shutdown) && raw->shutdown != nullptr) {
      raw->shutdown(raw->opaque);
    }
    return desc.status();
  }
  return LoadedPluginPtr(std::make_shared<const LoadedPlugin>(
      std::shared_ptr<void>(lib), real->string(), std::move(desc->name), std::move(desc->version),
      std::move(desc->description), desc->abi_version, std::move(desc->source_types),
      std::move(desc->connection_types), desc->opaque, desc->shutdown, hostApi(host_abi_version_)));
}

PluginReport PluginLoader::loadAll(PluginRegistry& registry) const {
  PluginReport report;
  report.dir = dir_.string();
  std::vector<fs::path> files;
  std::error_code ec;
  fs::path real_dir = fs::canonical(dir_, ec);
  if (!ec) {
    if (auto unsafe = unsafeOwnership(real_dir, "plugin directory")) {
      report.error = "refusing to load plugins: " + *unsafe;
      logger().error("plugin directory refused dir=" + dir_.string() + " reason=\"" + *unsafe + "\"");
      return report;
    }
  }
  ec.clear();
  for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() == ".so") {
      files.push_back(it->path());
    }
  }
  if (ec) {
    report.error = "cannot read plugin directory " + dir_.string() + ": " + ec.message();
    logger().error("plugin directory unreadable dir=" + dir_.string() + " error=\"" + ec.message() + "\"");
    return report;
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    auto plugin = loadFile(file);
    if (!plugin) {
      report.entries.push_back(refusal(file, plugin.status().message()));
      continue;
    }
    if (Status st = registry.add(*plugin); !st) {
      report.entries.push_back(refusal(file, st.message()));
      continue;
    }
    report.entries.push_back(loadedEntry(file, **plugin));
  }
  return report;
}

}  // namespace streamhost::plugins
