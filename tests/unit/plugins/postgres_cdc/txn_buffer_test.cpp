#include "txn_buffer.h"

#include <gtest/gtest.h>
#include <streamhost/plugin_sdk.hpp>

#include <cstdlib>
#include <filesystem>

#include <string>
#include <vector>

#include "support/temp_dir.h"

namespace streamhost::pgcdc {
namespace {

std::vector<std::pair<Lsn, std::string>> drain(TxnBuffer& b) {
  std::vector<std::pair<Lsn, std::string>> out;
  Lsn lsn = 0;
  std::string m;
  while (b.next(lsn, m)) {
    out.emplace_back(lsn, m);
  }
  return out;
}

TEST(TxnBufferTest, KeepsSmallTransactionsInMemory) {
  TxnBuffer b(1024);
  b.append(1, "one");
  b.append(2, std::string("t\0o", 3));
  EXPECT_EQ(b.messages(), 2u);
  EXPECT_EQ(b.spilledBytes(), 0u);
  auto got = drain(b);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], (std::pair<Lsn, std::string>{1, "one"}));
  EXPECT_EQ(got[1], (std::pair<Lsn, std::string>{2, std::string("t\0o", 3)}));
}

TEST(TxnBufferTest, SpillsPastTheLimitAndReadsEverythingBackInOrder) {
  TxnBuffer b(10);
  std::vector<std::pair<Lsn, std::string>> sent;
  for (Lsn i = 1; i <= 500; ++i) {
    std::string m(i % 7 == 0 ? 0 : static_cast<size_t>(i), static_cast<char>('a' + i % 26));
    b.append(i, m);
    sent.emplace_back(i, m);
  }
  EXPECT_GT(b.spilledBytes(), 0u);
  EXPECT_EQ(b.messages(), 500u);
  EXPECT_EQ(drain(b), sent);
  Lsn lsn = 0;
  std::string m;
  EXPECT_FALSE(b.next(lsn, m)) << "read once";
}

TEST(TxnBufferTest, ZeroLimitSpillsEverything) {
  TxnBuffer b(0);
  b.append(7, "x");
  EXPECT_EQ(b.spilledBytes(), 16u + 1u);
  EXPECT_EQ(drain(b), (std::vector<std::pair<Lsn, std::string>>{{7, "x"}}));
}

TEST(TxnBufferTest, SpillFileLivesInTmpdirAndLeavesNoName) {
  streamhost::testing::TempDir dir;
  ASSERT_EQ(::setenv("TMPDIR", dir.path().c_str(), 1), 0);
  {
    TxnBuffer b(0);
    b.append(1, "spilled");
    EXPECT_TRUE(std::filesystem::is_empty(dir.path())) << "the temp file has no name";
    EXPECT_EQ(drain(b).size(), 1u);
  }
  ::unsetenv("TMPDIR");
}

TEST(TxnBufferTest, UnwritableTmpdirIsATransientError) {
  ASSERT_EQ(::setenv("TMPDIR", "/nonexistent/streamhost", 1), 0);
  TxnBuffer b(0);
  try {
    b.append(1, "x");
    ADD_FAILURE() << "expected an error";
  } catch (const sdk::Error& e) {
    EXPECT_EQ(e.code(), SH_ERR_TRANSIENT);
    EXPECT_NE(std::string(e.what()).find("TMPDIR"), std::string::npos) << e.what();
  }
  ::unsetenv("TMPDIR");
}

TEST(TxnBufferTest, RemembersAbortedSubtransactions) {
  TxnBuffer b;
  b.abortSubtransaction(42);
  EXPECT_TRUE(b.isAborted(42));
  EXPECT_FALSE(b.isAborted(43));
}

}  // namespace
}  // namespace streamhost::pgcdc
