#pragma once

#include <initializer_list>
#include <optional>
#include <string>

#include "api/api_types.h"
#include "common/status.h"

namespace streamhost::api {

/// kInvalidArgument naming the first query parameter not in `known`.
Status checkKnownParams(const ApiRequest& req, std::initializer_list<const char*> known);
/// `limit`: default 50, 1 to 500.
Result<int> pageLimit(const ApiRequest& req, int default_limit = 50, int max_limit = 500);
/// A boolean query parameter: true/false/1/0; absent gives `fallback`.
Result<bool> boolParam(const ApiRequest& req, const std::string& name, bool fallback);
/// A non-negative integer query parameter.
Result<std::optional<int64_t>> intParam(const ApiRequest& req, const std::string& name, int64_t min, int64_t max);

}  // namespace streamhost::api
