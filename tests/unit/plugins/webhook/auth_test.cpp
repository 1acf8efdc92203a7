#include "auth.h"

#include <gtest/gtest.h>

#include <map>

#include "common/crypto.h"

namespace streamhost::plugins::webhook {
namespace {

AuthConfig parse(const std::string& json) {
  auto v = parseJson(json);
  EXPECT_TRUE(v) << json;
  std::string field;
  std::string message;
  auto c = parseAuthConfig(*v, field, message);
  EXPECT_TRUE(c) << field << ": " << message;
  return c ? *c : AuthConfig{};
}

HeaderLookup headers(std::map<std::string, std::string> h) {
  return [h = std::move(h)](std::string_view name) -> std::optional<std::string_view> {
    for (const auto& [k, v] : h) {
      if (k.size() == name.size() && strncasecmp(k.data(), name.data(), k.size()) == 0) {
        return std::string_view(v);
      }
    }
    return std::nullopt;
  };
}

TEST(AuthTest, GithubPublishedExample) {
  // The example of GitHub's "Validating webhook deliveries" page.
  AuthConfig c = parse(R"({"scheme":"github","secrets":["It's a Secret to Everybody"]})");
  auto h = headers({{"x-hub-signature-256", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"}});
  EXPECT_FALSE(verifyRequest(c, h, "Hello, World!", 0));
  EXPECT_TRUE(verifyRequest(c, h, "Hello, World?", 0));
  EXPECT_TRUE(verifyRequest(c, headers({}), "Hello, World!", 0));
}

TEST(AuthTest, StandardWebhooksPublishedExample) {
  AuthConfig c = parse(R"({"scheme":"standard","secrets":["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]})");
  auto h = headers({{"webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"},
                    {"webhook-timestamp", "1614265330"},
                    {"webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="}});
  EXPECT_FALSE(verifyRequest(c, h, R"({"test": 2432232314})", 1614265330000));
  EXPECT_EQ(verifyRequest(c, h, R"({"test": 2432232314})", 1614265330000 + 301000), "timestamp is too old");
  EXPECT_EQ(verifyRequest(c, h, R"({"test": 2432232314})", 1614265330000 - 301000), "timestamp is in the future");
}

TEST(AuthTest, StripeAcceptsAnyMatchingV1AndAnySecret) {
  AuthConfig c = parse(R"({"scheme":"stripe","secrets":["old","new"],"tolerance_seconds":10})");
  std::string body = "{}";
  std::string good = crypto::hexEncode(crypto::hmacSha256("new", "100." + body));
  EXPECT_FALSE(verifyRequest(c, headers({{"Stripe-Signature", "t=100,v1=00,v1=" + good + ",v0=zz"}}), body, 105000));
  EXPECT_TRUE(verifyRequest(c, headers({{"Stripe-Signature", "t=100,v1=" + good}}), body, 111000));
  EXPECT_TRUE(verifyRequest(c, headers({{"Stripe-Signature", "t=101,v1=" + good}}), body, 101000));
  EXPECT_TRUE(verifyRequest(c, headers({{"Stripe-Signature", "v1=" + good}}), body, 100000));
}

TEST(AuthTest, SlackHmacAndBearer) {
  AuthConfig slack = parse(R"({"scheme":"slack","secrets":["s"]})");
  std::string sig = "v0=" + crypto::hexEncode(crypto::hmacSha256("s", "v0:50:body"));
  EXPECT_FALSE(verifyRequest(slack, headers({{"X-Slack-Signature", sig}, {"X-Slack-Request-Timestamp", "50"}}), "body",
                             50000));
  EXPECT_TRUE(verifyRequest(slack, headers({{"X-Slack-Signature", sig}}), "body", 50000));

  AuthConfig hm = parse(R"({"scheme":"hmac","secrets":["k"],"header":"X-Sig","encoding":"base64"})");
  std::string b64 = crypto::base64Encode(crypto::hmacSha256("k", "payload"));
  EXPECT_FALSE(verifyRequest(hm, headers({{"X-Sig", b64}}), "payload", 0));
  EXPECT_TRUE(verifyRequest(hm, headers({{"X-Sig", b64}}), "payload!", 0));

  AuthConfig bearer = parse(R"({"scheme":"bearer","tokens":["a-token","b"]})");
  EXPECT_FALSE(verifyRequest(bearer, headers({{"Authorization", "Bearer b"}}), "", 0));
  EXPECT_TRUE(verifyRequest(bearer, headers({{"Authorization", "Bearer a-toke"}}), "", 0));
  EXPECT_TRUE(verifyRequest(bearer, headers({{"Authorization", "Basic YTpi"}}), "", 0));
}

TEST(AuthTest, RefusesIncompleteConfigs) {
  for (const char* bad : {R"({})", R"({"scheme":"magic"})", R"({"scheme":"github"})", R"({"scheme":"github","secrets":[]})",
                          R"({"scheme":"standard","secrets":["plain"]})", R"({"scheme":"hmac","secrets":["k"]})",
                          R"({"scheme":"hmac","secrets":["k"],"header":"X","algorithm":"md5"})",
                          R"({"scheme":"hmac","secrets":["k"],"header":"X","signed_payload":"timestamp.body"})",
                          R"({"scheme":"bearer","secrets":["x"]})"}) {
    auto v = parseJson(bad);
    ASSERT_TRUE(v) << bad;
    std::string field;
    std::string message;
    EXPECT_FALSE(parseAuthConfig(*v, field, message)) << bad;
    EXPECT_FALSE(message.empty()) << bad;
  }
}


TEST(AuthTest, RefusesKeysTheSchemeDoesNotRead) {
  struct Case {
    const char* json;
    const char* field;
  };
  for (const Case& c : {Case{R"({"scheme":"hmac","secrets":["k"],"header":"X","signed_text":"timestamp.body"})",
                             "signed_text"},
                        Case{R"({"scheme":"none","secrets":["k"]})", "secrets"},
                        Case{R"({"scheme":"github","secrets":["k"],"tolerance_seconds":5})", "tolerance_seconds"},
                        Case{R"({"scheme":"bearer","tokens":["t"],"header":"X"})", "header"},
                        Case{R"({"scheme":"stripe","secrets":["k"],"algorithm":"sha512"})", "algorithm"}}) {
    auto v = parseJson(c.json);
    ASSERT_TRUE(v) << c.json;
    std::string field;
    std::string message;
    EXPECT_FALSE(parseAuthConfig(*v, field, message)) << c.json;
    EXPECT_EQ(field, c.field) << c.json;
    EXPECT_NE(message.find("not a setting"), std::string::npos) << message;
  }
  // Every key each scheme reads is still accepted.
  parse(R"({"scheme":"hmac","secrets":["k"],"tolerance_seconds":9,"algorithm":"sha512","header":"X-Sig",)"
        R"("encoding":"base64","prefix":"v1=","timestamp_header":"X-Ts","signed_payload":"timestamp.body"})");
  parse(R"({"scheme":"slack","secrets":["k"],"tolerance_seconds":9})");
}

TEST(AuthTest, TimestampHeaderOutsideTheSignedPayloadIsRefused) {
  auto v = parseJson(R"({"scheme":"hmac","secrets":["k"],"header":"X-Sig","timestamp_header":"X-Ts"})");
  ASSERT_TRUE(v);
  std::string field;
  std::string message;
  EXPECT_FALSE(parseAuthConfig(*v, field, message));
  EXPECT_EQ(field, "timestamp_header");
  EXPECT_NE(message.find("not part of the signed payload"), std::string::npos) << message;
  v = parseJson(R"({"scheme":"hmac","secrets":["k"],"header":"X-Sig","timestamp_header":"X-Ts","signed_payload":"body"})");
  ASSERT_TRUE(v);
  EXPECT_FALSE(parseAuthConfig(*v, field, message));
  EXPECT_EQ(field, "timestamp_header");
}

TEST(AuthTest, ExtremeTimestampsAreRefusedWithoutOverflow) {
  AuthConfig slack = parse(R"({"scheme":"slack","secrets":["s"]})");
  for (const std::string ts : {"-9223372036854775808", "9223372036854775807"}) {
    std::string sig = "v0=" + crypto::hexEncode(crypto::hmacSha256("s", "v0:" + ts + ":body"));
    auto why = verifyRequest(slack, headers({{"X-Slack-Signature", sig}, {"X-Slack-Request-Timestamp", ts}}), "body", 500);
    ASSERT_TRUE(why) << ts << " was accepted";
    EXPECT_NE(why->find("timestamp"), std::string::npos) << *why;
  }
  auto v = parseJson(R"({"scheme":"slack","secrets":["s"],"tolerance_seconds":9223372036854775807})");
  std::string field;
  std::string message;
  EXPECT_FALSE(parseAuthConfig(*v, field, message));
  EXPECT_EQ(field, "tolerance_seconds");
}

}  // namespace
}  // namespace streamhost::plugins::webhook
