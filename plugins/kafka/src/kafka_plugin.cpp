// Requires ABI 1.1 (start_from is an SH_CFG_ANY key): SH_ABI_TARGET_MINOR=1 comes from CMake.
#include <streamhost/plugin_sdk.hpp>

#include "kafka_source.h"

namespace {

struct KafkaPlugin {
  static constexpr const char* kName = "kafka";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription = "Apache Kafka source (librdkafka consumer groups).";
  using Sources = streamhost::sdk::List<streamhost::kafka::KafkaSource>;
  using Connections = streamhost::sdk::List<streamhost::kafka::KafkaConnection>;
};

}  // namespace

STREAMHOST_DEFINE_PLUGIN(KafkaPlugin)
