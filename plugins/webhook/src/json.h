#pragma once

#include <streamhost/sdk/json.hpp>

namespace streamhost::plugins::webhook {

// The webhook reads bodies and config with the SDK's one JSON reader.
using sdk::isValidPointer;
using sdk::JsonValue;
using sdk::parseJson;
using sdk::resolvePointer;

}  // namespace streamhost::plugins::webhook
