#include "core/connection_service.h"

#include "core/stream_service.h"
#include "plugins/config_schema.h"

namespace streamhost::core {

Status ConnectionService::validate(const std::string& type_name, const std::string& config_json,
                                   const std::map<std::string, std::string>& secrets) const {
  const plugins::ConnectionTypeInfo* type = registry_.findConnectionType(type_name);
  if (type == nullptr) {
    std::string names;
    for (const auto& n : registry_.connectionTypeNames()) {
      names += (names.empty() ? "" : ", ") + n;
    }
    return invalidArgument("unknown connection type '" + type_name + "'; available: " +
                               (names.empty() ? std::string("(none)") : names),
                           "type");
  }
  std::vector<plugins::ConfigKey> settings;
  std::vector<plugins::ConfigKey> secret_keys;
  for (const auto& k : type->config_keys) {
    (k.secret() ? secret_keys : settings).push_back(k);
  }
  auto ok = plugins::ConfigSchema(settings).validate(config_json);
  if (!ok) {
    return Status(StatusCode::kInvalidArgument, ok.status().message(), "config." + ok.status().field());
  }
  for (const auto& [k, v] : secrets) {
    bool known = false;
    for (const auto& sk : secret_keys) {
      known = known || sk.name == k;
    }
    if (!known) {
      return invalidArgument("unknown secret '" + k + "' for connection type '" + type_name + "'", "secrets." + k);
    }
  }
  for (const auto& sk : secret_keys) {
    if (sk.required() && secrets.count(sk.name) == 0) {
      return invalidArgument("is required", "secrets." + sk.name);
    }
  }
  return Status::ok();
}

Result<store::ConnectionRow> ConnectionService::create(const CreateConnectionInput& input) {
  if (Status s = StreamService::validateName(input.name); !s) {
    return s;
  }
  if (Status s = validate(input.type, input.config_json, input.secrets); !s) {
    return s;
  }
  store::ConnectionRow row;
  row.id = ids_.next("conn_");
  row.name = input.name;
  row.type = input.type;
  row.config_json = input.config_json;
  row.secrets = input.secrets;
  row.created_at = row.updated_at = clock_.nowMillis();
  if (Status s = store_.createConnection(row); !s) {
    if (s.code() == StatusCode::kAlreadyExists) {
      return Status(StatusCode::kAlreadyExists, "a connection named '" + row.name + "' already exists", "name");
    }
    return s;
  }
  return row;
}

Result<store::ConnectionRow> ConnectionService::get(const std::string& id) { return store_.getConnection(id); }

Result<std::vector<store::ConnectionRow>> ConnectionService::list(const std::optional<std::string>& type,
                                                                  const std::optional<store::PageKey>& after,
                                                                  int limit) {
  return store_.listConnections(type, after, limit);
}

Result<store::ConnectionRow> ConnectionService::patch(const std::string& id, const PatchConnectionInput& input) {
  auto row = store_.getConnection(id);
  if (!row) {
    return row.status();
  }
  if (input.name) {
    if (Status s = StreamService::validateName(*input.name); !s) {
      return s;
    }
    row->name = *input.name;
  }
  if (input.config_json) {
    row->config_json = *input.config_json;
  }
  if (input.secrets) {
    for (const auto& [k, v] : *input.secrets) {
      if (v != plugins::kRedactionMarker) {  // a marker sent back keeps the stored value
        row->secrets[k] = v;
      }
    }
  }
  if (Status s = validate(row->type, row->config_json, row->secrets); !s) {
    return s;
  }
  row->updated_at = clock_.nowMillis();
  if (Status s = store_.updateConnection(*row); !s) {
    return s;
  }
  return row;
}

Result<store::ConnectionRow> ConnectionService::remove(const std::string& id) {
  auto row = store_.getConnection(id);
  if (!row) {
    return row.status();
  }
  if (Status s = store_.deleteConnection(row->id); !s) {
    if (s.code() == StatusCode::kConflict) {
      return Status(StatusCode::kConflict,
                    "connection " + row->id + " is still used by a stream; delete the stream first");
    }
    return s;
  }
  return row;
}

Result<plugins::ConnectionTestResult> ConnectionService::test(const std::string& id) {
  auto row = store_.getConnection(id);
  if (!row) {
    return row.status();
  }
  return plugins::testConnection(registry_.findConnectionType(row->type), row->type,
                                 plugins::connectionJson(row->config_json, row->secrets), row->id, row->name);
}

}  // namespace streamhost::core
