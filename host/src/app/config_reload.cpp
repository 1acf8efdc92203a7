#include "app/config_reload.h"

#include <algorithm>
#include <set>

namespace streamhost::app {
namespace {

std::string keyFingerprint(const config::ApiKeyConfig& k) {
  std::string s = k.key_sha256 + "|";
  for (const auto& scope : k.scopes) {
    s += scope + ",";
  }
  return s;
}

/// "2 keys (added ops; removed ci; changed admin)" style description of a key list change.
bool diffKeys(const std::vector<config::ApiKeyConfig>& a, const std::vector<config::ApiKeyConfig>& b,
              std::string& summary) {
  std::vector<std::string> added;
  std::vector<std::string> removed;
  std::vector<std::string> changed;
  for (const auto& k : b) {
    auto it = std::find_if(a.begin(), a.end(), [&](const auto& o) { return o.name == k.name; });
    if (it == a.end()) {
      added.push_back(k.name);
    } else if (keyFingerprint(*it) != keyFingerprint(k)) {
      changed.push_back(k.name);
    }
  }
  for (const auto& k : a) {
    if (std::none_of(b.begin(), b.end(), [&](const auto& o) { return o.name == k.name; })) {
      removed.push_back(k.name);
    }
  }
  if (added.empty() && removed.empty() && changed.empty()) {
    return false;
  }
  auto join = [](const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) {
      s += (s.empty() ? "" : ", ") + x;
    }
    return s;
  };
  summary.clear();
  if (!added.empty()) {
    summary += "added " + join(added);
  }
  if (!removed.empty()) {
    summary += (summary.empty() ? "" : "; ") + std::string("removed ") + join(removed);
  }
  if (!changed.empty()) {
    summary += (summary.empty() ? "" : "; ") + std::string("changed ") + join(changed);
  }
  return true;
}

bool tlsOn(const config::Config& c) { return !c.tls.cert_file.empty(); }

}  // namespace

bool appliesLive(const std::string& key, const config::Config& running, const config::Config& next) {
  static const std::set<std::string> kLive = {"log.level", "auth.api_keys", "limits.api_requests_per_second",
                                              "limits.api_burst", "metrics.enabled"};
  if (kLive.count(key) != 0) {
    return true;
  }
  if (key == "tls.cert_file" || key == "tls.key_file") {
    return tlsOn(running) && tlsOn(next);
  }
  return false;
}

std::vector<ConfigChange> diffConfigs(const config::Config& running, const config::Config& next) {
  std::vector<ConfigChange> out;
  auto before = config::flattenConfig(running);
  auto after = config::flattenConfig(next);
  for (const auto& [key, value] : after) {
    const std::string& old = before[key];
    if (old != value) {
      out.push_back({key, old.empty() ? "(unset)" : old, value.empty() ? "(unset)" : value,
                     appliesLive(key, running, next)});
    }
  }
  std::string summary;
  if (diffKeys(running.api_keys, next.api_keys, summary)) {
    out.push_back({"auth.api_keys", std::to_string(running.api_keys.size()) + " keys",
                   std::to_string(next.api_keys.size()) + " keys (" + summary + ")", true});
  }
  return out;
}

std::string describeChanges(const std::vector<ConfigChange>& changes) {
  std::string s;
  for (const auto& c : changes) {
    s += (s.empty() ? "" : "; ") + c.key + " " + c.from + " -> " + c.to;
  }
  return s;
}

}  // namespace streamhost::app
