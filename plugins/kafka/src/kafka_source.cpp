#include "kafka_source.h"

#include <chrono>
#include <cstring>


namespace streamhost::kafka {
namespace {

constexpr int kBrokerTimeoutMs = 10000;
constexpr int32_t kPollSliceMs = 100;
constexpr auto kBatchFill = std::chrono::milliseconds(5);

KafkaSource* self(void* opaque) { return static_cast<KafkaSource*>(opaque); }

void rebalanceTrampoline(rd_kafka_t* /*rk*/, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts,
                         void* opaque) {
  self(opaque)->onRebalance(err, parts);
}

void errorTrampoline(rd_kafka_t* /*rk*/, int err, const char* reason, void* opaque) {
  self(opaque)->onError(err, reason);
}

bool isFatalForStream(rd_kafka_resp_err_t err) {
  switch (err) {
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
    case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
    case RD_KAFKA_RESP_ERR__SSL: return true;
    default: return false;
  }
}

std::string sentenceFor(rd_kafka_resp_err_t err, const std::string& detail) {
  switch (err) {
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
      return "the topic does not exist (" + detail + "); create it or fix config.topics";
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
      return "not authorized to read the topic (" + detail + "); grant Read on it to this user";
    case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
      return "not authorized to use the consumer group (" + detail + "); grant Read on the group";
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
    case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
      return "authentication failed (" + detail + "); check the connection's user and secrets";
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
      return "the subscription is invalid (" + detail + "); check config.topic_pattern";
    default: return detail;
  }
}

}  // namespace

void KafkaSource::validate(const sdk::Host& host) {
  StreamConfig::fromHost(host, "");
  ConnectionConfig::fromHost(host);
}

KafkaSource::KafkaSource(sdk::Host host, const sh_create_args_t& args)
    : sdk::Source(host),
      stream_id_(sdk::toView(args.stream_id)),
      config_(StreamConfig::fromHost(this->host(), stream_id_)),
      connection_(ConnectionConfig::fromHost(this->host())) {}

KafkaSource::~KafkaSource() {
  try {
    stop();
  } catch (...) {  // a destructor must not throw
  }
}

void KafkaSource::start(std::string_view resume_offset) {
  stop();
  // An operator's position ('=' prefix) is taken as it is, also where the
  // group's committed offsets are ahead of it.
  exact_start_ = !resume_offset.empty() && resume_offset.front() == '=';
  reset_start_ = resume_offset.empty() && config_.ownsGroup(stream_id_);
  if (exact_start_) {
    resume_offset.remove_prefix(1);
  }
  if (auto resume = parsePositions(resume_offset)) {
    durable_ = std::move(*resume);
  }
  delivered_ = durable_;
  last_delivered_ = nullptr;
  Properties props = connection_.properties();
  props.insert(props.end(), {{"group.id", config_.group_id},
                             {"enable.auto.commit", "false"},
                             {"enable.auto.offset.store", "false"},
                             {"isolation.level", config_.isolation_level},
                             {"partition.assignment.strategy", "cooperative-sticky"},
                             // librdkafka stops fetching a partition whose queue holds this many
                             // messages and resumes only on its next wake-up (hundreds of ms);
                             // a consumer that also writes a journal crosses the default 100k
                             // often. Memory stays bounded by queued.max.messages.kbytes.
                             {"queued.min.messages", "1000000"},
                             {"auto.offset.reset",
                              config_.start_from.kind == StartFrom::Kind::kLatest ? "latest" : "earliest"},
                             {"client.id", "streamhost-" + stream_id_}});
  props.insert(props.end(), connection_.client_properties.begin(), connection_.client_properties.end());
  props.insert(props.end(), config_.client_properties.begin(), config_.client_properties.end());
  rd_kafka_conf_t* conf = makeConf(props);
  rd_kafka_conf_set_opaque(conf, this);
  rd_kafka_conf_set_rebalance_cb(conf, rebalanceTrampoline);
  rd_kafka_conf_set_error_cb(conf, errorTrampoline);
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    throw sdk::Error(SH_ERR_FATAL, std::string("cannot create the Kafka consumer: ") + err);
  }
  rk_.reset(rk);
  rd_kafka_poll_set_consumer(rk);
  auto subscription = config_.subscription();
  PartitionListPtr topics(rd_kafka_topic_partition_list_new(static_cast<int>(subscription.size())));
  for (const auto& t : subscription) {
    rd_kafka_topic_partition_list_add(topics.get(), t.c_str(), RD_KAFKA_PARTITION_UA);
  }
  if (rd_kafka_resp_err_t e = rd_kafka_subscribe(rk, topics.get()); e != RD_KAFKA_RESP_ERR_NO_ERROR) {
    std::string why = rd_kafka_err2str(e);
    rk_.reset();
    throw sdk::Error(SH_ERR_FATAL, "cannot subscribe: " + sentenceFor(e, why));
  }
  host().info("consumer started group=" + config_.group_id + " isolation.level=" + config_.isolation_level +
              " include_headers=" + (config_.include_headers ? "true" : "false") + " resume=" +
              (durable_.empty() ? std::string("(group's committed offsets)") : formatPositions(durable_)));
}

