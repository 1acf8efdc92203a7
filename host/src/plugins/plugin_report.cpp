#include "plugins/plugin_report.h"

#include "common/json_writer.h"


namespace streamhost::plugins {
namespace {

std::string jsonList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (const auto& i : items) {
    out += (out.size() > 1 ? "," : "") + jsonQuoted(i);
  }
  return out + "]";
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) {
    out += (out.empty() ? "" : ",") + i;
  }
  return out;
}

}  // namespace

size_t PluginReport::loadedCount() const {
  size_t n = 0;
  for (const auto& e : entries) {
    n += e.loaded ? 1 : 0;
  }
  return n;
}

size_t PluginReport::refusedCount() const { return entries.size() - loadedCount(); }

std::string PluginReport::toText() const {
  std::string out = "plugin_dir=" + dir + " loaded=" + std::to_string(loadedCount()) +
                    " refused=" + std::to_string(refusedCount()) + "\n";
  if (!error.empty()) {
    out += "error: " + error + "\n";
  }
  for (const auto& e : entries) {
    if (e.loaded) {
      out += "loaded  " + e.name + " " + e.version + " abi=" + e.abi_version + " file=" + e.file +
             " source_types=" + joined(e.source_types) + " connection_types=" + joined(e.connection_types) + "\n";
    } else {
      out += "refused file=" + e.file + " reason=\"" + e.reason + "\"\n";
    }
  }
  return out;
}

std::string PluginReport::toJson() const {
  std::string out = "{\"dir\":" + jsonQuoted(dir) +
                    ",\"error\":" + (error.empty() ? "null" : jsonQuoted(error)) + ",\"plugins\":[";
  bool first = true;
  for (const auto& e : entries) {
    out += first ? "" : ",";
    first = false;
    out += "{\"file\":" + jsonQuoted(e.file) + ",\"loaded\":" + (e.loaded ? "true" : "false") +
           ",\"name\":" + jsonQuoted(e.name) + ",\"version\":" + jsonQuoted(e.version) +
           ",\"abi_version\":" + jsonQuoted(e.abi_version) + ",\"source_types\":" + jsonList(e.source_types) +
           ",\"connection_types\":" + jsonList(e.connection_types) +
           ",\"reason\":" + (e.reason.empty() ? "null" : jsonQuoted(e.reason)) + "}";
  }
  return out + "]}";
}

}  // namespace streamhost::plugins
