#include "common/crypto.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "support/temp_dir.h"

namespace streamhost::crypto {
namespace {

TEST(CryptoTest, Sha256OfAbcMatchesFips180Vector) {
  EXPECT_EQ(sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256("abc").size(), 32u);
}

TEST(CryptoTest, HmacMatchesRfc4231TestCase2) {
  const std::string key = "Jefe";
  const std::string data = "what do ya want for nothing?";
  EXPECT_EQ(hmacHex(HmacAlgorithm::kSha256, key, data),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(hmacHex(HmacAlgorithm::kSha512, key, data),
            "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
            "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737");
  EXPECT_EQ(hexEncode(hmacSha256(key, data)), hmacHex(HmacAlgorithm::kSha256, key, data));
  EXPECT_EQ(hmacSha512(key, data).size(), 64u);
}

TEST(CryptoTest, HmacMatchesRfc4231TestCase1AndAcceptsEmptyKey) {
  EXPECT_EQ(hexEncode(hmacSha256(std::string(20, '\x0b'), "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  // HMAC-SHA256 with an empty key and message (well-known value).
  EXPECT_EQ(hexEncode(hmacSha256("", "")), "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST(CryptoTest, Base64MatchesRfc4648Vectors) {
  const std::pair<std::string, std::string> vectors[] = {
      {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},         {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64Encode(plain), encoded);
    std::optional<std::string> decoded = base64Decode(encoded);
    ASSERT_TRUE(decoded.has_value()) << encoded;
    EXPECT_EQ(*decoded, plain);
  }
}

TEST(CryptoTest, Base64DecodeRejectsMalformedInput) {
  EXPECT_FALSE(base64Decode("Zg=").has_value());    // length
  EXPECT_FALSE(base64Decode("Zg").has_value());     // missing padding
  EXPECT_FALSE(base64Decode("Z===").has_value());   // too much padding
  EXPECT_FALSE(base64Decode("Zh==").has_value());   // non-zero trailing bits
  EXPECT_FALSE(base64Decode("Zm9*").has_value());   // outside the alphabet
  EXPECT_FALSE(base64Decode("Zm=v").has_value());   // padding in the middle
  EXPECT_FALSE(base64Decode(std::string("Zm9\0", 4)).has_value());
}

TEST(CryptoTest, Base64UrlRoundTripsBinaryWithoutPadding) {
  std::string all;
  for (int i = 0; i < 256; ++i) {
    all += char(i);
  }
  std::string enc = base64UrlEncode(all);
  EXPECT_EQ(enc.find_first_of("+/="), std::string::npos);
  EXPECT_EQ(base64UrlDecode(enc), all);
  EXPECT_EQ(base64Decode(base64Encode(all)), all);
  EXPECT_FALSE(base64UrlDecode("a+b").has_value());
}

TEST(CryptoTest, HexRoundTripsAndRejectsBadInput) {
  EXPECT_EQ(hexEncode(std::string("\x00\xff\x10", 3)), "00ff10");
  EXPECT_EQ(hexDecode("00FF10"), std::string("\x00\xff\x10", 3));
  EXPECT_FALSE(hexDecode("abc").has_value());
  EXPECT_FALSE(hexDecode("zz").has_value());
}

TEST(CryptoTest, ConstantTimeEqualsComparesContentAndLength) {
  EXPECT_TRUE(constantTimeEquals("secret", "secret"));
  EXPECT_TRUE(constantTimeEquals("", ""));
  EXPECT_FALSE(constantTimeEquals("secret", "secreT"));
  EXPECT_FALSE(constantTimeEquals("secret", "secret2"));
  EXPECT_FALSE(constantTimeEquals("", "x"));
}

TEST(CryptoTest, RandomBytesHaveRequestedSizeAndDiffer) {
  EXPECT_EQ(randomBytes(0).size(), 0u);
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    std::string r = randomBytes(16);
    ASSERT_EQ(r.size(), 16u);
    seen.insert(r);
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(CryptoTest, AesGcmRoundTripsWithFreshNonces) {
  std::string key = randomBytes(kAesKeySize);
  for (const std::string& plain : {std::string(), std::string("x"), std::string(1000, '\x7f')}) {
    Result<std::string> sealed = sealAesGcm(key, plain, "conn_1");
    ASSERT_TRUE(sealed.isOk()) << sealed.status().toString();
    EXPECT_EQ(sealed->size(), kGcmNonceSize + plain.size() + kGcmTagSize);
    Result<std::string> opened = openAesGcm(key, *sealed, "conn_1");
    ASSERT_TRUE(opened.isOk()) << opened.status().toString();
    EXPECT_EQ(*opened, plain);
  }
  Result<std::string> a = sealAesGcm(key, "same", "");
  Result<std::string> b = sealAesGcm(key, "same", "");
  ASSERT_TRUE(a.isOk() && b.isOk());
  EXPECT_NE(*a, *b);
  EXPECT_EQ(openAesGcm(key, *a, "").value(), "same");
}

TEST(CryptoTest, AesGcmDetectsTamperingWrongKeyAndWrongAad) {
  std::string key = randomBytes(kAesKeySize);
  Result<std::string> sealed = sealAesGcm(key, "hunter2", "conn_1");
  ASSERT_TRUE(sealed.isOk());
  for (size_t i = 0; i < sealed->size(); ++i) {
    std::string bad = *sealed;
    bad[i] = char(bad[i] ^ 0x01);
    EXPECT_FALSE(openAesGcm(key, bad, "conn_1").isOk()) << "flipped byte " << i;
  }
  EXPECT_FALSE(openAesGcm(randomBytes(kAesKeySize), *sealed, "conn_1").isOk());
  EXPECT_FALSE(openAesGcm(key, *sealed, "conn_2").isOk());
  EXPECT_FALSE(openAesGcm(key, sealed->substr(0, 27), "conn_1").isOk());
  EXPECT_EQ(sealAesGcm("short", "x", "").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(openAesGcm("short", *sealed, "").status().code(), StatusCode::kInvalidArgument);
}

std::string readFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(CryptoKeyFileTest, CreatesPrivateKeyOnFirstUseAndReusesIt) {
  testing::TempDir dir;
  std::string path = (dir.path() / "secret.key").string();
  Result<std::string> first = loadOrCreateKeyFile(path);
  ASSERT_TRUE(first.isOk()) << first.status().toString();
  EXPECT_EQ(first->size(), kAesKeySize);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(readFile(path), *first);

  Result<std::string> second = loadOrCreateKeyFile(path);
  ASSERT_TRUE(second.isOk()) << second.status().toString();
  EXPECT_EQ(*second, *first);
  // No temporary files left behind.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 1);
}

TEST(CryptoKeyFileTest, RefusesGroupOrWorldAccessibleKey) {
  testing::TempDir dir;
  std::string path = (dir.path() / "secret.key").string();
  ASSERT_TRUE(loadOrCreateKeyFile(path).isOk());
  ASSERT_EQ(::chmod(path.c_str(), 0640), 0);
  Result<std::string> r = loadOrCreateKeyFile(path);
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidConfig);
  EXPECT_NE(r.status().message().find("0640"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("chmod 600"), std::string::npos) << r.status().message();
  ASSERT_EQ(::chmod(path.c_str(), 0604), 0);
  EXPECT_FALSE(loadOrCreateKeyFile(path).isOk());
}

TEST(CryptoKeyFileTest, RefusesKeyOfWrongSize) {
  testing::TempDir dir;
  std::string path = (dir.path() / "secret.key").string();
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, "short", 5), 5);
  ::close(fd);
  Result<std::string> r = loadOrCreateKeyFile(path);
  ASSERT_FALSE(r.isOk());
  EXPECT_NE(r.status().message().find("5 bytes"), std::string::npos) << r.status().message();
  EXPECT_EQ(readFile(path), "short");  // never overwritten
}

TEST(CryptoKeyFileTest, RefusesDirectoryAndReportsMissingParent) {
  testing::TempDir dir;
  EXPECT_FALSE(loadOrCreateKeyFile(dir.str()).isOk());
  EXPECT_FALSE(loadOrCreateKeyFile((dir.path() / "missing" / "secret.key").string()).isOk());
}

}  // namespace
}  // namespace streamhost::crypto
