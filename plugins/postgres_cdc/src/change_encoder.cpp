#include "change_encoder.h"

#include <algorithm>
#include <charconv>

#include "value_codec.h"

namespace streamhost::pgcdc {
namespace {

void appendInt(std::string& out, int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, static_cast<size_t>(r.ptr - buf));
}

/// Writes the tuple as an object; unchanged TOAST columns are left out and collected.
void appendTuple(std::string& out, const Relation& rel, const Tuple& tuple, bool identity_only,
                 std::vector<const Column*>* unchanged) {
  out += '{';
  bool first = true;
  size_t n = std::min(tuple.size(), rel.columns.size());
  for (size_t i = 0; i < n; ++i) {
    const Column& col = rel.columns[i];
    const Datum& d = tuple[i];
    if (identity_only && !col.identity) {
      continue;
    }
    if (d.kind == 'u') {
      if (unchanged != nullptr) {
        unchanged->push_back(&col);
      }
      continue;
    }
    if (!first) {
      out += ',';
    }
    first = false;
    out += col.json_key;
    if (d.kind == 'n') {
      out += "null";
    } else {
      appendPgValue(out, col.type_oid, d.text);
    }
  }
  out += '}';
}

/// `fallback`: the old tuple, for a key column the new one only marks as unchanged TOAST.
void appendKey(std::string& out, const Relation& rel, const Tuple& tuple, const Tuple* fallback) {
  out.clear();
  size_t n = std::min(tuple.size(), rel.columns.size());
  bool any = false;
  for (size_t i = 0; i < n; ++i) {
    const Column& col = rel.columns[i];
    if (!col.key) {
      continue;
    }
    out += any ? ',' : '{';
    any = true;
    out += col.json_key;
    const Datum* d = &tuple[i];
    if (d->kind == 'u' && fallback != nullptr && i < fallback->size()) {
      d = &(*fallback)[i];
    }
    if (d->kind == 't') {
      appendPgValue(out, col.type_oid, d->text);
    } else {
      out += "null";
    }
  }
  if (any) {
    out += '}';
  }
}

}  // namespace

void encodeChange(const Change& change, const SourceInfo& source, int64_t now_ms, std::string& key,
                  std::string& value) {
  const Relation& rel = *change.relation;
  const Tuple* key_from = change.after != nullptr ? change.after : change.before;
  if (key_from != nullptr) {
    appendKey(key, rel, *key_from, key_from == change.after ? change.before : nullptr);
  } else {
    key.clear();
  }
  value.clear();
  value += "{\"op\":\"";
  value += change.op;
  value += "\",\"before\":";
  std::vector<const Column*> unchanged;
  if (change.before != nullptr) {
    appendTuple(value, rel, *change.before, change.before_is_identity, nullptr);
  } else {
    value += "null";
  }
  value += ",\"after\":";
  if (change.after != nullptr) {
    appendTuple(value, rel, *change.after, false, &unchanged);
  } else {
    value += "null";
  }
  value += ",\"source\":{\"lsn\":\"";
  value += formatLsn(source.lsn);
  value += "\",\"txid\":";
  if (source.xid) {
    appendInt(value, *source.xid);
  } else {
    value += "null";
  }
  value += rel.source_tail;
  value += ",\"ts_ms\":";
  appendInt(value, source.ts_ms);
  value += source.snapshot ? ",\"snapshot\":true}" : ",\"snapshot\":false}";
  value += ",\"ts_ms\":";
  appendInt(value, now_ms);
  if (!unchanged.empty()) {
    value += ",\"unchanged_toast\":[";
    for (size_t i = 0; i < unchanged.size(); ++i) {
      if (i > 0) {
        value += ',';
      }
      appendJsonString(value, unchanged[i]->name);
    }
    value += ']';
  }
  value += '}';
}

}  // namespace streamhost::pgcdc
