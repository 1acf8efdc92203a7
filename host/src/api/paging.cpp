#include "api/paging.h"

namespace streamhost::api {

Result<std::optional<store::PageKey>> cursorParam(const ApiRequest& req, const core::CursorCodec& codec,
                                                  const std::string& scope) {
  auto c = req.queryParam("cursor");
  if (!c) {
    return std::optional<store::PageKey>();
  }
  auto key = codec.decode(*c, scope);
  if (!key) {
    return key.status();
  }
  return std::optional<store::PageKey>(*key);
}

ApiResponse collectionResponse(const JsonArray& data, int limit, const Poco::Dynamic::Var& cursor) {
  JsonObject page = newObject();
  page->set("limit", limit);
  page->set("cursor", cursor);
  JsonObject meta = newObject();
  meta->set("page", page);
  JsonObject root = newObject();
  root->set("data", data);
  root->set("meta", meta);
  return jsonResponse(200, root);
}

}  // namespace streamhost::api