void KafkaSource::onError(int err, const char* reason) {
  auto e = static_cast<rd_kafka_resp_err_t>(err);
  std::string text = reason != nullptr ? reason : rd_kafka_err2str(e);
  if (e == RD_KAFKA_RESP_ERR__FATAL) {
    char buf[512];
    rd_kafka_fatal_error(rk_.get(), buf, sizeof buf);
    fatal_ = std::string("the consumer hit a fatal error: ") + buf;
  } else if (isFatalForStream(e)) {
    fatal_ = sentenceFor(e, text);
  } else {
    // Broker down, leader change, coordinator moves: librdkafka retries itself.
    host().warn("kafka: " + text + "; retrying in the background");
    host().count("transient_errors");
  }
}

void KafkaSource::throwPendingError() {
  if (!fatal_.empty()) {
    std::string message = std::move(fatal_);
    fatal_.clear();
    throw sdk::Error(SH_ERR_FATAL, message);
  }
}

void KafkaSource::assignStartOffsets(rd_kafka_topic_partition_list_t* parts) {
  // The group's committed offsets, then the host's durable position where it
  // is ahead (a crash between the host's persist and the Kafka commit).
  if (reset_start_) {
    // INVALID would let librdkafka fetch the group's committed offset itself.
    for (int i = 0; i < parts->cnt; ++i) {
      parts->elems[i].offset =
          config_.start_from.kind == StartFrom::Kind::kLatest ? RD_KAFKA_OFFSET_END : RD_KAFKA_OFFSET_BEGINNING;
    }
  } else if (rd_kafka_committed(rk_.get(), parts, kBrokerTimeoutMs) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    for (int i = 0; i < parts->cnt; ++i) {
      parts->elems[i].offset = RD_KAFKA_OFFSET_INVALID;
    }
  }
  PartitionListPtr by_time(rd_kafka_topic_partition_list_new(parts->cnt));
  for (int i = 0; i < parts->cnt; ++i) {
    auto& p = parts->elems[i];
    auto it = durable_.find(TopicPartition{p.topic, p.partition});
    if (it != durable_.end() && (p.offset < 0 || it->second > p.offset || exact_start_)) {
      p.offset = it->second;
    }
    if (p.offset < 0 && config_.start_from.kind == StartFrom::Kind::kTimestamp) {
      rd_kafka_topic_partition_list_add(by_time.get(), p.topic, p.partition)->offset =
          config_.start_from.timestamp_ms;
    }
  }
  if (by_time->cnt > 0 && rd_kafka_offsets_for_times(rk_.get(), by_time.get(), kBrokerTimeoutMs) ==
                              RD_KAFKA_RESP_ERR_NO_ERROR) {
    for (int i = 0; i < by_time->cnt; ++i) {
      const auto& t = by_time->elems[i];
      rd_kafka_topic_partition_t* p = rd_kafka_topic_partition_list_find(parts, t.topic, t.partition);
      // -1: no message at or after the timestamp, so start at the end.
      p->offset = t.err == RD_KAFKA_RESP_ERR_NO_ERROR && t.offset >= 0 ? t.offset : RD_KAFKA_OFFSET_END;
    }
  }
}

