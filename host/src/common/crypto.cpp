#include "common/crypto.h"

#include <fcntl.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>

namespace streamhost::crypto {
namespace {

struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
struct MacDeleter {
  void operator()(EVP_MAC* m) const { EVP_MAC_free(m); }
};
struct MacCtxDeleter {
  void operator()(EVP_MAC_CTX* c) const { EVP_MAC_CTX_free(c); }
};
using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter>;
using MacPtr = std::unique_ptr<EVP_MAC, MacDeleter>;
using MacCtxPtr = std::unique_ptr<EVP_MAC_CTX, MacCtxDeleter>;

/// Closes a file descriptor on scope exit.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

const unsigned char* bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }
unsigned char* bytes(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }

// The operations below cannot fail with valid arguments once OpenSSL is
// initialised; a failure means a broken installation, so stop loudly.
[[noreturn]] void opensslAbort(const char* what) {
  std::fprintf(stderr, "streamhost: OpenSSL %s failed: %s\n", what, ERR_error_string(ERR_get_error(), nullptr));
  std::abort();
}

std::string errnoText(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

constexpr char kHexDigits[] = "0123456789abcdef";
constexpr char kBase64Std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kBase64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string base64EncodeWith(std::string_view in, const char* alphabet, bool pad) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    uint32_t v = (uint32_t(uint8_t(in[i])) << 16) | (uint32_t(uint8_t(in[i + 1])) << 8) | uint8_t(in[i + 2]);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  size_t rest = in.size() - i;
  if (rest > 0) {
    uint32_t v = uint32_t(uint8_t(in[i])) << 16;
    if (rest == 2) {
      v |= uint32_t(uint8_t(in[i + 1])) << 8;
    }
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    if (rest == 2) {
      out += alphabet[(v >> 6) & 63];
    }
    if (pad) {
      out.append(3 - rest, '=');
    }
  }
  return out;
}

int base64Value(char c, const char* alphabet) {
  const char* p = std::strchr(alphabet, c);
  return (c == '\0' || p == nullptr) ? -1 : int(p - alphabet);
}

/// Decodes unpadded base64; rejects non-canonical trailing bits.
std::optional<std::string> base64DecodeUnpadded(std::string_view in, const char* alphabet) {
  if (in.size() % 4 == 1) {
    return std::nullopt;
  }
  std::string out;
  out.reserve(in.size() / 4 * 3 + 2);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v = base64Value(c, alphabet);
    if (v < 0) {
      return std::nullopt;
    }
    acc = (acc << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += char((acc >> bits) & 0xff);
    }
  }
  if ((acc & ((1u << bits) - 1)) != 0) {
    return std::nullopt;
  }
  return out;
}

}  // namespace

std::string sha256(std::string_view data) {
  std::string out(32, '\0');
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), bytes(out), &len, EVP_sha256(), nullptr) != 1 || len != 32) {
    opensslAbort("EVP_Digest");
  }
  return out;
}

std::string sha256Hex(std::string_view data) { return hexEncode(sha256(data)); }

std::string hmac(HmacAlgorithm algorithm, std::string_view key, std::string_view data) {
  MacPtr mac(EVP_MAC_fetch(nullptr, OSSL_MAC_NAME_HMAC, nullptr));
  if (!mac) {
    opensslAbort("EVP_MAC_fetch");
  }
  MacCtxPtr ctx(EVP_MAC_CTX_new(mac.get()));
  if (!ctx) {
    opensslAbort("EVP_MAC_CTX_new");
  }
  char digest_name[16];
  std::snprintf(digest_name, sizeof(digest_name), "%s", algorithm == HmacAlgorithm::kSha256 ? "SHA256" : "SHA512");
  std::array<OSSL_PARAM, 2> params = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
                                      OSSL_PARAM_construct_end()};
  // A zero-length key is legal for HMAC; OpenSSL wants a non-null pointer.
  static constexpr unsigned char kEmpty = 0;
  const unsigned char* key_ptr = key.empty() ? &kEmpty : bytes(key);
  if (EVP_MAC_init(ctx.get(), key_ptr, key.size(), params.data()) != 1 ||
      EVP_MAC_update(ctx.get(), bytes(data), data.size()) != 1) {
    opensslAbort("HMAC");
  }
  std::string out(EVP_MAX_MD_SIZE, '\0');
  size_t len = 0;
  if (EVP_MAC_final(ctx.get(), bytes(out), &len, out.size()) != 1) {
    opensslAbort("EVP_MAC_final");
  }
  out.resize(len);
  return out;
}

