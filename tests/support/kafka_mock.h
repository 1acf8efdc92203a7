#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace streamhost::testing {

/// A message to produce.
struct KafkaMessage {
  std::optional<std::string> key;
  std::optional<std::string> value;  ///< nullopt: a tombstone
  int32_t partition = -1;            ///< -1: by key (or any)
  std::vector<std::pair<std::string, std::string>> headers;
};

/// librdkafka's mock cluster, run as a child process (kafka_mock_cluster),
/// plus a producer and an offset reader in this process for the tests.
class KafkaMock {
 public:
  explicit KafkaMock(int brokers = 3);
  ~KafkaMock();
  KafkaMock(const KafkaMock&) = delete;
  KafkaMock& operator=(const KafkaMock&) = delete;

  const std::string& bootstraps() const { return bootstraps_; }
  void createTopic(const std::string& name, int partitions);
  void brokerDown(int id);
  void brokerUp(int id);
  /// Produces and waits until every message is acknowledged.
  void produce(const std::string& topic, const std::vector<KafkaMessage>& messages);
  /// Produces in one transaction of a transactional producer, then commits
  /// it (or aborts it, leaving aborted messages in the log).
  void produceInTransaction(const std::string& topic, const std::vector<KafkaMessage>& messages, bool commit);
  /// The partition's log start and end (the next offset to be written).
  std::pair<int64_t, int64_t> watermarks(const std::string& topic, int32_t partition);
  /// The group's committed offset per partition (absent: none committed).
  std::map<int32_t, int64_t> committed(const std::string& group, const std::string& topic, int partitions);

 private:
  void command(const std::string& line);

  pid_t pid_ = -1;
  int to_child_ = -1;
  FILE* from_child_ = nullptr;
  std::string bootstraps_;
  void* producer_ = nullptr;  // rd_kafka_t*, kept out of this header
};

}  // namespace streamhost::testing