void KafkaSource::onRebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts) {
  const bool cooperative = std::strcmp(rd_kafka_rebalance_protocol(rk_.get()), "COOPERATIVE") == 0;
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    assignStartOffsets(parts);
    rd_kafka_error_t* e = cooperative ? rd_kafka_incremental_assign(rk_.get(), parts) : nullptr;
    if (!cooperative) {
      rd_kafka_assign(rk_.get(), parts);
    }
    if (e != nullptr) {
      fatal_ = std::string("cannot take the assigned partitions: ") + rd_kafka_error_string(e);
      rd_kafka_error_destroy(e);
      return;
    }
    std::string names;
    for (int i = 0; i < parts->cnt; ++i) {
      TopicPartition tp{parts->elems[i].topic, parts->elems[i].partition};
      assigned_.insert(tp);
      if (parts->elems[i].offset >= 0) {
        delivered_[tp] = parts->elems[i].offset;
      }
      names += (names.empty() ? "" : ",") + tp.topic + "/" + std::to_string(tp.partition);
    }
    if (paused_) {
      setPaused(parts, true);
    }
    host().info("assigned " + names);
    return;
  }
  if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
    // What is durable for them is committed now; nothing after they are gone.
    commitDurable(parts, true);
    std::string names;
    for (int i = 0; i < parts->cnt; ++i) {
      TopicPartition tp{parts->elems[i].topic, parts->elems[i].partition};
      assigned_.erase(tp);
      delivered_.erase(tp);
      last_delivered_ = nullptr;
      names += (names.empty() ? "" : ",") + tp.topic + "/" + std::to_string(tp.partition);
    }
    // Consumed but not yet taken: the next owner reads them from the committed offset.
    std::erase_if(held_, [&](const MessagePtr& m) {
      return assigned_.count(TopicPartition{rd_kafka_topic_name(m->rkt), m->partition}) == 0;
    });
    if (cooperative) {
      if (rd_kafka_error_t* e = rd_kafka_incremental_unassign(rk_.get(), parts)) {
        rd_kafka_error_destroy(e);
      }
    } else {
      rd_kafka_assign(rk_.get(), nullptr);
    }
    host().info("revoked " + names);
    return;
  }
  host().warn(std::string("rebalance failed: ") + rd_kafka_err2str(err));
  rd_kafka_assign(rk_.get(), nullptr);
  assigned_.clear();
}

void KafkaSource::commitDurable(const rd_kafka_topic_partition_list_t* only, bool sync) {
  if (!rk_) {
    return;
  }
  PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(durable_.size())));
  for (const auto& [tp, next] : durable_) {
    if (assigned_.count(tp) == 0) {
      continue;  // never commit for a partition this member no longer owns
    }
    if (only != nullptr && rd_kafka_topic_partition_list_find(only, tp.topic.c_str(), tp.partition) == nullptr) {
      continue;
    }
    rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition)->offset = next;
  }
  if (list->cnt == 0) {
    return;
  }
  // Asynchronous while reading (the records are durable already; a lost commit
  // only repeats them), synchronous when leaving a partition or the group.
  rd_kafka_resp_err_t e = rd_kafka_commit(rk_.get(), list.get(), sync ? 0 : 1);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR && e != RD_KAFKA_RESP_ERR__NO_OFFSET) {
    // The records are durable in the pipeline; a later commit carries these positions too.
    host().warn(std::string("committing offsets to Kafka failed: ") + rd_kafka_err2str(e) + "; will retry");
    host().count("commit_errors");
  }
}

