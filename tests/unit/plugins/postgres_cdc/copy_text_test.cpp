#include "copy_text.h"

#include <gtest/gtest.h>

namespace streamhost::pgcdc {
namespace {

Tuple split(std::string_view row, size_t columns, std::string& scratch, bool* ok = nullptr) {
  Tuple t(columns);
  bool r = splitCopyRow(row, scratch, t);
  if (ok != nullptr) {
    *ok = r;
  }
  return t;
}

TEST(CopyTextTest, SplitsFieldsAndTellsNullFromTheTextBackslashN) {
  std::string scratch;
  bool ok = false;
  Tuple t = split("1\t\\N\t\\\\N\t\n", 4, scratch, &ok);
  ASSERT_TRUE(ok);
  EXPECT_EQ(t[0].kind, 't');
  EXPECT_EQ(t[0].text, "1");
  EXPECT_EQ(t[1].kind, 'n');
  EXPECT_EQ(t[2].kind, 't');
  EXPECT_EQ(t[2].text, "\\N");  // an escaped backslash then N is the two-character text
  EXPECT_EQ(t[3].kind, 't');
  EXPECT_EQ(t[3].text, "");
}

TEST(CopyTextTest, UnescapesEverySequenceTheServerWrites) {
  std::string scratch;
  bool ok = false;
  Tuple t = split("a\\tb\\nc\\rd\\\\e\\bf\\fg\\vh\tplain\t\\101\\x41\\x4a\\q", 3, scratch, &ok);
  ASSERT_TRUE(ok);
  EXPECT_EQ(t[0].text, std::string("a\tb\nc\rd\\e\bf\fg\vh"));
  EXPECT_EQ(t[1].text, "plain");
  EXPECT_EQ(t[2].text, "AAJq");
}

TEST(CopyTextTest, EarlierFieldsStayValidWhileLaterOnesAreUnescaped) {
  std::string scratch = "leftover from the row before";
  Tuple t = split("x\\ty\tz\\\\w\t\\n", 3, scratch);
  EXPECT_EQ(t[0].text, "x\ty");
  EXPECT_EQ(t[1].text, "z\\w");
  EXPECT_EQ(t[2].text, "\n");
}

TEST(CopyTextTest, AFieldCountOtherThanTheColumnsIsRefused) {
  std::string scratch;
  bool ok = true;
  split("1\t2\n", 3, scratch, &ok);
  EXPECT_FALSE(ok);
  split("1\t2\t3\t4\n", 3, scratch, &ok);
  EXPECT_FALSE(ok);
  split("\n", 0, scratch, &ok);
  EXPECT_TRUE(ok);
  split("\n", 1, scratch, &ok);  // one empty text field
  EXPECT_TRUE(ok);
}

}  // namespace
}  // namespace streamhost::pgcdc
