// Durable append throughput of the journal against a raw write+fdatasync loop
// writing the same bytes in the same batches, measured side by side in one run.
//
//   journal_bench [seconds_per_case=2] [dir=$TMPDIR]

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "journal/crc32c.h"
#include "journal/frame_codec.h"
#include "journal/journal.h"

namespace streamhost::journal {
namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kBatch = 256;

struct Outcome {
  double seconds = 0;
  uint64_t records = 0;
  uint64_t syncs = 0;
};

std::vector<Record> makeBatch(size_t record_bytes) {
  std::vector<Record> batch(kBatch);
  for (size_t i = 0; i < kBatch; ++i) {
    batch[i].op = 'c';
    batch[i].key = "key-" + std::to_string(i);
    batch[i].offset = "0/" + std::to_string(i);
    batch[i].value.assign(record_bytes - batch[i].key.size() - batch[i].offset.size(), 'x');
  }
  return batch;
}

Outcome runRaw(const std::filesystem::path& dir, const std::string& bytes, double seconds) {
  const auto path = dir / "raw.log";
  int fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) {
    std::perror("open");
    std::exit(1);
  }
  Outcome o;
  const auto start = Clock::now();
  while (std::chrono::duration<double>(Clock::now() - start).count() < seconds) {
    if (::write(fd, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size()) || ::fdatasync(fd) != 0) {
      std::perror("write/fdatasync");
      std::exit(1);
    }
    o.records += kBatch;
    o.syncs++;
  }
  o.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  ::close(fd);
  std::filesystem::remove(path);
  return o;
}

/// `pipelined`: async appends with callbacks (the runtime's pattern); else appendDurable per batch.
Outcome runJournal(const std::filesystem::path& dir, const std::vector<Record>& batch, double seconds,
                   bool pipelined) {
  std::filesystem::remove_all(dir);
  JournalOptions opts;
  if (!pipelined) {
    opts.group_commit_delay = std::chrono::microseconds(0);
  }
  auto j = Journal::open(dir, opts);
  if (!j) {
    std::fprintf(stderr, "open: %s\n", j.status().toString().c_str());
    std::exit(1);
  }
  Outcome o;
  const auto start = Clock::now();
  while (std::chrono::duration<double>(Clock::now() - start).count() < seconds) {
    auto r = pipelined ? (*j)->append("str_bench", batch, nullptr) : (*j)->appendDurable("str_bench", batch);
    if (!r) {
      std::fprintf(stderr, "append: %s\n", r.status().toString().c_str());
      std::exit(1);
    }
    o.records += kBatch;
  }
  if (Status s = (*j)->flush(); !s) {
    std::fprintf(stderr, "flush: %s\n", s.toString().c_str());
    std::exit(1);
  }
  o.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  o.syncs = (*j)->stats().syncs;
  (*j)->close();
  std::filesystem::remove_all(dir);
  return o;
}

void printRow(const char* mode, size_t record_bytes, const Outcome& o, double raw_rps) {
  const double rps = double(o.records) / o.seconds;
  const double mbps = rps * double(record_bytes) / 1e6;
  std::printf("| %-22s | %6zu B | %12.0f | %8.1f | %8.0f | %7.1f | %6.2fx |\n", mode, record_bytes, rps, mbps,
              double(o.syncs) / o.seconds, double(o.records) / double(o.syncs ? o.syncs : 1), rps / raw_rps);
}

}  // namespace
}  // namespace streamhost::journal

int main(int argc, char** argv) {
  using namespace streamhost::journal;
  const double seconds = argc > 1 ? std::atof(argv[1]) : 2.0;
  const std::filesystem::path base =
      (argc > 2 ? std::filesystem::path(argv[2]) : std::filesystem::temp_directory_path()) /
      ("journal_bench." + std::to_string(::getpid()));
  std::filesystem::create_directories(base);
  std::printf("batch=%zu records per append/write, %.1f s per case, dir=%s, crc32c=%s\n\n", kBatch, seconds,
              base.c_str(), crc32cHasHardware() ? "sse4.2" : "table");
  std::printf("| %-22s | %8s | %12s | %8s | %8s | %7s | %7s |\n", "mode", "record", "records/s", "MB/s", "syncs/s",
              "rec/sync", "vs raw");
  std::printf("|------------------------|----------|--------------|----------|----------|---------|---------|\n");
  for (size_t record_bytes : {size_t(100), size_t(1024)}) {
    const auto batch = makeBatch(record_bytes);
    std::string framed;
    for (size_t i = 0; i < batch.size(); ++i) {
      appendFrame(framed, i + 1, "str_bench", 0, batch[i]);
    }
    const Outcome raw = runRaw(base, framed, seconds);
    const double raw_rps = double(raw.records) / raw.seconds;
    printRow("raw write+fdatasync", record_bytes, raw, raw_rps);
    printRow("journal appendDurable", record_bytes, runJournal(base / "j1", batch, seconds, false), raw_rps);
    printRow("journal append+group", record_bytes, runJournal(base / "j2", batch, seconds, true), raw_rps);
  }
  std::filesystem::remove_all(base);
  return 0;
}
