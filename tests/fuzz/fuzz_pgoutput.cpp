// The postgres_cdc pgoutput decoder and the record encoder behind it, on
// messages as a replication connection delivers them. A fixed Relation
// message (columns of the types the value codec maps specially) comes first;
// the input is then a sequence of messages, each a u16 big-endian length and
// that many bytes. Streamed blocks are kept and replayed after their stream
// commit, as the connector does. A malformed message may only be refused with
// sdk::Error; it must never crash, read out of bounds or hang.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <streamhost/plugin_sdk.hpp>

#include "change_encoder.h"
#include "pgoutput.h"
#include "value_codec.h"

using namespace streamhost;
using namespace streamhost::pgcdc;

namespace {

std::string be(uint64_t v, int n) {
  std::string out;
  for (int i = n - 1; i >= 0; --i) {
    out += static_cast<char>((v >> (8 * i)) & 0xFF);
  }
  return out;
}

/// Relation 16384 "public"."t": one column per specially mapped type, plus arrays.
std::string relationMessage() {
  static const std::pair<const char*, uint32_t> kCols[] = {
      {"id", oid::kInt4},          {"b", oid::kBool},          {"i8", oid::kInt8},       {"f", oid::kFloat8},
      {"j", oid::kJsonb},          {"raw", oid::kBytea},       {"tz", oid::kTimestamptz}, {"ts", oid::kTimestamp},
      {"n", oid::kNumeric},        {"s", oid::kText},          {"ia", 1007},             {"ta", 1009},
      {"tsa", 1185},               {"ba", 1001},               {"ja", 3807},             {"u", oid::kUuid}};
  std::string m = "R" + be(16384, 4) + std::string("public\0t\0", 9) + "d" + be(std::size(kCols), 2);
  for (const auto& [name, type] : kCols) {
    m += static_cast<char>(std::string_view(name) == "id" ? 1 : 0);
    m += name;
    m += '\0';
    m += be(type, 4) + be(0xFFFFFFFFu, 4);
  }
  return m;
}

/// What the connector does with decoder events, minus the server round trips.
class Events : public DecoderEvents {
 public:
  void onBegin(Lsn, int64_t, uint32_t xid) override { xid_ = xid; }
  void onCommit(Lsn, Lsn, int64_t) override {}
  void onRelation(Relation&) override {}
  void onChange(char op, const Relation& rel, const Tuple* old_tuple, char old_kind, const Tuple* new_tuple,
                Lsn lsn) override {
    Change c{op, &rel, old_tuple, old_kind == 'K', new_tuple};
    encodeChange(c, SourceInfo{lsn, xid_, 0, false}, 0, key_, value_);
  }
  void onTruncate(const std::vector<const Relation*>& rels, Lsn lsn) override {
    for (const Relation* rel : rels) {
      encodeChange(Change{'t', rel, nullptr, false, nullptr}, SourceInfo{lsn, xid_, 0, false}, 0, key_, value_);
    }
  }
  void onStreamed(uint32_t xid, std::string_view message, Lsn lsn) override {
    streamed_[xid].emplace_back(std::string(message), lsn);
  }
  void onStreamCommit(uint32_t xid, Lsn, Lsn, int64_t) override {
    auto it = streamed_.find(xid);
    if (it != streamed_.end()) {
      replay_ = std::move(it->second);
      streamed_.erase(it);
    }
    xid_ = xid;
  }
  void onStreamAbort(uint32_t xid, uint32_t subxid) override {
    if (xid == subxid) {
      streamed_.erase(xid);
    } else {
      aborted_[xid].push_back(subxid);
    }
  }

  /// Replays what the last stream commit released, after the decoder returned (never from inside it).
  void replayInto(PgOutputDecoder& decoder) {
    auto messages = std::move(replay_);
    replay_.clear();
    for (const auto& [m, lsn] : messages) {
      try {
        decoder.replay(m, lsn);
      } catch (const sdk::Error&) {
      }
    }
  }

 private:
  std::optional<uint32_t> xid_;
  std::string key_;
  std::string value_;
  std::map<uint32_t, std::vector<std::pair<std::string, Lsn>>> streamed_;
  std::map<uint32_t, std::vector<uint32_t>> aborted_;
  std::vector<std::pair<std::string, Lsn>> replay_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string kRelation = relationMessage();
  Events events;
  PgOutputDecoder decoder(events);
  decoder.handle(kRelation, 1);
  std::string_view in(reinterpret_cast<const char*>(data), size);
  Lsn lsn = 2;
  while (in.size() >= 2) {
    size_t len = (static_cast<uint8_t>(in[0]) << 8) | static_cast<uint8_t>(in[1]);
    in.remove_prefix(2);
    len = std::min(len, in.size());
    // A heap copy of exactly the message's bytes, so reading past it is caught.
    std::vector<char> message(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(len));
    in.remove_prefix(len);
    try {
      decoder.handle(std::string_view(message.data(), message.size()), lsn++);
    } catch (const sdk::Error&) {
    }
    events.replayInto(decoder);
  }
  return 0;
}
