#include <streamhost/plugin_sdk.hpp>

#include "cdc_source.h"

namespace {

struct PostgresPlugin {
  static constexpr const char* kName = "postgres_cdc";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription = "PostgreSQL logical replication source.";
  using Sources = streamhost::sdk::List<streamhost::pgcdc::CdcSource>;
  using Connections = streamhost::sdk::List<streamhost::pgcdc::PostgresConnection>;
};

}  // namespace

STREAMHOST_DEFINE_PLUGIN(PostgresPlugin)
