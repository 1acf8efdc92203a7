// Journal recovery on whatever a disk may hold. The input becomes the files of
// a journal directory; then `journal verify` reads it, the journal is opened
// (recovered), read to its end, appended to, closed and opened again. Only the
// public entry points are used, never the frame layout, so the target stays
// valid when the on-disk format changes (regenerate the seeds, see below).
//
// Input: a single segment file "00000000000000000001.seg", or, when it starts
// with "SHJF", a list of files: [u8 name length][name][u32 LE size][bytes],
// names from [A-Za-z0-9._-] with an optional "quarantine/" in front.
//
// Properties: no crash, no out-of-bounds read, no hang; a journal that verify
// calls undamaged opens; a journal that opened once opens again with nothing
// more to cut; after `journal repair --quarantine` of every damaged segment
// it opens.
//
// Seeds: FUZZ_JOURNAL_WRITE_SEEDS=DIR ./fuzz_journal_recovery writes journals
// made by the current code through Journal::append into DIR and exits.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "journal/journal.h"
#include "journal/journal_repair.h"

using namespace streamhost;
using namespace streamhost::journal;
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kMagic = "SHJF";

fs::path g_work;

JournalOptions options() {
  JournalOptions o;
  o.segment_bytes = 512;
  o.group_commit_delay = std::chrono::microseconds(0);
  o.index_interval_bytes = 64;
  o.now_ms = [] { return int64_t{1'700'000'000'000}; };
  return o;
}

bool safeName(std::string_view name) {
  if (name.starts_with("quarantine/")) {
    name.remove_prefix(11);
  }
  if (name.empty() || name == "." || name == "..") {
    return false;
  }
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-';
    if (!ok) {
      return false;
    }
  }
  return true;
}

void writeFile(const fs::path& path, std::string_view bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

/// Writes the input's files into `dir`; false when the list is malformed.
bool unpack(std::string_view in, const fs::path& dir) {
  if (!in.starts_with(kMagic)) {
    writeFile(dir / segmentFileName(1), in);
    return true;
  }
  in.remove_prefix(kMagic.size());
  for (int files = 0; !in.empty() && files < 8; ++files) {
    size_t name_len = static_cast<uint8_t>(in[0]);
    if (in.size() < 1 + name_len + 4) {
      return false;
    }
    std::string_view name = in.substr(1, name_len);
    const auto* p = reinterpret_cast<const uint8_t*>(in.data() + 1 + name_len);
    size_t size = p[0] | (p[1] << 8) | (p[2] << 16) | (size_t{p[3]} << 24);
    in.remove_prefix(1 + name_len + 4);
    if (!safeName(name) || size > in.size()) {
      return false;
    }
    writeFile(dir / name, in.substr(0, size));
    in.remove_prefix(size);
  }
  return true;
}

/// Opens, reads everything, appends one record and closes; the open status.
Status exercise(const fs::path& dir, RecoveryReport* report) {
  auto j = Journal::open(dir, options());
  if (!j) {
    return j.status();
  }
  if (report != nullptr) {
    *report = (*j)->recoveryReport();
  }
  uint64_t after = (*j)->oldestSeq() > 0 ? (*j)->oldestSeq() - 1 : 0;
  for (int rounds = 0; rounds < 1000; ++rounds) {
    auto r = (*j)->read(after, 64, 1 << 20);
    if (!r || r->entries.empty()) {
      break;
    }
    after = r->entries.back().seq;
  }
  Record rec;
  rec.value = "v";
  rec.offset = "o";
  (void)(*j)->appendDurable("str_fuzz", std::span<const Record>(&rec, 1));
  (*j)->close();
  return Status::ok();
}

void check(bool ok, const char* what, const std::string& detail = {}) {
  if (!ok) {
    std::fprintf(stderr, "property failed: %s\n%s\n", what, detail.c_str());
    std::abort();
  }
}

void writeSeeds(const fs::path& out) {
  fs::create_directories(out);
  auto journal = [](const fs::path& dir, int records, uint64_t segment_bytes) {
    fs::remove_all(dir);
    JournalOptions o = options();
    o.segment_bytes = segment_bytes;
    auto j = Journal::open(dir, o);
    if (!j) {
      std::abort();
    }
    for (int i = 0; i < records; ++i) {
      Record rec;
      rec.key = "k" + std::to_string(i);
      rec.value = "{\"n\":" + std::to_string(i) + "}";
      rec.offset = i % 3 == 0 ? "" : "lsn/" + std::to_string(i);
      rec.headers.emplace_back("h", "x");
      const char* stream = i % 2 == 0 ? "str_a" : "str_b";
      if (!(*j)->appendDurable(stream, std::span<const Record>(&rec, 1))) {
        std::abort();
      }
    }
    (*j)->close();
  };
  auto slurp = [](const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
  };
  auto save = [&](const std::string& name, const std::string& bytes) {
    std::ofstream(out / name, std::ios::binary) << bytes;
  };
  const fs::path dir = g_work / "seed";
  journal(dir, 5, 64ull << 20);
  std::string seg = slurp(dir / segmentFileName(1));
  save("one_segment", seg);
  save("torn_tail", seg.substr(0, seg.size() - 3));
  save("empty", "");

  journal(dir, 12, 300);  // several sealed segments with sidecars, then the active one
  std::string list(kMagic);
  for (const auto& e : fs::directory_iterator(dir)) {
    std::string name = e.path().filename().string();
    std::string bytes = slurp(e.path());
    list += static_cast<char>(name.size());
    list += name;
    for (int i = 0; i < 4; ++i) {
      list += static_cast<char>((bytes.size() >> (8 * i)) & 0xFF);
    }
    list += bytes;
  }
  save("segments_and_sidecars", list);
  fs::remove_all(dir);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* base = std::getenv("TMPDIR");
  // tmpfs when there is one: recovery fsyncs, and a disk would make each input slow.
  std::string tmpl = std::string(fs::is_directory("/dev/shm") ? "/dev/shm" : (base != nullptr ? base : "/tmp")) +
                     "/streamhost-fuzz-journal-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) {
    std::abort();
  }
  g_work = tmpl;
  std::atexit([] {
    std::error_code ec;
    fs::remove_all(g_work, ec);
  });
  if (const char* seeds = std::getenv("FUZZ_JOURNAL_WRITE_SEEDS")) {
    writeSeeds(seeds);
    std::exit(0);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fs::path dir = g_work / "pl_fuzz";
  fs::remove_all(dir);
  fs::create_directories(dir);
  if (!unpack(std::string_view(reinterpret_cast<const char*>(data), size), dir)) {
    return 0;
  }
  auto verified = verifyJournal(dir);
  Status first = exercise(dir, nullptr);
  if (verified && !verified->damaged) {
    check(first.isOk(), "a journal verify calls undamaged opens", first.toString());
  }
  std::string repairs_done;
  for (int repairs = 0; !first.isOk() && repairs < 10; ++repairs) {
    auto repaired = quarantineDamagedSegment(dir);
    if (!repaired) {
      return 0;  // repair refused with an error of its own: nothing is promised
    }
    repairs_done += first.toString() + "\n  repair: " + *repaired + "\n";
    first = exercise(dir, nullptr);
  }
  check(first.isOk(), "after repair --quarantine the journal opens", repairs_done + first.toString());
  RecoveryReport again;
  Status second = exercise(dir, &again);
  check(second.isOk(), "a journal that opened once opens again", repairs_done + second.toString());
  check(again.clean(), "a recovered journal has nothing more to cut", again.toString());
  return 0;
}