std::string hmacSha256(std::string_view key, std::string_view data) {
  return hmac(HmacAlgorithm::kSha256, key, data);
}

std::string hmacSha512(std::string_view key, std::string_view data) {
  return hmac(HmacAlgorithm::kSha512, key, data);
}

std::string hmacHex(HmacAlgorithm algorithm, std::string_view key, std::string_view data) {
  return hexEncode(hmac(algorithm, key, data));
}

std::string hexEncode(std::string_view in) {
  std::string out;
  out.reserve(in.size() * 2);
  for (unsigned char c : in) {
    out += kHexDigits[c >> 4];
    out += kHexDigits[c & 15];
  }
  return out;
}

std::optional<std::string> hexDecode(std::string_view hex) {
  if (hex.size() % 2 != 0) {
    return std::nullopt;
  }
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = nibble(hex[i]);
    int lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) {
      return std::nullopt;
    }
    out += char((hi << 4) | lo);
  }
  return out;
}

std::string base64Encode(std::string_view bytes_in) { return base64EncodeWith(bytes_in, kBase64Std, true); }

std::optional<std::string> base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) {
    return std::nullopt;
  }
  size_t pad = 0;
  while (pad < 2 && pad < text.size() && text[text.size() - 1 - pad] == '=') {
    ++pad;
  }
  return base64DecodeUnpadded(text.substr(0, text.size() - pad), kBase64Std);
}

std::string base64UrlEncode(std::string_view bytes_in) { return base64EncodeWith(bytes_in, kBase64Url, false); }

std::optional<std::string> base64UrlDecode(std::string_view text) { return base64DecodeUnpadded(text, kBase64Url); }

bool constantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  return a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string randomBytes(size_t n) {
  std::string out(n, '\0');
  if (n > 0 && RAND_bytes(bytes(out), int(n)) != 1) {
    opensslAbort("RAND_bytes");
  }
  return out;
}

Result<std::string> sealAesGcm(std::string_view key, std::string_view plaintext, std::string_view aad) {
  if (key.size() != kAesKeySize) {
    return invalidArgument("AES-256-GCM key must be 32 bytes, got " + std::to_string(key.size()));
  }
  std::string out = randomBytes(kGcmNonceSize);
  out.resize(kGcmNonceSize + plaintext.size() + kGcmTagSize);
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  int final_len = 0;
  unsigned char* ct = bytes(out) + kGcmNonceSize;
  if (!ctx || EVP_EncryptInit_ex2(ctx.get(), EVP_aes_256_gcm(), bytes(key), bytes(out), nullptr) != 1 ||
      (!aad.empty() && EVP_EncryptUpdate(ctx.get(), nullptr, &len, bytes(aad), int(aad.size())) != 1) ||
      EVP_EncryptUpdate(ctx.get(), ct, &len, bytes(plaintext), int(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), ct + len, &final_len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, int(kGcmTagSize), ct + plaintext.size()) != 1) {
    return internalError("AES-256-GCM encryption failed");
  }
  return out;
}

Result<std::string> openAesGcm(std::string_view key, std::string_view sealed, std::string_view aad) {
  if (key.size() != kAesKeySize) {
    return invalidArgument("AES-256-GCM key must be 32 bytes, got " + std::to_string(key.size()));
  }
  if (sealed.size() < kGcmNonceSize + kGcmTagSize) {
    return invalidArgument("sealed value too short (" + std::to_string(sealed.size()) + " bytes)");
  }
  std::string_view ct = sealed.substr(kGcmNonceSize, sealed.size() - kGcmNonceSize - kGcmTagSize);
  std::string tag(sealed.substr(sealed.size() - kGcmTagSize));
  std::string out(ct.size(), '\0');
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  int final_len = 0;
  if (!ctx || EVP_DecryptInit_ex2(ctx.get(), EVP_aes_256_gcm(), bytes(key), bytes(sealed), nullptr) != 1 ||
      (!aad.empty() && EVP_DecryptUpdate(ctx.get(), nullptr, &len, bytes(aad), int(aad.size())) != 1) ||
      EVP_DecryptUpdate(ctx.get(), bytes(out), &len, bytes(ct), int(ct.size())) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, int(kGcmTagSize), tag.data()) != 1) {
    return internalError("AES-256-GCM decryption setup failed");
  }
  if (EVP_DecryptFinal_ex(ctx.get(), bytes(out) + len, &final_len) != 1) {
    return invalidArgument("AES-256-GCM authentication failed (wrong key, wrong context or tampered data)");
  }
  return out;
}

