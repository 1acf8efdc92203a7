#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/ids.h"
#include "common/status.h"
#include "plugins/connection_tester.h"
#include "plugins/plugin_registry.h"
#include "store/store.h"

namespace streamhost::core {

struct CreateConnectionInput {
  std::string name;
  std::string type;
  std::string config_json = "{}";
  std::map<std::string, std::string> secrets;
};

struct PatchConnectionInput {
  std::optional<std::string> name;
  std::optional<std::string> config_json;
  /// Given secrets replace those of the same name; the others are kept.
  std::optional<std::map<std::string, std::string>> secrets;
};

/// Connections: checked against their type's key table, stored with sealed
/// secrets, tested by the plugin that knows the type.
class ConnectionService {
 public:
  ConnectionService(store::Store& store, plugins::PluginRegistry& registry, IdGenerator& ids, const Clock& clock)
      : store_(store), registry_(registry), ids_(ids), clock_(clock) {}

  Result<store::ConnectionRow> create(const CreateConnectionInput& input);
  Result<store::ConnectionRow> get(const std::string& id);
  Result<std::vector<store::ConnectionRow>> list(const std::optional<std::string>& type,
                                                 const std::optional<store::PageKey>& after, int limit);
  Result<store::ConnectionRow> patch(const std::string& id, const PatchConnectionInput& input);
  /// kConflict while a stream uses it.
  Result<store::ConnectionRow> remove(const std::string& id);
  Result<plugins::ConnectionTestResult> test(const std::string& id);

 private:
  /// Settings and secrets against the type's key table (fields config.<key>, secrets.<key>).
  Status validate(const std::string& type_name, const std::string& config_json,
                  const std::map<std::string, std::string>& secrets) const;

  store::Store& store_;
  plugins::PluginRegistry& registry_;
  IdGenerator& ids_;
  const Clock& clock_;
};

}  // namespace streamhost::core
