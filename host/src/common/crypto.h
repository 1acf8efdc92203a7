#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

/// Hashing, MACs, encodings, randomness and authenticated encryption on top of
/// OpenSSL 3. Binary values travel as std::string (bytes, not text).
namespace streamhost::crypto {

/// Digest used by hmac().
enum class HmacAlgorithm { kSha256, kSha512 };

/// Raw 32-byte SHA-256 digest of `data`.
std::string sha256(std::string_view data);
/// Lower-case hex SHA-256 digest of `data` (64 characters).
std::string sha256Hex(std::string_view data);

/// Raw HMAC of `data` under `key` (32 bytes for SHA-256, 64 for SHA-512).
std::string hmac(HmacAlgorithm algorithm, std::string_view key, std::string_view data);
/// Raw HMAC-SHA256.
std::string hmacSha256(std::string_view key, std::string_view data);
/// Raw HMAC-SHA512.
std::string hmacSha512(std::string_view key, std::string_view data);
/// Lower-case hex HMAC.
std::string hmacHex(HmacAlgorithm algorithm, std::string_view key, std::string_view data);

/// Lower-case hex of `bytes`.
std::string hexEncode(std::string_view bytes);
/// Bytes of a hex string (either case); nullopt on odd length or a non-hex character.
std::optional<std::string> hexDecode(std::string_view hex);

/// Standard base64 (RFC 4648 section 4) with '=' padding.
std::string base64Encode(std::string_view bytes);
/// Decodes padded standard base64; nullopt on any character outside the
/// alphabet, wrong padding or non-zero trailing bits.
std::optional<std::string> base64Decode(std::string_view text);
/// URL-safe base64 (RFC 4648 section 5) without padding, e.g. for cursors.
std::string base64UrlEncode(std::string_view bytes);
/// Decodes unpadded URL-safe base64; nullopt when malformed.
std::optional<std::string> base64UrlDecode(std::string_view text);

/// Compares in time independent of where the inputs differ. Different
/// lengths compare unequal (the length itself is not secret).
bool constantTimeEquals(std::string_view a, std::string_view b);

/// `n` bytes from OpenSSL's CSPRNG. Aborts if the generator fails, which
/// cannot happen on a working system once OpenSSL has seeded.
std::string randomBytes(size_t n);

/// Size of an AES-256 key.
inline constexpr size_t kAesKeySize = 32;
/// GCM nonce size; sealed values start with it.
inline constexpr size_t kGcmNonceSize = 12;
/// GCM tag size; sealed values end with it.
inline constexpr size_t kGcmTagSize = 16;

/// Encrypts with AES-256-GCM under a fresh random nonce.
/// @param key 32 bytes.
/// @param aad authenticated but not encrypted (bind the value to its owner, e.g. a row id).
/// @returns nonce(12) || ciphertext || tag(16); kInvalidArgument for a bad key size.
Result<std::string> sealAesGcm(std::string_view key, std::string_view plaintext, std::string_view aad);
/// Reverses sealAesGcm().
/// @returns the plaintext; kInvalidArgument when the key size is wrong, the
/// input is too short, or authentication fails (tampering, wrong key or wrong aad).
Result<std::string> openAesGcm(std::string_view key, std::string_view sealed, std::string_view aad);

/// Returns the 32-byte key kept in `path`, creating it on first use with mode
/// 0600 (written to a temporary file, fsync'd, then linked into place so a
/// crash never leaves a short key behind). Refuses a file that is not a
/// regular file, has the wrong size, or grants any permission to group or others.
Result<std::string> loadOrCreateKeyFile(const std::string& path);

/// Reads an existing key file with the checks of loadOrCreateKeyFile(); kNotFound when there is none.
Result<std::string> readKeyFile(const std::string& path);

/// Writes `key` (32 bytes) to `path` with mode 0600: a temporary file,
/// fsync'd, linked into place, then the directory fsync'd.
/// @returns kAlreadyExists when `path` exists (it is never replaced).
Status writeKeyFile(const std::string& path, std::string_view key);

/// A short public name of a key (16 hex digits of a domain-separated
/// SHA-256): tells keys apart in file names and logs without revealing them.
std::string keyFingerprint(std::string_view key);

}  // namespace streamhost::crypto
