// Rows written by a real MariaDB, read back through the replication protocol
// and decoded by the connector's own decoder, compared with exact values.
#include <gtest/gtest.h>

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "binlog_event.h"
#include "binlog_reader.h"
#include "byte_reader.h"
#include "cdc_source.h"
#include "row_encoder.h"
#include "server_check.h"
#include "support/mariadb_server.h"
#include "table_schema.h"

namespace streamhost::mycdc {
namespace {

using testing::MariaDbServer;

class BinlogTypesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { startServer({}); }
  static void startServer(testing::MariaDbOptions options) {
    server_ = std::make_unique<MariaDbServer>(options);
    if (auto r = server_->start(); !r) {
      start_error_ = r.message();  // reported by SetUp: a suite-level failure would only skip the tests
      server_.reset();
    }
  }
  static void TearDownTestSuite() { server_.reset(); }
  void SetUp() override { ASSERT_TRUE(server_) << "MariaDB did not start: " << start_error_; }
  void TearDown() override {
    if (server_) {
      server_->printLogIfFailed();
    }
  }

  static ConnSettings settings() {
    ConnSettings s;
    s.host = server_->host();
    s.port = server_->port();
    s.user = "root";
    s.ssl_mode = SslMode::kDisabled;
    return s;
  }

  /// One decoded row change.
  struct Change {
    char op;
    std::string table;
    std::string before;
    std::string after;
    std::string key;
  };

  /// Runs `sql` statements and returns the row changes they produced, decoded.
  std::vector<Change> changesOf(const std::vector<std::string>& statements) {
    MySession admin(settings(), "test");
    BinlogEnd from = binlogEnd(admin);
    for (const auto& sql : statements) {
      EXPECT_TRUE(server_->exec(sql)) << sql;
    }
    BinlogEnd to = binlogEnd(admin);
    ServerCharsets charsets;
    charsets.load(admin);
    BinlogReader reader(settings(), {from.file, from.pos, 4242, 0});
    bool crc = reader.checksummed();
    std::vector<uint8_t> post;
    std::map<uint64_t, TableSchema> schemas;
    std::vector<Change> out;
    std::string file = from.file;
    std::deque<std::string> events;
    bool done = false;
    while (!done) {
      if (events.empty()) {
        reader.take(events, 5000);
        if (events.empty()) {
          ADD_FAILURE() << "no more events before " << to.file << ":" << to.pos;
          break;
        }
      }
      std::string raw = std::move(events.front());
      events.pop_front();
      Event e = parseEvent(raw, crc, file);
      if (e.header.type == ev::kFormatDescription) {
        auto fd = parseFormatDescription(raw);
        crc = fd.checksum;
        post = fd.post_header;
      } else if (e.header.type == ev::kRotate) {
        file = parseRotate(e.body).file;
      } else if (e.header.type == ev::kTableMap) {
        TableMap map = parseTableMap(e.body, post.at(ev::kTableMap - 1));
        std::vector<CatalogColumn> catalog = catalogOf(admin, map.db, map.table);
        schemas[map.table_id] = buildSchema(map, catalog, charsets);
      } else if (isRowsEvent(e.header.type)) {
        RowsHeader h = parseRowsHeader(e.body, e.header.type, post.at(e.header.type - 1));
        const TableSchema& s = schemas.at(h.table_id);
        ByteReader r(h.rows);
        char op = rowsOp(e.header.type);
        while (!r.empty()) {
          RowImage before, after;
          if (op != 'c') decodeImage(r, s, h.present, before);
          if (op == 'c') decodeImage(r, s, h.present, after);
          if (op == 'u') decodeImage(r, s, h.present_after, after);
          std::string key, value;
          encodeChange(op, s, op == 'c' ? nullptr : &before, op == 'd' ? nullptr : &after, {}, 0, key, value);
          out.push_back({op, s.table, before.json, after.json, key});
        }
      }
      done = file == to.file && e.header.next_pos >= to.pos;
    }
    return out;
  }

  static std::vector<CatalogColumn> catalogOf(MySession& s, const std::string& db, const std::string& table) {
    std::vector<CatalogColumn> cols;
    for (const auto& r : s.query("SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, CHARACTER_SET_NAME, COLUMN_KEY FROM "
                                 "information_schema.COLUMNS WHERE TABLE_SCHEMA='" + db + "' AND TABLE_NAME='" +
                                     table + "' ORDER BY ORDINAL_POSITION",
                                 "catalog")) {
      CatalogColumn c{r[0].value_or(""), r[1].value_or(""), r[2].value_or(""), r[3].value_or(""),
                      r[4].value_or("") == "PRI", false};
      cols.push_back(c);
    }
    for (const auto& r : s.query("SELECT CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS WHERE "
                                 "CONSTRAINT_SCHEMA='" + db + "' AND TABLE_NAME='" + table + "'",
                                 "checks")) {
      for (auto& c : cols) {
        if (r[0].value_or("") == "json_valid(`" + c.name + "`)") c.json = true;
      }
    }
    return cols;
  }

