#include "pgoutput.h"

#include <gtest/gtest.h>
#include <streamhost/plugin_sdk.hpp>

#include <string>
#include <vector>

#include "pgoutput_builder.h"
#include "value_codec.h"

namespace streamhost::pgcdc {
namespace {

using testing::Msg;
using testing::relationMsg;

std::string describe(const Tuple* t) {
  if (t == nullptr) {
    return "-";
  }
  std::string out = "[";
  for (size_t i = 0; i < t->size(); ++i) {
    out += i > 0 ? "," : "";
    out += (*t)[i].kind;
    if ((*t)[i].kind == 't') {
      out += ":" + std::string((*t)[i].text);
    }
  }
  return out + "]";
}

/// Writes every event as one line; keeps streamed messages for replay.
class Recorder : public DecoderEvents {
 public:
  std::vector<std::string> lines;
  std::vector<std::pair<std::string, Lsn>> streamed;

  void onBegin(Lsn final_lsn, int64_t ts, uint32_t xid) override {
    lines.push_back("begin " + formatLsn(final_lsn) + " ts=" + std::to_string(ts) + " xid=" + std::to_string(xid));
  }
  void onCommit(Lsn commit_lsn, Lsn end_lsn, int64_t ts) override {
    lines.push_back("commit " + formatLsn(commit_lsn) + " end=" + formatLsn(end_lsn) + " ts=" + std::to_string(ts));
  }
  void onRelation(Relation& rel) override {
    std::string s = "relation " + std::to_string(rel.id) + " " + rel.schema + "." + rel.table + " " + rel.identity;
    for (const Column& c : rel.columns) {
      s += " " + c.name + ":" + std::to_string(c.type_oid) + (c.identity ? ":id" : "") + (c.key ? ":key" : "");
    }
    lines.push_back(s + " " + rel.source_tail);
  }
  void onChange(char op, const Relation& rel, const Tuple* old_tuple, char old_kind, const Tuple* new_tuple,
                Lsn lsn) override {
    lines.push_back(std::string(1, op) + " " + rel.table + " old" + (old_kind != 0 ? std::string(1, old_kind) : "") +
                    "=" + describe(old_tuple) + " new=" + describe(new_tuple) + " @" + formatLsn(lsn));
  }
  void onTruncate(const std::vector<const Relation*>& rels, Lsn lsn) override {
    std::string s = "truncate";
    for (const Relation* r : rels) {
      s += " " + r->table;
    }
    lines.push_back(s + " @" + formatLsn(lsn));
  }
  void onStreamed(uint32_t xid, std::string_view message, Lsn lsn) override {
    lines.push_back("streamed xid=" + std::to_string(xid) + " " + message[0] + " @" + formatLsn(lsn));
    streamed.emplace_back(std::string(message), lsn);
  }
  void onStreamCommit(uint32_t xid, Lsn commit_lsn, Lsn end_lsn, int64_t ts) override {
    lines.push_back("stream commit xid=" + std::to_string(xid) + " " + formatLsn(commit_lsn) +
                    " end=" + formatLsn(end_lsn) + " ts=" + std::to_string(ts));
  }
  void onStreamAbort(uint32_t xid, uint32_t subxid) override {
    lines.push_back("stream abort xid=" + std::to_string(xid) + " sub=" + std::to_string(subxid));
  }
};

using Lines = std::vector<std::string>;

class PgOutputTest : public ::testing::Test {
 protected:
  void describeTable() {
    decoder_.handle(relationMsg(16384, "public", "t", 'd',
                                {{"id", oid::kInt4, true}, {"name", oid::kText, false}, {"big", oid::kText, false}}),
                    0x10);
    rec_.lines.clear();
  }
  /// The status of the sdk::Error handling `message` throws, 0 when none.
  sh_status_t errorOf(const std::string& message) {
    try {
      decoder_.handle(message, 0x99);
    } catch (const sdk::Error& e) {
      return e.code();
    }
    return 0;
  }

