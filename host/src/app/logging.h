#pragma once

#include <string>

namespace streamhost::app {

/// Sends Poco's root logger to stderr, one line per event, as `text`
/// ("2026-11-28T15:54:58.123Z INFO streamhost.api message") or `json`.
void configureLogging(const std::string& level, const std::string& format);

/// Sets the level of every logger (SIGHUP reload). The channel stays.
void setLogLevel(const std::string& level);

}  // namespace streamhost::app
