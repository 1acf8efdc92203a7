#pragma once

#include <string>
#include <utility>
#include <vector>

#include "api/router.h"

namespace streamhost::api {

/// The OpenAPI 3 document of the API, from the documented operations table
/// and the router (scopes).
std::string buildOpenApi(const Router& router, const std::string& version);
/// (method, path pattern) of every documented operation.
std::vector<std::pair<std::string, std::string>> documentedOperations();

}  // namespace streamhost::api