void KafkaSource::setPaused(const rd_kafka_topic_partition_list_t* parts, bool paused) {
  auto* list = const_cast<rd_kafka_topic_partition_list_t*>(parts);
  paused ? rd_kafka_pause_partitions(rk_.get(), list) : rd_kafka_resume_partitions(rk_.get(), list);
}

PartitionListPtr KafkaSource::assignmentList() const {
  rd_kafka_topic_partition_list_t* list = nullptr;
  if (rd_kafka_assignment(rk_.get(), &list) != RD_KAFKA_RESP_ERR_NO_ERROR || list == nullptr) {
    return PartitionListPtr(rd_kafka_topic_partition_list_new(0));
  }
  return PartitionListPtr(list);
}

void KafkaSource::raiseMessageError(const rd_kafka_message_t& m) {
  std::string detail = rd_kafka_message_errstr(&m);
  if (m.rkt != nullptr) {
    detail = std::string(rd_kafka_topic_name(m.rkt)) + ": " + detail;
  }
  if (isFatalForStream(m.err)) {
    throw sdk::Error(SH_ERR_FATAL, sentenceFor(m.err, detail));
  }
  host().warn("kafka: " + detail + "; retrying in the background");
  host().count("transient_errors");
}

bool KafkaSource::deliver(sdk::Emitter& emitter, const rd_kafka_message_t& m, size_t& bytes) {
  const char* topic = rd_kafka_topic_name(m.rkt);
  std::vector<std::pair<std::string, std::string>> headers;
  if (config_.include_headers) {
    rd_kafka_headers_t* hdrs = nullptr;
    if (rd_kafka_message_headers(&m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      const char* name = nullptr;
      const void* value = nullptr;
      size_t size = 0;
      for (size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i) {
        headers.emplace_back(name, value != nullptr ? std::string(static_cast<const char*>(value), size) : "");
      }
    }
  }
  const std::string_view raw_key(m.key != nullptr ? static_cast<const char*>(m.key) : "", m.key_len);
  const std::string_view raw_value(m.payload != nullptr ? static_cast<const char*>(m.payload) : "", m.len);
  Encoded key{{}, true, std::nullopt};
  if (m.key != nullptr) {
    key = encode(config_.key_format, raw_key, Part::kKey);
  }
  Encoded value{{}, true, std::nullopt};
  uint32_t flags = 0;
  if (m.payload != nullptr) {
    value = encode(config_.value_format, raw_value);
  } else {
    flags |= SH_REC_TOMBSTONE;  // null value: kept, with an empty (null) value
  }
  const std::string token = recordToken(topic, m.partition, m.offset);
  for (const auto& [what, encoded] : {std::pair{"key", &key}, std::pair{"value", &value}}) {
    if (encoded->error) {
      // Kept raw and marked, never dropped.
      headers.emplace_back("streamhost.format_error", std::string(what) + " " + *encoded->error);
      host().warn("record " + token + ": " + what + " is " + *encoded->error + "; stored as raw bytes");
      host().count("format_errors");
    }
  }
  rd_kafka_timestamp_type_t type;
  int64_t ts = rd_kafka_message_timestamp(&m, &type);
  std::vector<sh_header_t> abi_headers;
  abi_headers.reserve(headers.size());
  for (const auto& [k, v] : headers) {
    abi_headers.push_back(sh_header_t{sizeof(sh_header_t), sdk::toStr(k), sdk::toBytes(v)});
  }
  sh_record_t r{};
  r.struct_size = sizeof r;
  r.op = SH_OP_NONE;
  r.key = sdk::toBytes(key.view(raw_key));
  r.value = sdk::toBytes(value.view(raw_value));
  r.offset = sdk::toStr(token);
  r.ts_ms = ts > 0 ? ts : 0;
  r.headers = abi_headers.empty() ? nullptr : abi_headers.data();
  r.header_count = abi_headers.size();
  r.flags = flags;
  if (!emitter.emit(r)) {
    return false;
  }
  bytes += raw_key.size() + raw_value.size();
  if (last_rkt_ != m.rkt || last_partition_ != m.partition || last_delivered_ == nullptr) {
    last_delivered_ = &delivered_[TopicPartition{topic, m.partition}];
    last_rkt_ = m.rkt;
    last_partition_ = m.partition;
  }
  *last_delivered_ = m.offset + 1;
  if (ts > 0) {
    last_ts_ms_ = ts;
  }
  return true;
}

void KafkaSource::poll(sdk::Emitter& emitter, uint32_t max_records, int32_t timeout_ms) {
  if (!rk_) {
    throw sdk::Error(SH_ERR_INVALID_STATE, "poll before start");
  }
  throwPendingError();
  woken_ = false;
  if (max_records == 0) {
    // Paused: keep the membership alive; anything that still arrives waits.
    while (MessagePtr m{rd_kafka_consumer_poll(rk_.get(), 0)}) {
      if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        raiseMessageError(*m);
      } else {
        held_.push_back(std::move(m));
      }
    }
    throwPendingError();
    return;
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(std::max(timeout_ms, 0));
  const uint32_t limit = std::min<uint32_t>(max_records, static_cast<uint32_t>(config_.max_batch_records));
  uint32_t taken = 0;
  size_t bytes = 0;
  bool full = false;
  while (!held_.empty() && taken < limit && !full) {
    if (!deliver(emitter, *held_.front(), bytes)) {
      full = true;
      break;
    }
    held_.pop_front();
    ++taken;
  }
  // Once a batch has begun it may fill for a few more milliseconds: every
  // batch costs the host one group commit, so small batches cap the rate.
  std::chrono::steady_clock::time_point fill_until{};
  while (!full && taken < limit && bytes < static_cast<size_t>(config_.max_batch_bytes)) {
    int32_t wait = 0;
    auto now = std::chrono::steady_clock::now();
    if (taken == 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
      if (left.count() <= 0 || woken_) {
        break;
      }
      wait = std::min<int32_t>(kPollSliceMs, static_cast<int32_t>(left.count()));
    } else if (now < fill_until) {
      wait = 1;
    }
    MessagePtr m{rd_kafka_consumer_poll(rk_.get(), wait)};
    throwPendingError();
    if (!m) {
      if (taken > 0 && (std::chrono::steady_clock::now() >= fill_until || woken_)) {
        break;
      }
      continue;
    }
    if (taken == 0) {
      fill_until = std::chrono::steady_clock::now() + kBatchFill;
    }
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      raiseMessageError(*m);
      continue;
    }
    if (paused_) {
      held_.push_back(std::move(m));
      continue;
    }
    if (!deliver(emitter, *m, bytes)) {
      held_.push_front(std::move(m));
      full = true;
      break;
    }
    ++taken;
  }
  if (taken > 0) {
    // The batch's resume position: every partition's next offset.
    emitter.checkpoint(formatPositions(delivered_));
  }
}

void KafkaSource::commit(std::string_view offset) {
  auto positions = parsePositions(offset);
  if (!positions) {
    host().warn("commit of an offset that is not a position list: " + std::string(offset));
    return;
  }
  reset_start_ = false;  // from now on the group's offsets are this stream's own
  for (const auto& [tp, next] : *positions) {
    auto& d = durable_[tp];
    d = std::max(d, next);
  }
  commitDurable(nullptr, false);
}

void KafkaSource::pause() {
  paused_ = true;
  if (rk_) {
    setPaused(assignmentList().get(), true);
  }
}

void KafkaSource::resume() {
  paused_ = false;
  if (rk_) {
    setPaused(assignmentList().get(), false);
  }
}

void KafkaSource::stop() {
  if (!rk_) {
    return;
  }
  commitDurable(nullptr, true);
  held_.clear();
  // Leaves the group cleanly; the revoke callback commits what is durable.
  rd_kafka_consumer_close(rk_.get());
  rk_.reset();
  assigned_.clear();
}

}  // namespace streamhost::kafka
