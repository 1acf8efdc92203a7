#include "relation.h"

#include <algorithm>

#include "value_codec.h"

namespace streamhost::pgcdc {

void Relation::prepare() {
  for (Column& c : columns) {
    c.json_key.clear();
    appendJsonString(c.json_key, c.name);
    c.json_key += ':';
  }
  source_tail = ",\"schema\":";
  appendJsonString(source_tail, schema);
  source_tail += ",\"table\":";
  appendJsonString(source_tail, table);
}

bool Relation::setKey(const std::vector<std::string>& key_columns) {
  for (Column& c : columns) {
    c.key = false;
  }
  bool all = true;
  for (const std::string& name : key_columns) {
    auto it = std::find_if(columns.begin(), columns.end(), [&](const Column& c) { return c.name == name; });
    if (it == columns.end()) {
      all = false;
    } else {
      it->key = true;
    }
  }
  return all;
}

void Relation::keyFromIdentity() {
  for (Column& c : columns) {
    c.key = c.identity;
  }
}

}  // namespace streamhost::pgcdc