  void checkEveryType();
  static inline std::unique_ptr<MariaDbServer> server_;
  static inline std::string start_error_;
};

/// binlog_row_metadata=MINIMAL: names and labels from the catalogue, signedness still from the event.
class BinlogTypesMinimalTest : public BinlogTypesTest {
 protected:
  static void SetUpTestSuite() {
    testing::MariaDbOptions o;
    o.binlog_row_metadata = "MINIMAL";
    startServer(o);
  }
};

TEST_F(BinlogTypesTest, EveryColumnTypeDecodesExactly) { checkEveryType(); }
TEST_F(BinlogTypesMinimalTest, EveryColumnTypeDecodesExactlyWithMinimalMetadata) { checkEveryType(); }

void BinlogTypesTest::checkEveryType() {
  auto changes = changesOf({
      "CREATE DATABASE IF NOT EXISTS types",
      "CREATE TABLE types.t (id INT PRIMARY KEY, ti TINYINT, tu TINYINT UNSIGNED, si SMALLINT, su SMALLINT UNSIGNED,"
      " mi MEDIUMINT, mu MEDIUMINT UNSIGNED, i INT, iu INT UNSIGNED, bi BIGINT, bu BIGINT UNSIGNED, y YEAR,"
      " d1 DECIMAL(10,2), d2 DECIMAL(30,10), f FLOAT, db DOUBLE, bt BIT(10), dt DATE, tm TIME(3), tm0 TIME,"
      " dtm DATETIME(6), dtm0 DATETIME, ts TIMESTAMP(2) NULL, c CHAR(5), vc VARCHAR(300), tx TEXT,"
      " l1 VARCHAR(10) CHARACTER SET latin1, bin BINARY(4), vb VARBINARY(10), bl BLOB, e ENUM('a','b','c'),"
      " s SET('x','y','z'), j JSON, g GEOMETRY, n INT NULL) DEFAULT CHARSET=utf8mb4",
      "SET time_zone = '+00:00'",
      "INSERT INTO types.t VALUES (1, -128, 255, -32768, 65535, -8388608, 16777215, -2147483648, 4294967295,"
      " -9223372036854775808, 18446744073709551615, 2155, -12345678.91, -12345678901234567890.0123456789,"
      " 1.1, -2.5e-300, b'1010101010', '2024-02-29', '-838:59:58.123', '23:00:01', '2024-01-02 03:04:05.123456',"
      " '1000-01-01 00:00:00', '2038-01-19 03:14:07.99', 'ab', REPEAT('x', 300), 'naïve ☃ 😀', 'café',"
      " x'0102', x'00ff00', x'deadbeef00', 'b', 'x,z', '{\"a\": 1.10, \"b\": [true, null]}',"
      " ST_GeomFromText('POINT(1 2)', 4326), NULL)",
      "INSERT INTO types.t (id, y, d1, d2, f, db, bt, tm, tm0, e, s) VALUES"
      " (2, 1901, 0.01, 0, 0, 0, b'0', '-00:00:00.5', '838:59:59', 'c', '')",
  });
  ASSERT_EQ(changes.size(), 2u);
  const Change& a = changes[0];
  EXPECT_EQ(a.op, 'c');
  EXPECT_EQ(a.key, "{\"id\":1}");
  EXPECT_EQ(a.after,
            "{\"id\":1,\"ti\":-128,\"tu\":255,\"si\":-32768,\"su\":65535,\"mi\":-8388608,\"mu\":16777215,"
            "\"i\":-2147483648,\"iu\":4294967295,\"bi\":-9223372036854775808,\"bu\":18446744073709551615,"
            "\"y\":2155,\"d1\":\"-12345678.91\",\"d2\":\"-12345678901234567890.0123456789\",\"f\":1.100000023841858,"
            "\"db\":-2.5e-300,\"bt\":682,\"dt\":\"2024-02-29\",\"tm\":\"-838:59:58.123\",\"tm0\":\"23:00:01\","
            "\"dtm\":\"2024-01-02T03:04:05.123456\",\"dtm0\":\"1000-01-01T00:00:00\","
            "\"ts\":\"2038-01-19T03:14:07.99Z\",\"c\":\"ab\",\"vc\":\"" + std::string(300, 'x') + "\","
            "\"tx\":\"naïve ☃ 😀\",\"l1\":\"café\",\"bin\":\"AQIAAA==\",\"vb\":\"AP8A\",\"bl\":\"3q2+7wA=\","
            "\"e\":\"b\",\"s\":[\"x\",\"z\"],\"j\":{\"a\": 1.10, \"b\": [true, null]},"
            "\"g\":{\"srid\":4326,\"wkb\":\"AQEAAAAAAAAAAADwPwAAAAAAAABA\"},\"n\":null}");
  const Change& b = changes[1];
  EXPECT_EQ(b.after,
            "{\"id\":2,\"ti\":null,\"tu\":null,\"si\":null,\"su\":null,\"mi\":null,\"mu\":null,\"i\":null,"
            "\"iu\":null,\"bi\":null,\"bu\":null,\"y\":1901,\"d1\":\"0.01\",\"d2\":\"0.0000000000\",\"f\":0,\"db\":0,"
            "\"bt\":0,\"dt\":null,\"tm\":\"-00:00:00.500\",\"tm0\":\"838:59:59\",\"dtm\":null,\"dtm0\":null,"
            "\"ts\":null,\"c\":null,\"vc\":null,\"tx\":null,\"l1\":null,\"bin\":null,\"vb\":null,\"bl\":null,"
            "\"e\":\"c\",\"s\":[],\"j\":null,\"g\":null,\"n\":null}");
}

TEST_F(BinlogTypesTest, UpdatesCarryBothImagesAndDeletesTheBefore) {
  auto changes = changesOf({
      "CREATE DATABASE IF NOT EXISTS ops",
      "CREATE TABLE ops.t (id BIGINT UNSIGNED PRIMARY KEY, v VARCHAR(20))",
      "INSERT INTO ops.t VALUES (18446744073709551615, 'one'), (2, 'two')",
      "UPDATE ops.t SET v = 'uno' WHERE id = 18446744073709551615",
      "DELETE FROM ops.t WHERE id = 2",
  });
  ASSERT_EQ(changes.size(), 4u);
  EXPECT_EQ(changes[2].op, 'u');
  EXPECT_EQ(changes[2].before, "{\"id\":18446744073709551615,\"v\":\"one\"}");
  EXPECT_EQ(changes[2].after, "{\"id\":18446744073709551615,\"v\":\"uno\"}");
  EXPECT_EQ(changes[2].key, "{\"id\":18446744073709551615}");
  EXPECT_EQ(changes[3].op, 'd');
  EXPECT_EQ(changes[3].before, "{\"id\":2,\"v\":\"two\"}");
  EXPECT_EQ(changes[3].key, "{\"id\":2}");
}

TEST_F(BinlogTypesTest, ZeroDatesStayTheServersText) {
  auto changes = changesOf({
      "CREATE DATABASE IF NOT EXISTS zero",
      "CREATE TABLE zero.t (id INT PRIMARY KEY, d DATE, dt DATETIME(2))",
      "SET SESSION sql_mode = ''",
      "INSERT INTO zero.t VALUES (1, '0000-00-00', '0000-00-00 00:00:00')",
      "SET SESSION sql_mode = DEFAULT",
  });
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].after, "{\"id\":1,\"d\":\"0000-00-00\",\"dt\":\"0000-00-00 00:00:00.00\"}");
}

