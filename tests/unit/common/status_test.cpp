#include "common/status.h"

#include <gtest/gtest.h>

namespace streamhost {
namespace {

TEST(StatusTest, FromAbiKeepsKnownCodesAndMessage) {
  Status s = Status::fromAbi(SH_ERR_INVALID_CONFIG, "bad slot", "slot_name");
  EXPECT_EQ(s.code(), StatusCode::kInvalidConfig);
  EXPECT_EQ(s.message(), "bad slot");
  EXPECT_EQ(s.field(), "slot_name");
  EXPECT_FALSE(s.isOk());
}

TEST(StatusTest, FromAbiMapsUnknownCodesByRange) {
  EXPECT_EQ(Status::fromAbi(-150, "x").code(), StatusCode::kTransient);
  EXPECT_TRUE(Status::fromAbi(-150, "x").retriable());
  EXPECT_EQ(Status::fromAbi(-250, "x").code(), StatusCode::kFatal);
  EXPECT_EQ(Status::fromAbi(-42, "x").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Status::fromAbi(-999, "x").code(), StatusCode::kInternal);
  EXPECT_EQ(Status::fromAbi(7, "x").code(), StatusCode::kInternal);
}

TEST(StatusTest, FromAbiFillsEmptyMessageWithCodeName) {
  EXPECT_EQ(Status::fromAbi(SH_ERR_BUSY, "").message(), "SH_ERR_BUSY");
  EXPECT_TRUE(Status::fromAbi(SH_OK, "ignored").isOk());
}

TEST(ResultTest, HoldsValueOrStatus) {
  Result<int> ok(5);
  ASSERT_TRUE(ok.isOk());
  EXPECT_EQ(*ok, 5);
  EXPECT_TRUE(ok.status().isOk());
  Result<int> bad(notFound("no such stream"));
  ASSERT_FALSE(bad.isOk());
  EXPECT_EQ(bad.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(bad.status().toString(), "NOT_FOUND: no such stream");
}

}  // namespace
}  // namespace streamhost
