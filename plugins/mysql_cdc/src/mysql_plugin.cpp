#include <streamhost/plugin_sdk.hpp>

#include "cdc_source.h"

namespace {

struct MysqlPlugin {
  static constexpr const char* kName = "mysql_cdc";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription = "MariaDB and MySQL row-based binlog source.";
  using Sources = streamhost::sdk::List<streamhost::mycdc::MysqlCdcSource>;
  using Connections = streamhost::sdk::List<streamhost::mycdc::MysqlConnection>;
};

}  // namespace

STREAMHOST_DEFINE_PLUGIN(MysqlPlugin)