TEST_F(BinlogTypesTest, HeartbeatsArriveOnAQuietServerAndPassTheirChecksum) {
  MySession admin(settings(), "test");
  BinlogEnd from = binlogEnd(admin);
  BinlogReader reader(settings(), {from.file, from.pos, 4244, 100});
  std::deque<std::string> events;
  int heartbeats = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (heartbeats < 2 && std::chrono::steady_clock::now() < deadline) {
    reader.take(events, 500);
    for (const auto& raw : events) {
      Event e = parseEvent(raw, reader.checksummed(), from.file);
      if (e.header.type == ev::kHeartbeat) {
        ++heartbeats;
        EXPECT_EQ(std::string(e.body), from.file);
        EXPECT_EQ(e.header.next_pos, from.pos);
      }
    }
    events.clear();
  }
  EXPECT_GE(heartbeats, 2);
}

TEST_F(BinlogTypesTest, ChecksumMismatchIsAnErrorNamingTypeAndPosition) {
  MySession admin(settings(), "test");
  BinlogEnd from = binlogEnd(admin);
  ASSERT_TRUE(server_->exec("CREATE DATABASE IF NOT EXISTS crc"));
  BinlogReader reader(settings(), {from.file, from.pos, 4243, 0});
  ASSERT_TRUE(reader.checksummed());
  std::deque<std::string> events;
  while (events.size() < 3) {
    reader.take(events, 5000);
  }
  std::string raw = events.back();
  EXPECT_NO_THROW(parseEvent(raw, true, from.file));
  raw[kHeaderSize] = static_cast<char>(raw[kHeaderSize] ^ 0x01);
  try {
    parseEvent(raw, true, from.file);
    ADD_FAILURE() << "a corrupt event was accepted";
  } catch (const sdk::Error& e) {
    EXPECT_NE(std::string(e.what()).find("CRC32"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(from.file + ":"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace streamhost::mycdc
