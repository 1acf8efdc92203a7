#pragma once

#include <librdkafka/rdkafka.h>

#include <atomic>
#include <deque>
#include <memory>
#include <set>
#include <streamhost/plugin_sdk.hpp>
#include <string>
#include <vector>

#include "kafka_config.h"
#include "record_codec.h"

namespace streamhost::kafka {

struct KafkaDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
  void operator()(rd_kafka_message_t* m) const { rd_kafka_message_destroy(m); }
  void operator()(rd_kafka_topic_partition_list_t* l) const { rd_kafka_topic_partition_list_destroy(l); }
};
using KafkaPtr = std::unique_ptr<rd_kafka_t, KafkaDeleter>;
using MessagePtr = std::unique_ptr<rd_kafka_message_t, KafkaDeleter>;
using PartitionListPtr = std::unique_ptr<rd_kafka_topic_partition_list_t, KafkaDeleter>;

/// A consumer-group member: every record reaches the host before its offset is
/// committed to Kafka, and only commit() (after fsync and offset persist)
/// commits, per partition, the next offset after the last durable record.
class KafkaSource final : public sdk::Source {
 public:
  static constexpr const char* kName = "kafka";
  static constexpr const char* kDescription =
      "Reads Kafka topics as a consumer group; commits to Kafka only what the pipeline made durable.";
  static constexpr uint32_t kFlags = SH_CAP_NEEDS_CONNECTION | SH_CAP_PAUSE;
  static constexpr const char* kConnectionType = "kafka";
  static std::span<const sh_config_key_t> configKeys() { return streamConfigKeys(); }
  static void validate(const sdk::Host& host);

  KafkaSource(sdk::Host host, const sh_create_args_t& args);
  ~KafkaSource() override;

  void start(std::string_view resume_offset) override;
  void poll(sdk::Emitter& emitter, uint32_t max_records, int32_t timeout_ms) override;
  void commit(std::string_view offset) override;
  void pause() override;
  void resume() override;
  void stop() override;
  std::vector<std::string> teardown(bool force) override;
  sdk::Lag lag() override;
  void wakeup() noexcept override { woken_ = true; }
  /// {"partitions": [{"topic", "partition", "offset"}]}, offset the next to read.
  std::string offsetToJson(std::string_view offset) override;
  /// Checked against the cluster; the token starts with '=' so start() takes
  /// it over the group's committed offsets.
  std::string offsetFromJson(std::string_view json) override;
  /// Deletes the stream's own consumer group, so start_from applies again.
  std::vector<std::string> offsetReset() override;
  /// Warns when a committed offset nears its partition's log start.
  sdk::SourceHealth sourceHealth(std::string_view committed_offset) override;

  /// librdkafka's rebalance callback (on the poll thread).
  void onRebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions);
  /// librdkafka's error callback: fatal and authentication errors end the stream.
  void onError(int err, const char* reason);

 private:
  void assignStartOffsets(rd_kafka_topic_partition_list_t* partitions);
  /// Refuses (naming the field) a topic, partition or offset the cluster does not have.
  void checkAgainstCluster(const Positions& wanted);
  /// Commits durable positions of the listed (still assigned) partitions.
  void commitDurable(const rd_kafka_topic_partition_list_t* only, bool sync);
  /// Hands one message to the host; false when the host was full (not taken).
  bool deliver(sdk::Emitter& emitter, const rd_kafka_message_t& m, size_t& bytes);
  void raiseMessageError(const rd_kafka_message_t& m);
  void throwPendingError();
  void setPaused(const rd_kafka_topic_partition_list_t* partitions, bool paused);
  PartitionListPtr assignmentList() const;

  std::string stream_id_;
  StreamConfig config_;
  ConnectionConfig connection_;
  KafkaPtr rk_;
  Positions durable_;    ///< next offset per partition, made durable by the host
  Positions delivered_;  ///< next offset per partition, handed to the host
  // The entry of delivered_ the last message went to (messages come in runs).
  const rd_kafka_topic_t* last_rkt_ = nullptr;
  int32_t last_partition_ = -1;
  int64_t* last_delivered_ = nullptr;
  std::set<TopicPartition> assigned_;
  std::deque<MessagePtr> held_;  ///< consumed, not yet taken by the host
  bool paused_ = false;
  bool exact_start_ = false;  ///< an operator set the position: it wins over the group's offsets
  /// No token and the group is the stream's own: nothing was ever committed by
  /// this stream, or it was reset, so the group's offsets are not used.
  bool reset_start_ = false;
  int64_t last_ts_ms_ = 0;
  std::atomic<bool> woken_{false};
  std::string fatal_;  ///< set by callbacks, thrown from poll
};

/// Connection type `kafka`: the test fetches the cluster's metadata.
struct KafkaConnection {
  static constexpr const char* kName = "kafka";
  static constexpr const char* kDescription = "An Apache Kafka cluster (or one that speaks its protocol).";
  static std::span<const sh_config_key_t> configKeys() { return connectionConfigKeys(); }
  static std::string test(const sdk::Host& host);
};

}  // namespace streamhost::kafka
