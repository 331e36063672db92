// SHA-256 for whitelist/: a streaming hasher over OpenSSL's SHA-256,
// the digest of an open file, hex conversion and constant-time comparison.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "stockade/result.h"

namespace stockade {

using Sha256Digest = std::array<uint8_t, 32>;

// Lowercase hex, 64 characters (as sha256sum prints).
std::string to_hex(const Sha256Digest& digest);

// Parses exactly 64 lowercase hex characters; anything else is invalid_input.
Result<Sha256Digest> parse_digest(std::string_view hex);

// Constant-time comparison (no early exit on the first differing byte).
bool digests_equal(const Sha256Digest& a, const Sha256Digest& b);

// Incremental SHA-256 (OpenSSL's SHA256_* block functions; sha256.cpp says
// why not EVP). Move-only; a moved-from hasher may only be assigned to or
// destroyed.
class Sha256Hasher {
 public:
  static Result<Sha256Hasher> create();

  Sha256Hasher(Sha256Hasher&&) noexcept;
  Sha256Hasher& operator=(Sha256Hasher&&) noexcept;
  ~Sha256Hasher();

  Status update(std::span<const uint8_t> bytes);
  // Returns the digest of everything fed since creation or the last finish(),
  // and starts over.
  Result<Sha256Digest> finish();

 private:
  struct Context;
  explicit Sha256Hasher(std::unique_ptr<Context> ctx);
  std::unique_ptr<Context> ctx_;
};

// Streams an open file's content through SHA-256 in 64 KiB pread() blocks
// (never loading it whole), from offset 0 to end of file; the fd's offset is
// untouched. `bytes_hashed`, if given, receives the length hashed.
Result<Sha256Digest> sha256_of_fd(int fd, uint64_t* bytes_hashed = nullptr);

}  // namespace stockade
