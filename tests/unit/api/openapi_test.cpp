#include "api/openapi.h"

#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include "api/connection_routes.h"
#include "api/ops_routes.h"
#include "api/pipeline_routes.h"
#include "api/stream_routes.h"
#include "api/ingest_routes.h"
#include "api/key_routes.h"

namespace streamhost::api {
namespace {

// The same route table the daemon serves; handlers are never called here.
Router fullRouter() {
  Router r;
  addOpsRoutes(r, {});
  addStreamRoutes(r, {});
  addPipelineRoutes(r, {});
  addConnectionRoutes(r, {});
  api::addIngestRoutes(r, {});
  addKeyRoutes(r, {});
  return r;
}

TEST(OpenApiTest, EveryServedRouteIsDocumented) {
  Router router = fullRouter();
  auto documented = documentedOperations();
  for (const auto& route : router.routes()) {
    bool found = false;
    for (const auto& [m, p] : documented) {
      found = found || (m == route.method && p == route.pattern);
    }
    EXPECT_TRUE(found) << route.method << " " << route.pattern << " is served but missing from the OpenAPI table";
  }
}

TEST(OpenApiTest, DocumentIsValidJsonWithPathsAndScopes) {
  Router router = fullRouter();
  std::string doc = buildOpenApi(router, "1.2.3");
  Poco::JSON::Parser parser;
  auto root = parser.parse(doc).extract<Poco::JSON::Object::Ptr>();
  EXPECT_EQ(root->getValue<std::string>("openapi"), "3.0.3");
  EXPECT_EQ(root->getObject("info")->getValue<std::string>("version"), "1.2.3");
  auto paths = root->getObject("paths");
  for (const auto& route : router.routes()) {
    ASSERT_TRUE(paths->has(route.pattern)) << route.pattern;
    std::string m = route.method;
    for (auto& c : m) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    auto op = paths->getObject(route.pattern)->getObject(m);
    ASSERT_TRUE(op) << route.method << " " << route.pattern;
    if (!route.scope.empty()) {
      EXPECT_EQ(op->getValue<std::string>("x-required-scope"), route.scope) << route.pattern;
    }
  }
  auto start = paths->getObject("/api/streams/{id}/start")->getObject("post");
  auto params = start->getArray("parameters");
  ASSERT_EQ(params->size(), 1u);
  EXPECT_EQ(params->getObject(0)->getValue<std::string>("in"), "path");
}

}  // namespace
}  // namespace streamhost::api
