#pragma once

#include <string>

#include "api/api_types.h"
#include "common/status.h"

namespace streamhost::api {

/// Fills `req.path` (without the /v1 prefix), `req.raw_query` and the decoded
/// `req.query` from an HTTP request target ("/api/streams?limit=5").
/// @returns kInvalidArgument (no field) when the target cannot be parsed or decoded.
Status parseRequestTarget(const std::string& target, ApiRequest& req);

}  // namespace streamhost::api
