#include "support/power_cut.h"

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <sstream>
#include <vector>

namespace streamhost::testing {
namespace fs = std::filesystem;

namespace {

struct PreImage {
  long long off = 0;
  long long len = 0;
  long long at = 0;
};

struct FileState {
  bool created = false;
  size_t created_at = 0;
  long long synced = 0;
  std::vector<PreImage> pre;  // since the last sync, oldest first
};

struct Rename {
  fs::path from;
  fs::path to;
  size_t at = 0;
};

}  // namespace

std::string PowerCutSummary::toString() const {
  std::ostringstream os;
  os << "removed_files=" << files_removed << " removed_dirs=" << dirs_removed << " truncated=" << files_truncated
     << " renames_undone=" << renames_undone << " overwrites_undone=" << overwrites_undone
     << " bytes_dropped=" << bytes_dropped;
  return os.str();
}

PowerCutSummary applyPowerCut(const fs::path& log) {
  PowerCutSummary out;
  std::map<std::string, FileState> files;
  std::map<std::string, size_t> dir_synced;  // event index of the last fsync of a directory
  std::vector<std::pair<fs::path, size_t>> mkdirs;
  std::vector<Rename> renames;
  std::ifstream in(log);
  std::string line;
  size_t i = 0;
  while (std::getline(in, line)) {
    ++i;
    std::istringstream ls(line);
    char ev = 0;
    std::string path;
    ls >> ev >> path;
    switch (ev) {
      case 'C':
        files[path] = FileState{true, i, 0, {}};
        break;
      case 'O': {
        long long size = 0;
        ls >> size;
        if (files.count(path) == 0) {
          files[path] = FileState{false, 0, size, {}};
        }
        break;
      }
      case 'S': {
        long long size = 0;
        ls >> size;
        auto& f = files[path];
        f.synced = size;
        f.pre.clear();
        break;
      }
      case 'T': {
        long long size = 0;
        ls >> size;
        auto& f = files[path];
        f.synced = std::min(f.synced, size);
        break;
      }
      case 'P': {
        PreImage p;
        ls >> p.off >> p.len >> p.at;
        files[path].pre.push_back(p);
        break;
      }
      case 'D':
        dir_synced[path] = i;
        break;
      case 'M':
        mkdirs.emplace_back(path, i);
        break;
      case 'R': {
        std::string to;
        ls >> to;
        renames.push_back({path, to, i});
        break;
      }
      default:
        break;
    }
  }
  auto durable_in_parent = [&](const fs::path& p, size_t at) {
    auto it = dir_synced.find(p.parent_path().string());
    return it != dir_synced.end() && it->second > at;
  };
  std::error_code ec;
  // Newest first, so a rename of a renamed file unwinds in order.
  for (auto r = renames.rbegin(); r != renames.rend(); ++r) {
    if (!durable_in_parent(r->to, r->at) && fs::exists(r->to, ec)) {
      fs::rename(r->to, r->from, ec);
      out.renames_undone++;
    }
  }
  const std::string blobs_path = log.string() + ".blobs";
  int blobs = ::open(blobs_path.c_str(), O_RDONLY | O_CLOEXEC);
  for (auto& [path, f] : files) {
    if (!fs::exists(path, ec) || fs::is_directory(path, ec)) {
      continue;
    }
    if (f.created && !durable_in_parent(path, f.created_at)) {
      out.bytes_dropped += static_cast<long long>(fs::file_size(path, ec));
      fs::remove(path, ec);
      out.files_removed++;
      continue;
    }
    const auto size = static_cast<long long>(fs::file_size(path, ec));
    int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) {
      continue;
    }
    if (size > f.synced) {
      out.bytes_dropped += size - f.synced;
      out.files_truncated++;
      (void)::ftruncate(fd, f.synced);
    }
    // Newest first, so each byte ends with the content it had at the last sync.
    for (auto p = f.pre.rbegin(); p != f.pre.rend(); ++p) {
      if (p->off >= f.synced || blobs < 0) {
        continue;
      }
      const long long n = std::min(p->len, f.synced - p->off);
      std::string buf(static_cast<size_t>(n), '\0');
      if (::pread(blobs, buf.data(), buf.size(), p->at) == n &&
          ::pwrite(fd, buf.data(), buf.size(), p->off) == n) {
        out.overwrites_undone++;
      }
    }
    ::close(fd);
  }
  if (blobs >= 0) {
    ::close(blobs);
  }
  // Deepest first.
  for (auto m = mkdirs.rbegin(); m != mkdirs.rend(); ++m) {
    if (!durable_in_parent(m->first, m->second) && fs::exists(m->first, ec)) {
      fs::remove_all(m->first, ec);
      out.dirs_removed++;
    }
  }
  fs::remove(log, ec);
  fs::remove(blobs_path, ec);
  return out;
}

}  // namespace streamhost::testing
