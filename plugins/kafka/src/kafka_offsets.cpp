// kafka: typed offsets ({"partitions": [{"topic", "partition", "offset"}]}),
// checked against the cluster's metadata and watermarks, and reset (the
// group goes, so start_from applies again).
#include <algorithm>
#include <charconv>
#include <climits>
#include <cstdint>
#include <regex>

#include "kafka_source.h"

namespace streamhost::kafka {
namespace {

constexpr int kBrokerTimeoutMs = 10000;

[[noreturn]] void invalidPosition(const std::string& field, const std::string& why) {
  throw sdk::Error(SH_ERR_INVALID_ARGUMENT, why, field);
}

std::optional<int64_t> nonNegative(const sdk::JsonValue* v) {
  if (v == nullptr || v->kind != sdk::JsonValue::Kind::kNumber) {
    return std::nullopt;
  }
  int64_t out = 0;
  auto r = std::from_chars(v->raw.data(), v->raw.data() + v->raw.size(), out);
  if (r.ec != std::errc() || r.ptr != v->raw.data() + v->raw.size() || out < 0) {
    return std::nullopt;
  }
  return out;
}

struct MetadataDeleter {
  void operator()(const rd_kafka_metadata_t* m) const { rd_kafka_metadata_destroy(m); }
};

}  // namespace

std::string KafkaSource::offsetToJson(std::string_view offset) {
  if (offset.empty()) {
    return "null";
  }
  auto positions = parsePositions(offset.front() == '=' ? offset.substr(1) : offset);
  if (!positions) {
    throw sdk::Error(SH_ERR_INVALID_ARGUMENT, "'" + std::string(offset) + "' is not a kafka position");
  }
  std::string out = "{\"partitions\":[";
  bool first = true;
  for (const auto& [tp, next] : *positions) {
    out += std::string(first ? "" : ",") + "{\"topic\":" + sdk::jsonQuote(tp.topic) +
           ",\"partition\":" + std::to_string(tp.partition) + ",\"offset\":" + std::to_string(next) + "}";
    first = false;
  }
  return out + "]}";
}

std::string KafkaSource::offsetFromJson(std::string_view json) {
  auto v = sdk::parseJson(json);
  if (!v || !v->isObject()) {
    invalidPosition("body", "must be an object such as {\"partitions\": [{\"topic\": \"orders\", \"partition\": 0, "
                            "\"offset\": 12}]}");
  }
  if (auto unknown = sdk::unknownJsonKey(json, {"partitions"})) {
    invalidPosition(*unknown, "is not a kafka position key; the only key is partitions");
  }
  const sdk::JsonValue* parts = v->find("partitions");
  if (parts == nullptr || !parts->isArray() || parts->items.empty()) {
    invalidPosition("partitions", "must be a non-empty array of {topic, partition, offset}");
  }
  Positions wanted;
  for (size_t i = 0; i < parts->items.size(); ++i) {
    const sdk::JsonValue& p = parts->items[i];
    const std::string at = "partitions[" + std::to_string(i) + "]";
    if (!p.isObject()) {
      invalidPosition(at, "must be an object {topic, partition, offset}");
    }
    if (auto unknown = sdk::unknownJsonKey(p.raw, {"topic", "partition", "offset"})) {
      invalidPosition(at + "." + *unknown, "is not a key of a partition position (topic, partition, offset)");
    }
    const sdk::JsonValue* topic = p.find("topic");
    if (topic == nullptr || !topic->isString() || topic->text.empty()) {
      invalidPosition(at + ".topic", "must be a topic name");
    }
    auto partition = nonNegative(p.find("partition"));
    if (!partition || *partition > INT32_MAX) {
      invalidPosition(at + ".partition", "must be a partition number (0 or more)");
    }
    auto offset = nonNegative(p.find("offset"));
    if (!offset) {
      invalidPosition(at + ".offset", "must be the next offset to read (0 or more)");
    }
    TopicPartition tp{topic->text, static_cast<int32_t>(*partition)};
    if (wanted.count(tp) != 0) {
      invalidPosition(at, "names " + tp.topic + "/" + std::to_string(tp.partition) + " twice");
    }
    wanted[tp] = *offset;
  }
  checkAgainstCluster(wanted);
  return "=" + formatPositions(wanted);
}

void KafkaSource::checkAgainstCluster(const Positions& wanted) {
  Properties props = connection_.properties();
  props.insert(props.end(), connection_.client_properties.begin(), connection_.client_properties.end());
  char err[512];
  rd_kafka_conf_t* conf = makeConf(props);
  KafkaPtr rk(rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err));
  if (!rk) {
    rd_kafka_conf_destroy(conf);
    throw sdk::Error(SH_ERR_TRANSIENT, std::string("cannot create a Kafka client: ") + err);
  }
  const rd_kafka_metadata_t* raw = nullptr;
  rd_kafka_resp_err_t e = rd_kafka_metadata(rk.get(), 1, nullptr, &raw, kBrokerTimeoutMs);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw sdk::Error(SH_ERR_TRANSIENT, std::string("cannot read the cluster's metadata: ") + rd_kafka_err2str(e));
  }
  std::unique_ptr<const rd_kafka_metadata_t, MetadataDeleter> md(raw);
  size_t i = 0;
  for (const auto& [tp, next] : wanted) {
    const std::string at = "partitions[" + std::to_string(i++) + "]";
    if (!config_.topics.empty() &&
        std::find(config_.topics.begin(), config_.topics.end(), tp.topic) == config_.topics.end()) {
      invalidPosition(at + ".topic", "topic " + tp.topic + " is not one of the stream's topics");
    }
    if (!config_.topic_pattern.empty() && !std::regex_search(tp.topic, std::regex("^" + config_.topic_pattern))) {
      invalidPosition(at + ".topic", "topic " + tp.topic + " does not match the stream's topic_pattern");
    }
    const rd_kafka_metadata_topic_t* topic = nullptr;
    for (int t = 0; t < md->topic_cnt; ++t) {
      if (tp.topic == md->topics[t].topic && md->topics[t].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        topic = &md->topics[t];
      }
    }
    if (topic == nullptr) {
      invalidPosition(at + ".topic", "topic " + tp.topic + " does not exist in the cluster");
    }
    if (tp.partition >= topic->partition_cnt) {
      invalidPosition(at + ".partition", "topic " + tp.topic + " has " + std::to_string(topic->partition_cnt) +
                                             " partitions (0-" + std::to_string(topic->partition_cnt - 1) +
                                             "); partition " + std::to_string(tp.partition) + " does not exist");
    }
    int64_t low = 0;
    int64_t high = 0;
    e = rd_kafka_query_watermark_offsets(rk.get(), tp.topic.c_str(), tp.partition, &low, &high, kBrokerTimeoutMs);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
      throw sdk::Error(SH_ERR_TRANSIENT, "cannot read the offsets of " + tp.topic + "/" +
                                             std::to_string(tp.partition) + ": " + rd_kafka_err2str(e));
    }
    if (next < low) {
      invalidPosition(at + ".offset", std::to_string(next) + " is before the log start " + std::to_string(low) +
                                          " of " + tp.topic + "/" + std::to_string(tp.partition) +
                                          "; the messages before it were deleted");
    }
    if (next > high) {
      invalidPosition(at + ".offset", std::to_string(next) + " is past the end " + std::to_string(high) + " of " +
                                          tp.topic + "/" + std::to_string(tp.partition));
    }
  }
}

