#pragma once

#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "lsn.h"
#include "relation.h"

namespace streamhost::pgcdc {

/// What the decoder reports; the connector implements it.
class DecoderEvents {
 public:
  virtual ~DecoderEvents() = default;
  virtual void onBegin(Lsn final_lsn, int64_t commit_ts_us, uint32_t xid) = 0;
  virtual void onCommit(Lsn commit_lsn, Lsn end_lsn, int64_t commit_ts_us) = 0;
  /// A relation was (re)described; `rel` lives in the decoder's cache.
  virtual void onRelation(Relation& rel) = 0;
  /// An insert, update or delete. `old_kind` is 'K' (identity only), 'O' (whole row) or 0.
  virtual void onChange(char op, const Relation& rel, const Tuple* old_tuple, char old_kind, const Tuple* new_tuple,
                        Lsn lsn) = 0;
  virtual void onTruncate(const std::vector<const Relation*>& rels, Lsn lsn) = 0;
  /// A change-carrying message inside a streamed block of top-level transaction
  /// `xid`; keep `message` to replay it after the stream commit. Its own xid
  /// prefix (bytes 1-4) names the subtransaction.
  virtual void onStreamed(uint32_t xid, std::string_view message, Lsn lsn) = 0;
  virtual void onStreamCommit(uint32_t xid, Lsn commit_lsn, Lsn end_lsn, int64_t commit_ts_us) = 0;
  virtual void onStreamAbort(uint32_t xid, uint32_t subxid) = 0;
};

/// Decodes pgoutput protocol messages (versions 1 and 2) and keeps the
/// relation metadata the stream has described. Malformed input throws
/// sdk::Error(SH_ERR_INTERNAL) naming the message type.
class PgOutputDecoder {
 public:
  explicit PgOutputDecoder(DecoderEvents& events) : events_(events) {}

  /// One XLogData payload at `lsn`.
  void handle(std::string_view message, Lsn lsn);
  /// A message kept by onStreamed, replayed after its stream commit (it carries an xid prefix).
  void replay(std::string_view message, Lsn lsn);

  const Relation* relation(uint32_t id) const;
  bool inStreamBlock() const { return in_stream_; }

 private:
  void decode(std::string_view message, Lsn lsn, bool has_xid);
  const Relation& needRelation(uint32_t id, char type) const;

  DecoderEvents& events_;
  std::unordered_map<uint32_t, Relation> relations_;
  bool in_stream_ = false;
  uint32_t stream_xid_ = 0;
  Tuple old_tuple_;
  Tuple new_tuple_;
};

}  // namespace streamhost::pgcdc
