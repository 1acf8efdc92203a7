#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>

namespace streamhost::kafka {

/// Kafka protocol API keys the connector asks about.
inline constexpr int16_t kApiDescribeGroups = 15;
inline constexpr int16_t kApiDeleteGroups = 42;

/// Asks one broker of `bootstrap_servers` which API keys it supports, with a
/// bare ApiVersions request over plain TCP. librdkafka 2.0 aborts the process
/// when an admin request meets a broker without that API, so the connector
/// checks first. nullopt (with `why`) when no broker answered in time.
std::optional<std::set<int16_t>> supportedApis(const std::string& bootstrap_servers, int timeout_ms,
                                               std::string& why);

}  // namespace streamhost::kafka