  Recorder rec_;
  PgOutputDecoder decoder_{rec_};
};

TEST_F(PgOutputTest, BeginAndCommit) {
  decoder_.handle(Msg('B').u64(0x16B3748).u64(757382400000000).u32(745).str(), 0x10);
  decoder_.handle(Msg('C').u8(0).u64(0x16B3748).u64(0x16B3780).u64(757382400000001).str(), 0x20);
  EXPECT_EQ(rec_.lines, (Lines{"begin 0/16B3748 ts=757382400000000 xid=745",
                               "commit 0/16B3748 end=0/16B3780 ts=757382400000001"}));
}

TEST_F(PgOutputTest, RelationKeysFromIdentityFlags) {
  decoder_.handle(relationMsg(7, "sales", "orders", 'd',
                              {{"tenant", oid::kInt8, true}, {"id", oid::kInt4, true}, {"note", oid::kText, false}}),
                  0x10);
  EXPECT_EQ(rec_.lines, (Lines{"relation 7 sales.orders d tenant:20:id:key id:23:id:key note:25 "
                               R"(,"schema":"sales","table":"orders")"}));
  const Relation* rel = decoder_.relation(7);
  ASSERT_NE(rel, nullptr);
  EXPECT_EQ(rel->columns[0].json_key, R"("tenant":)");
  EXPECT_EQ(decoder_.relation(8), nullptr);
}

TEST_F(PgOutputTest, RelationIsReplacedWhenDescribedAgain) {
  describeTable();
  decoder_.handle(relationMsg(16384, "public", "t", 'f', {{"id", oid::kInt8, true}}), 0x20);
  const Relation* rel = decoder_.relation(16384);
  ASSERT_NE(rel, nullptr);
  EXPECT_EQ(rel->identity, 'f');
  ASSERT_EQ(rel->columns.size(), 1u);
  EXPECT_EQ(rel->columns[0].type_oid, oid::kInt8);
}

TEST_F(PgOutputTest, InsertWithNullAndText) {
  describeTable();
  decoder_.handle(Msg('I').u32(16384).u8('N').tuple({{'t', "1"}, {'n', ""}, {'t', ""}}).str(), 0x30);
  EXPECT_EQ(rec_.lines, (Lines{"c t old=- new=[t:1,n,t:] @0/30"}));
}

TEST_F(PgOutputTest, UpdateWithoutOldTupleAndUnchangedToast) {
  describeTable();
  decoder_.handle(Msg('U').u32(16384).u8('N').tuple({{'t', "1"}, {'t', "x"}, {'u', ""}}).str(), 0x30);
  EXPECT_EQ(rec_.lines, (Lines{"u t old=- new=[t:1,t:x,u] @0/30"}));
}

TEST_F(PgOutputTest, UpdateWithKeyOldTuple) {
  describeTable();
  decoder_.handle(
      Msg('U').u32(16384).u8('K').tuple({{'t', "1"}, {'n', ""}, {'n', ""}})
          .u8('N').tuple({{'t', "2"}, {'t', "x"}, {'u', ""}}).str(),
      0x30);
  EXPECT_EQ(rec_.lines, (Lines{"u t oldK=[t:1,n,n] new=[t:2,t:x,u] @0/30"}));
}

TEST_F(PgOutputTest, UpdateWithWholeOldRow) {
  describeTable();
  decoder_.handle(
      Msg('U').u32(16384).u8('O').tuple({{'t', "1"}, {'t', "a"}, {'t', "b"}})
          .u8('N').tuple({{'t', "1"}, {'t', "c"}, {'t', "b"}}).str(),
      0x30);
  EXPECT_EQ(rec_.lines, (Lines{"u t oldO=[t:1,t:a,t:b] new=[t:1,t:c,t:b] @0/30"}));
}

TEST_F(PgOutputTest, Delete) {
  describeTable();
  decoder_.handle(Msg('D').u32(16384).u8('K').tuple({{'t', "1"}, {'n', ""}, {'n', ""}}).str(), 0x30);
  decoder_.handle(Msg('D').u32(16384).u8('O').tuple({{'t', "2"}, {'t', "x"}, {'n', ""}}).str(), 0x40);
  EXPECT_EQ(rec_.lines, (Lines{"d t oldK=[t:1,n,n] new=- @0/30", "d t oldO=[t:2,t:x,n] new=- @0/40"}));
}

TEST_F(PgOutputTest, TruncateNamesEveryRelation) {
  describeTable();
  decoder_.handle(relationMsg(20, "public", "u", 'd', {{"id", oid::kInt4, true}}), 0x20);
  rec_.lines.clear();
  decoder_.handle(Msg('T').u32(2).u8(1).u32(16384).u32(20).str(), 0x30);
  EXPECT_EQ(rec_.lines, (Lines{"truncate t u @0/30"}));
}

TEST_F(PgOutputTest, OriginAndTypeAreIgnored) {
  decoder_.handle(Msg('O').u64(0x500).cstr("node_a").str(), 0x10);
  decoder_.handle(Msg('Y').u32(70000).cstr("public").cstr("mood").str(), 0x10);
  EXPECT_TRUE(rec_.lines.empty());
}

TEST_F(PgOutputTest, StreamedBlockGoesToOnStreamedWithTopLevelXid) {
  decoder_.handle(Msg('S').u32(900).u8(1).str(), 0x10);
  EXPECT_TRUE(decoder_.inStreamBlock());
  uint32_t sub = 901;
  decoder_.handle(relationMsg(16384, "public", "t", 'd', {{"id", oid::kInt4, true}}, &sub), 0x20);
  decoder_.handle(Msg('I').u32(901).u32(16384).u8('N').tuple({{'t', "5"}}).str(), 0x30);
  decoder_.handle(Msg('T').u32(900).u32(1).u8(0).u32(16384).str(), 0x40);
  decoder_.handle(Msg('E').str(), 0x50);
  EXPECT_FALSE(decoder_.inStreamBlock());
  decoder_.handle(Msg('c').u32(900).u8(0).u64(0x60).u64(0x68).u64(1234).str(), 0x60);
  EXPECT_EQ(rec_.lines, (Lines{"streamed xid=900 R @0/20", "streamed xid=900 I @0/30", "streamed xid=900 T @0/40",
                               "stream commit xid=900 0/60 end=0/68 ts=1234"}));
  EXPECT_EQ(decoder_.relation(16384), nullptr);  // described only on replay
}

TEST_F(PgOutputTest, ReplayDecodesKeptMessages) {
  decoder_.handle(Msg('S').u32(900).u8(1).str(), 0x10);
  uint32_t sub = 901;
  decoder_.handle(relationMsg(16384, "public", "t", 'd', {{"id", oid::kInt4, true}}, &sub), 0x20);
  decoder_.handle(Msg('I').u32(901).u32(16384).u8('N').tuple({{'t', "5"}}).str(), 0x30);
  decoder_.handle(Msg('D').u32(900).u32(16384).u8('K').tuple({{'t', "5"}}).str(), 0x40);
  decoder_.handle(Msg('E').str(), 0x50);
  rec_.lines.clear();
  for (const auto& [message, lsn] : rec_.streamed) {
    decoder_.replay(message, lsn);
  }
  EXPECT_EQ(rec_.lines, (Lines{"relation 16384 public.t d id:23:id:key " R"(,"schema":"public","table":"t")",
                               "c t old=- new=[t:5] @0/30", "d t oldK=[t:5] new=- @0/40"}));
}

TEST_F(PgOutputTest, StreamAbort) {
  decoder_.handle(Msg('A').u32(900).u32(905).str(), 0x10);
  EXPECT_EQ(rec_.lines, (Lines{"stream abort xid=900 sub=905"}));
}

TEST_F(PgOutputTest, UnknownRelationThrowsInternal) {
  EXPECT_EQ(errorOf(Msg('I').u32(42).u8('N').tuple({{'t', "1"}}).str()), SH_ERR_INTERNAL);
  EXPECT_EQ(errorOf(Msg('T').u32(1).u8(0).u32(42).str()), SH_ERR_INTERNAL);
  try {
    decoder_.handle(Msg('D').u32(42).u8('K').tuple({{'t', "1"}}).str(), 0x99);
    FAIL() << "no error";
  } catch (const sdk::Error& e) {
    EXPECT_STREQ(e.what(), "pgoutput message 'D' names relation 42 that was never described");
  }
}

TEST_F(PgOutputTest, TruncatedMessagesThrowInternal) {
  describeTable();
  std::string insert = Msg('I').u32(16384).u8('N').tuple({{'t', "hello"}, {'n', ""}, {'n', ""}}).str();
  for (size_t len = 1; len < insert.size(); ++len) {
    EXPECT_EQ(errorOf(insert.substr(0, len)), SH_ERR_INTERNAL) << len;
  }
  EXPECT_EQ(errorOf(Msg('B').u64(1).str()), SH_ERR_INTERNAL);
  EXPECT_EQ(errorOf(Msg('R').u32(1).cstr("public").str()), SH_ERR_INTERNAL);  // no NUL after the table
  EXPECT_EQ(errorOf(Msg('C').u8(0).u64(1).str()), SH_ERR_INTERNAL);
  try {
    decoder_.handle(Msg('B').u64(1).str(), 0x99);
  } catch (const sdk::Error& e) {
    EXPECT_STREQ(e.what(), "malformed pgoutput message 'B' (9 bytes)");
  }
}

TEST_F(PgOutputTest, TruncatedStreamedMessageThrowsInternal) {
  decoder_.handle(Msg('S').u32(900).u8(1).str(), 0x10);
  EXPECT_EQ(errorOf(Msg('I').u8(0).u8(0).str()), SH_ERR_INTERNAL);
  EXPECT_TRUE(rec_.lines.empty());
}

TEST_F(PgOutputTest, BadTupleKindsAndUnknownTypesThrowInternal) {
  describeTable();
  EXPECT_EQ(errorOf(Msg('I').u32(16384).u8('X').tuple({}).str()), SH_ERR_INTERNAL);
  EXPECT_EQ(errorOf(Msg('I').u32(16384).u8('N').u16(1).u8('z').str()), SH_ERR_INTERNAL);
  EXPECT_EQ(errorOf(Msg('D').u32(16384).u8('N').tuple({}).str()), SH_ERR_INTERNAL);
  EXPECT_EQ(errorOf(Msg('Z').str()), SH_ERR_INTERNAL);
  EXPECT_EQ(errorOf(""), SH_ERR_INTERNAL);
  EXPECT_TRUE(rec_.lines.empty());
}

}  // namespace
}  // namespace streamhost::pgcdc