namespace {

Result<std::string> readKeyFile(const std::string& path, int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    return internalError(errnoText("cannot stat key file", path));
  }
  if (!S_ISREG(st.st_mode)) {
    return Status(StatusCode::kInvalidConfig, "key file " + path + " is not a regular file");
  }
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o", unsigned(st.st_mode & 07777));
    return Status(StatusCode::kInvalidConfig, "key file " + path + " has mode " + mode +
                                                  "; it must not be accessible by group or others (chmod 600 " +
                                                  path + ")");
  }
  if (st.st_size != off_t(kAesKeySize)) {
    return Status(StatusCode::kInvalidConfig, "key file " + path + " has " + std::to_string(st.st_size) +
                                                  " bytes; expected exactly " + std::to_string(kAesKeySize));
  }
  std::string key(kAesKeySize, '\0');
  size_t got = 0;
  while (got < key.size()) {
    ssize_t n = ::read(fd, key.data() + got, key.size() - got);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return internalError(errnoText("cannot read key file", path));
    }
    got += size_t(n);
  }
  return key;
}

Status syncParentDir(const std::string& path) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  Fd dir_fd(::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd.get() < 0 || ::fsync(dir_fd.get()) != 0) {
    return internalError(errnoText("cannot sync directory of key file", path));
  }
  return Status::ok();
}

/// Writes `key` next to `path` and links it into place; kAlreadyExists if `path` exists.
Status installKeyFile(const std::string& path, std::string_view key) {
  std::string tmp = path + ".tmp-" + hexEncode(randomBytes(8));
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (fd.get() < 0) {
    return internalError(errnoText("cannot create key file", tmp));
  }
  // fchmod: the umask may only have narrowed 0600, but be explicit.
  bool ok = ::fchmod(fd.get(), 0600) == 0 && ::write(fd.get(), key.data(), key.size()) == ssize_t(key.size()) &&
            ::fsync(fd.get()) == 0;
  int link_rc = ok ? ::link(tmp.c_str(), path.c_str()) : -1;
  int link_errno = errno;
  ::unlink(tmp.c_str());
  if (!ok) {
    return internalError(errnoText("cannot write key file", tmp));
  }
  if (link_rc != 0) {
    errno = link_errno;
    if (link_errno == EEXIST) {
      return Status(StatusCode::kAlreadyExists, "key file " + path + " already exists");
    }
    return internalError(errnoText("cannot install key file", path));
  }
  return syncParentDir(path);
}

}  // namespace

Result<std::string> loadOrCreateKeyFile(const std::string& path) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (fd.get() >= 0) {
      return readKeyFile(path, fd.get());
    }
    if (errno != ENOENT) {
      return Status(StatusCode::kInvalidConfig, errnoText("cannot open key file", path));
    }
    Status created = installKeyFile(path, randomBytes(kAesKeySize));
    if (!created.isOk() && created.code() != StatusCode::kAlreadyExists) {
      return created;
    }
  }
  return internalError("key file " + path + " vanished while being created");
}

Result<std::string> readKeyFile(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (fd.get() < 0) {
    if (errno == ENOENT) {
      return notFound("no key file " + path);
    }
    return Status(StatusCode::kInvalidConfig, errnoText("cannot open key file", path));
  }
  return readKeyFile(path, fd.get());
}

Status writeKeyFile(const std::string& path, std::string_view key) {
  if (key.size() != kAesKeySize) {
    return invalidArgument("a key file holds " + std::to_string(kAesKeySize) + " bytes, got " +
                           std::to_string(key.size()));
  }
  return installKeyFile(path, key);
}

std::string keyFingerprint(std::string_view key) {
  return sha256Hex(std::string("streamhost key fingerprint\n") + std::string(key)).substr(0, 16);
}

}  // namespace streamhost::crypto
