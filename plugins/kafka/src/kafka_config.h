#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <librdkafka/rdkafka.h>

#include <streamhost/plugin_sdk.hpp>
#include <string>
#include <vector>

#include "record_codec.h"

namespace streamhost::kafka {

/// librdkafka properties, in the order they are set.
using Properties = std::vector<std::pair<std::string, std::string>>;

/// Connection type `kafka`: how to reach and authenticate to the cluster.
struct ConnectionConfig {
  std::string bootstrap_servers;
  std::string security_protocol = "plaintext";
  std::string sasl_mechanism;
  std::string sasl_username;
  std::string sasl_password;
  std::string ssl_ca_pem;
  std::string ssl_certificate_pem;
  std::string ssl_key_pem;
  Properties client_properties;

  /// Reads and checks the connection keys (fields as the key names).
  static ConnectionConfig fromHost(const sdk::Host& host);
  /// The librdkafka properties of this connection (client_properties last).
  Properties properties() const;
};

std::span<const sh_config_key_t> connectionConfigKeys();

/// Where a group without a committed offset starts.
struct StartFrom {
  enum class Kind { kEarliest, kLatest, kTimestamp } kind = Kind::kEarliest;
  int64_t timestamp_ms = 0;
};

/// Source type `kafka`: what to read and how to store it.
struct StreamConfig {
  std::vector<std::string> topics;
  std::string topic_pattern;  ///< a regex; subscribed as "^<pattern>"
  std::string group_id;
  StartFrom start_from;
  Format key_format = Format::kString;
  Format value_format = Format::kJson;
  bool include_headers = true;
  std::string isolation_level = "read_committed";
  int64_t max_batch_records = 10000;
  int64_t max_batch_bytes = 8 << 20;
  Properties client_properties;  ///< set after the connection's

  /// @param stream_id names the default group, `streamhost-<stream id>`.
  static StreamConfig fromHost(const sdk::Host& host, std::string_view stream_id);
  /// The subscription: topic names, or the pattern with its leading ^.
  std::vector<std::string> subscription() const;
  /// Whether the group is the stream's own (its default name).
  bool ownsGroup(std::string_view stream_id) const;
};

std::span<const sh_config_key_t> streamConfigKeys();

/// A librdkafka configuration holding `properties` (the caller owns it); a
/// property librdkafka refuses is a config error naming it.
rd_kafka_conf_t* makeConf(const Properties& properties);

/// Checks every property with rd_kafka_conf_set on a scratch config; a bad one
/// is a config error naming `field_prefix` + its name.
void checkProperties(const Properties& properties, const std::string& field_prefix);

}  // namespace streamhost::kafka
