#include "api/router.h"

#include <gtest/gtest.h>

namespace streamhost::api {
namespace {

Handler noop() {
  return [](ApiRequest&) { return ApiResponse{}; };
}

TEST(RouterTest, MatchesParametersAndPrefersLiteralSegments) {
  Router r;
  r.add({"GET", "/api/streams/{id}", "", BodyKind::kNone, noop(), "get"});
  r.add({"GET", "/api/streams/summary", "", BodyKind::kNone, noop(), "summary"});
  auto m = r.match("GET", "/api/streams/summary");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->name, "summary");
  m = r.match("GET", "/api/streams/str_1");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->name, "get");
  EXPECT_EQ(m.params.at("id"), "str_1");
}

TEST(RouterTest, ReportsAllowedMethodsForKnownPathsAndNothingForUnknown) {
  Router r;
  r.add({"GET", "/api/streams", "", BodyKind::kNone, noop()});
  r.add({"POST", "/api/streams", "", BodyKind::kJson, noop()});
  auto m = r.match("DELETE", "/api/streams");
  EXPECT_EQ(m.route, nullptr);
  EXPECT_EQ(m.allowed_methods, (std::vector<std::string>{"GET", "POST"}));
  m = r.match("GET", "/api/nothing");
  EXPECT_EQ(m.route, nullptr);
  EXPECT_TRUE(m.allowed_methods.empty());
}

TEST(RouterTest, EmptySegmentsAndExtraSegmentsDoNotMatch) {
  Router r;
  r.add({"POST", "/api/streams/{id}/start", "", BodyKind::kNone, noop()});
  EXPECT_EQ(r.match("POST", "/api/streams//start").route, nullptr);
  EXPECT_EQ(r.match("POST", "/api/streams/a/start/x").route, nullptr);
  EXPECT_EQ(r.match("POST", "/api/streams/a/start/").route, nullptr);
  EXPECT_NE(r.match("POST", "/api/streams/a/start").route, nullptr);
}

TEST(RouterTest, HeadIsServedByGet) {
  Router r;
  r.add({"GET", "/healthz", "", BodyKind::kNone, noop()});
  EXPECT_NE(r.match("HEAD", "/healthz").route, nullptr);
}

TEST(RouterTest, StripsOnlyTheVersionPrefix) {
  EXPECT_EQ(Router::stripVersionPrefix("/v1/api/streams"), "/api/streams");
  EXPECT_EQ(Router::stripVersionPrefix("/api/streams"), "/api/streams");
  EXPECT_EQ(Router::stripVersionPrefix("/v1"), "/v1");
  EXPECT_EQ(Router::stripVersionPrefix("/v10/api"), "/v10/api");
}

TEST(RouterTest, ATailParameterTakesTheRestOfThePath) {
  Router r;
  r.add({"GET", "/console", "", BodyKind::kNone, noop(), "root"});
  r.add({"GET", "/console/{*path}", "", BodyKind::kNone, noop(), "asset"});
  auto m = r.match("GET", "/console/");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->name, "asset");
  EXPECT_EQ(m.params.at("path"), "");
  m = r.match("GET", "/console/vendor/uPlot.esm.js");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.params.at("path"), "vendor/uPlot.esm.js");
  m = r.match("GET", "/console//a/");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.params.at("path"), "/a/");
  m = r.match("GET", "/console");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->name, "root");
  EXPECT_EQ(r.match("GET", "/consoles/x").route, nullptr);
}

TEST(PrincipalTest, AdminImpliesEveryScope) {
  Principal admin{"k", "a", {"admin"}};
  Principal reader{"k", "r", {"streams:read"}};
  EXPECT_TRUE(admin.hasScope("streams:write"));
  EXPECT_TRUE(reader.hasScope("streams:read"));
  EXPECT_FALSE(reader.hasScope("streams:write"));
}

}  // namespace
}  // namespace streamhost::api