// The host clears the committed token; start() then skips the group's
// committed offsets (see reset_start_), so start_from applies.
std::vector<std::string> KafkaSource::offsetReset() {
  if (!config_.ownsGroup(stream_id_)) {
    throw sdk::Error(SH_ERR_INVALID_STATE,
                     "consumer group " + config_.group_id +
                         " is named in config.group_id, so its committed offsets decide where a start begins; reset "
                         "them with Kafka's tools, or PUT the offsets");
  }
  return {"the next start reads every partition from start_from, not from consumer group " + config_.group_id +
          "'s committed offsets"};
}

// Retention deletes a partition's oldest messages; a committed offset close to
// the log start (after retention has deleted something) is about to lose
// messages it has not read, and one below it already has.
sdk::SourceHealth KafkaSource::sourceHealth(std::string_view committed_offset) {
  sdk::SourceHealth h;
  auto positions = parsePositions(!committed_offset.empty() && committed_offset.front() == '='
                                      ? committed_offset.substr(1)
                                      : committed_offset);
  if (!positions || positions->empty()) {
    h.source_json = "{\"partitions\":[]}";
    return h;
  }
  Properties props = connection_.properties();
  props.insert(props.end(), connection_.client_properties.begin(), connection_.client_properties.end());
  char err[512];
  rd_kafka_conf_t* conf = makeConf(props);
  KafkaPtr rk(rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err));
  if (!rk) {
    rd_kafka_conf_destroy(conf);
    throw sdk::Error(SH_ERR_TRANSIENT, std::string("cannot create a Kafka client: ") + err);
  }
  std::string parts;
  std::string reasons;
  for (const auto& [tp, next] : *positions) {
    int64_t low = 0;
    int64_t high = 0;
    rd_kafka_resp_err_t e =
        rd_kafka_query_watermark_offsets(rk.get(), tp.topic.c_str(), tp.partition, &low, &high, kBrokerTimeoutMs);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
      throw sdk::Error(SH_ERR_TRANSIENT, "cannot read the offsets of " + tp.topic + "/" +
                                             std::to_string(tp.partition) + ": " + rd_kafka_err2str(e));
    }
    parts += std::string(parts.empty() ? "" : ",") + "{\"topic\":" + sdk::jsonQuote(tp.topic) +
             ",\"partition\":" + std::to_string(tp.partition) + ",\"offset\":" + std::to_string(next) +
             ",\"log_start\":" + std::to_string(low) + ",\"log_end\":" + std::to_string(high) + "}";
    const std::string name = tp.topic + "/" + std::to_string(tp.partition);
    if (next < low) {
      h.level = SH_HEALTH_CRITICAL;  // reported; the next start reads from the log start
      reasons += (reasons.empty() ? "" : " ") + std::string("Partition ") + name + ": the committed offset " +
                 std::to_string(next) + " is before the log start " + std::to_string(low) + "; " +
                 std::to_string(low - next) + " messages were deleted by retention before they were read.";
    } else if (low > 0 && next < high && (next - low) * 10 < (high - low)) {
      h.level = std::max(h.level, SH_HEALTH_WARNING);
      reasons += (reasons.empty() ? "" : " ") + std::string("Partition ") + name + ": the committed offset " +
                 std::to_string(next) + " is within 10 % of the log start " + std::to_string(low) +
                 " (end " + std::to_string(high) + "); retention may delete messages before they are read.";
    }
  }
  h.reason = reasons;
  h.source_json = "{\"partitions\":[" + parts + "]}";
  return h;
}

}  // namespace streamhost::kafka
