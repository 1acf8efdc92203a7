#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api/api_types.h"
#include "api/json.h"
#include "core/cursor.h"
#include "store/store.h"

namespace streamhost::api {

/// The position a `cursor` query parameter names, if any; 400 when forged or foreign.
Result<std::optional<store::PageKey>> cursorParam(const ApiRequest& req, const core::CursorCodec& codec,
                                                  const std::string& scope);

/// Rows are fetched with limit + 1: drops the extra row and returns the cursor
/// of the next page, or null on the last page.
template <class Row>
Poco::Dynamic::Var trimPage(std::vector<Row>& rows, int limit, const core::CursorCodec& codec,
                            const std::string& scope) {
  if (static_cast<int>(rows.size()) <= limit) {
    return Poco::Dynamic::Var();
  }
  rows.resize(static_cast<size_t>(limit));
  return codec.encode({rows.back().created_at, rows.back().id}, scope);
}

/// {"data": [...], "meta": {"page": {"limit", "cursor"}}}.
ApiResponse collectionResponse(const JsonArray& data, int limit, const Poco::Dynamic::Var& cursor);

}  // namespace streamhost::api
