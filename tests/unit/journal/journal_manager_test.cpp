#include "journal/journal_manager.h"

#include <gtest/gtest.h>

#include "support/temp_dir.h"
#include "unit/journal/journal_test_util.h"

namespace streamhost::journal {
namespace {

TEST(JournalManagerTest, OpensOneJournalPerPipelineAndRemovesIt) {
  testing::TempDir dir;
  JournalManager m(dir.path(), testutil::fastOptions());
  auto a = m.open("pl_A");
  ASSERT_TRUE(a.isOk()) << a.status().toString();
  auto again = m.open("pl_A");
  ASSERT_TRUE(again.isOk());
  EXPECT_EQ(a->get(), again->get());
  ASSERT_TRUE((*a)->appendDurable("s", testutil::makeRecords(2)).isOk());
  EXPECT_TRUE(std::filesystem::is_directory(dir.path() / "journal" / "pl_A"));
  EXPECT_EQ(m.find("pl_B"), nullptr);

  m.close("pl_A");
  EXPECT_EQ(m.find("pl_A"), nullptr);
  auto reopened = m.open("pl_A");
  ASSERT_TRUE(reopened.isOk());
  EXPECT_EQ((*reopened)->headSeq(), 2u);

  ASSERT_TRUE(m.remove("pl_A").isOk());
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "journal" / "pl_A"));
}

TEST(JournalManagerTest, RejectsIdsThatAreNotSafeDirectoryNames) {
  testing::TempDir dir;
  JournalManager m(dir.path(), testutil::fastOptions());
  EXPECT_EQ(m.open("../etc").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(m.open("").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(m.remove("a/b").code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace streamhost::journal
