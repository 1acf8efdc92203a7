#pragma once
// What CDC connectors share in their config: include/exclude lists of
// "<schema or database>.<table>" patterns with '*' wildcards, and integers
// checked against a range.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <streamhost/sdk/core.hpp>
#include <streamhost/sdk/host.hpp>
#include <streamhost/sdk/json.hpp>

namespace streamhost::sdk {

/// Whether `text` matches `pattern`, where '*' matches any run of characters.
inline bool globMatch(std::string_view pattern, std::string_view text) {
  // Iterative, with one backtrack point: linear in practice, never recursive.
  size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') {
    ++p;
  }
  return p == pattern.size();
}

/// One "space.table" pattern; `space` is the schema or the database.
struct TablePattern {
  std::string space;
  std::string table;
  bool matches(std::string_view s, std::string_view t) const { return globMatch(space, s) && globMatch(table, t); }
};

/// What a pattern part may hold: letters, digits, '_', '$', '*' and `extra`.
struct TableNameRules {
  std::string_view space_noun;  ///< "schema" or "db", for messages
  size_t max_length;
  std::string_view extra;       ///< further characters allowed
  std::string_view allowed;     ///< the rule in words, for messages
};

/// Reads config key `key` (an array of "space.table" strings, or absent);
/// a bad element is a config error naming `key[i]`.
inline std::vector<TablePattern> tablePatterns(const Host& host, const char* key, const TableNameRules& rules) {
  auto part_ok = [&](std::string_view s) {
    return !s.empty() && s.size() <= rules.max_length && std::all_of(s.begin(), s.end(), [&](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$' || c == '*' ||
             rules.extra.find(c) != std::string_view::npos;
    });
  };
  std::vector<TablePattern> out;
  auto json = host.configJson(key);
  if (!json || *json == "null") {
    return out;
  }
  auto items = parseJsonStringArray(*json);
  if (!items) {
    configError(key, "must be an array of \"" + std::string(rules.space_noun) + ".table\" strings");
  }
  for (size_t i = 0; i < items->size(); ++i) {
    const std::string& item = (*items)[i];
    size_t dot = item.find('.');
    std::string field = std::string(key) + "[" + std::to_string(i) + "]";
    if (dot == std::string::npos || !part_ok(std::string_view(item).substr(0, dot)) ||
        !part_ok(std::string_view(item).substr(dot + 1))) {
      configError(field, "'" + item + "' is not " + std::string(rules.space_noun) + ".table (" +
                             std::string(rules.allowed) + " only)");
    }
    out.push_back({item.substr(0, dot), item.substr(dot + 1)});
  }
  return out;
}

/// A table is wanted when some include pattern matches (or there are none)
/// and no exclude pattern does.
inline bool tableWanted(const std::vector<TablePattern>& include, const std::vector<TablePattern>& exclude,
                        std::string_view space, std::string_view table) {
  auto hit = [&](const TablePattern& p) { return p.matches(space, table); };
  if (!include.empty() && std::none_of(include.begin(), include.end(), hit)) {
    return false;
  }
  return std::none_of(exclude.begin(), exclude.end(), hit);
}

/// Integer key `key` (default `fallback`), a config error unless within [lo, hi].
inline int64_t configIntBetween(const Host& host, const char* key, int64_t fallback, int64_t lo, int64_t hi) {
  int64_t v = host.configInt(key, fallback);
  if (v < lo || v > hi) {
    configError(key, "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
  }
  return v;
}

}  // namespace streamhost::sdk
