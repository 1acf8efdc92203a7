#pragma once

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <string>

#include "api/api_types.h"
#include "common/status.h"

namespace streamhost::api {

using JsonObject = Poco::JSON::Object::Ptr;
using JsonArray = Poco::JSON::Array::Ptr;

/// An object that keeps keys in insertion order, for readable responses.
JsonObject newObject();
JsonArray newArray();
std::string toJson(const Poco::Dynamic::Var& value);

/// Parses a request body that must be one JSON object. Errors are
/// validation errors with the position of the first syntax error.
Result<JsonObject> parseJsonObject(const std::string& body);
/// Parses any JSON text (syntax checked first).
Result<Poco::Dynamic::Var> parseJson(const std::string& text);

ApiResponse jsonResponse(int http_status, const Poco::Dynamic::Var& body);
/// `reason` (optional) is a finer, documented cause under the contract's `code`.
ApiResponse errorResponse(int http_status, const std::string& code, const std::string& message,
                          const std::string& field, const std::string& request_id, const std::string& reason = "");
/// The contract's error code for an HTTP status (one table for every route).
const char* errorCodeForHttpStatus(int http_status);
/// Maps a Status to its HTTP status and error code (one table for the whole API).
ApiResponse statusResponse(const Status& status, const std::string& request_id);
int httpStatusFor(StatusCode code);
const char* errorCodeFor(StatusCode code);

/// {"data": {"id", "type", "attributes"}} plus optional "meta".
ApiResponse resourceResponse(int http_status, const std::string& type, const std::string& id,
                             const JsonObject& attributes, const JsonObject& meta = nullptr);
/// {"data": {"id", "type", "attributes"}} as an object, for collections.
JsonObject resourceObject(const std::string& type, const std::string& id, const JsonObject& attributes);

/// RFC 3339 UTC with milliseconds and Z, e.g. 2026-11-28T15:54:58.123Z.
std::string formatTime(int64_t unix_ms);

}  // namespace streamhost::api
