// Durable append throughput of the journal against a raw write+fdatasync loop
// writing the same bytes in the same batches, measured side by side in one run,
// then the bytes each record takes on disk per compression.
//
//   journal_bench [seconds_per_case=2] [dir=$TMPDIR]
//
// Batches are appended as RecordBlocks, already encoded, as the worker hands
// them over: the rows measure the journal (framing, CRC, compression, write,
// sync), not the encoding of the records, which happens as a plugin emits.

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
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

RecordBlock makeBatch(size_t record_bytes) {
  RecordBlock batch;
  for (size_t i = 0; i < kBatch; ++i) {
    const std::string key = "key-" + std::to_string(i);
    const std::string offset = "0/" + std::to_string(i);
    batch.add('c', key, std::string(record_bytes - key.size() - offset.size(), 'x'), offset, 0);
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
Outcome runJournal(const std::filesystem::path& dir, const RecordBlock& batch, double seconds, bool pipelined,
                   Compression codec = Compression::kNone) {
  std::filesystem::remove_all(dir);
  JournalOptions opts;
  opts.compression = codec;
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
    auto r = (*j)->appendBlock("str_bench", batch, nullptr);
    if (r && !pipelined) {
      if (Status s = (*j)->flush(); !s) {
        r = s;
      }
    }
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

/// Records as the datagen connector makes them: key and offset the decimal n,
/// value {"n":n,"payload":"abc..."}; `random` fills the payload with random
/// hex instead of the repeating alphabet, for a less compressible case.
RecordBlock datagenBatch(uint64_t first, size_t n, size_t payload, bool random, uint64_t& rng) {
  RecordBlock b;
  std::string text(payload, 'a');
  for (size_t i = 0; i < n; ++i) {
    for (size_t k = 0; k < payload; ++k) {
      if (random) {
        rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
        text[k] = "0123456789abcdef"[(rng >> 60) & 15];
      } else {
        text[k] = static_cast<char>('a' + k % 26);
      }
    }
    const std::string num = std::to_string(first + i);
    b.add(0, num, "{\"n\":" + num + ",\"payload\":\"" + text + "\"}", num, 1733550000000 + int64_t(first + i) / 100);
  }
  return b;
}

/// Bytes on disk per record, before (one frame per record) and per compression now.
void printBytesPerRecord(const std::filesystem::path& base) {
  constexpr size_t kRecords = 200000;
  constexpr size_t kPerBatch = 4096;  // the worker's max_batch_records
  const std::string stream = "str_01JEKD4X5V7Q8R9S0T1V2W3X4Y";  // as long as a real stream id
  std::printf("\nbytes per record on disk: %zu datagen records (100 B payload), %zu a batch, stream id %zu B\n\n",
              kRecords, kPerBatch, stream.size());
  std::printf("| %-22s | %10s | %10s | %10s | %10s |\n", "payload", "v1 (before)", "none", "lz4", "zstd");
  std::printf("|------------------------|------------|------------|------------|------------|\n");
  for (bool random : {false, true}) {
    double v1 = 0;
    double sizes[3] = {0, 0, 0};
    for (int c = 0; c < 3; ++c) {
      const auto dir = base / "bpr";
      std::filesystem::remove_all(dir);
      JournalOptions opts;
      opts.compression = static_cast<Compression>(c);
      auto j = Journal::open(dir, opts);
      if (!j) {
        std::fprintf(stderr, "open: %s\n", j.status().toString().c_str());
        std::exit(1);
      }
      uint64_t rng = 42;
      uint64_t v1_bytes = 0;
      for (size_t first = 1; first <= kRecords; first += kPerBatch) {
        const RecordBlock b = datagenBatch(first, std::min(kPerBatch, kRecords + 1 - first), 100, random, rng);
        if (!(*j)->appendBlock(stream, b, nullptr)) {
          std::exit(1);
        }
        if (c == 0) {
          std::string_view in = b.bytes();
          std::string frame;
          Record r;
          for (size_t i = 0; i < b.size() && RecordBlock::decode(in, r); ++i) {
            frame.clear();
            appendFrame(frame, first + i, stream, 0, r);
            v1_bytes += frame.size();
          }
        }
      }
      (void)(*j)->flush();
      (*j)->close();
      uint64_t total = 0;
      for (const auto& e : std::filesystem::directory_iterator(dir)) {
        if (e.path().extension() == ".seg") {
          total += std::filesystem::file_size(e.path());
        }
      }
      sizes[c] = double(total) / kRecords;
      if (c == 0) {
        v1 = double(v1_bytes) / kRecords;
      }
      std::filesystem::remove_all(dir);
    }
    std::printf("| %-22s | %10.1f | %10.1f | %10.1f | %10.1f |\n", random ? "random hex payload" : "datagen abc... payload",
                v1, sizes[0], sizes[1], sizes[2]);
  }
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
    BatchEncoder encoder;
    for (size_t from = 0; from < batch.size();) {
      size_t to = from + 1;
      size_t body = batch.encodedSize(from);
      while (to < batch.size() && body + batch.encodedSize(to) <= kBatchBodyTarget) {
        body += batch.encodedSize(to++);
      }
      encoder.append(framed, Compression::kNone, from + 1, static_cast<uint32_t>(to - from), "str_bench", 0,
                     batch.slice(from, to));
      from = to;
    }
    const Outcome raw = runRaw(base, framed, seconds);
    const double raw_rps = double(raw.records) / raw.seconds;
    printRow("raw write+fdatasync", record_bytes, raw, raw_rps);
    printRow("journal appendDurable", record_bytes, runJournal(base / "j1", batch, seconds, false), raw_rps);
    printRow("journal append+group", record_bytes, runJournal(base / "j2", batch, seconds, true), raw_rps);
    printRow("append+group lz4", record_bytes,
             runJournal(base / "j3", batch, seconds, true, Compression::kLz4), raw_rps);
    printRow("append+group zstd", record_bytes,
             runJournal(base / "j4", batch, seconds, true, Compression::kZstd), raw_rps);
  }
  printBytesPerRecord(base);
  std::filesystem::remove_all(base);
  return 0;
}
