#include "whitelist/sha256.h"
#include "base/error.h"

// See Sha256Hasher::Context for why the SHA256_* API.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <fcntl.h>
#include <sys/stat.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <unistd.h>

#include <memory>
#include <vector>

#include "base/syscall.h"

namespace stockade {
namespace {

// Read block for sha256_of_fd: 64 KiB. Measured on these machines (a fresh
// process hashing a 763 KiB binary; a warm 256 MiB file): 32-64 KiB hashed
// the small file in 600-620 us against 790-860 us for 256 KiB, whose 64
// first-touch page faults and L2 misses cost more than the extra preads; for
// the large file 64 KiB-1 MiB were all within noise (184-207 ms). Below
// malloc's mmap threshold too, so freeing it unmaps nothing: a munmap would
// interrupt the sandbox child sharing our memory (CLONE_VM) with a TLB
// shootdown while it sets up.
constexpr size_t kReadBlock = 64 * 1024;

Error openssl_error(const char* what) {
  return Error{Errc::internal, std::string("OpenSSL: ") + what, {}, 0};
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

// OpenSSL's SHA256_* functions are deprecated as an API since 3.0 in favour
// of EVP, but not removed, and they run the same SHA-NI/AVX2 block function
// the default provider wraps. We use them on purpose: EVP's first fetch
// builds the provider's name tables and its atexit handler tears them down,
// 1.7 ms per process measured here (`stockade jail` and plugin-hash hash one
// file and exit), against 0.01 ms. Nothing here depends on openssl.cnf or on
// which providers the host configured: what decides whether a binary runs
// should not.
struct Sha256Hasher::Context {
  SHA256_CTX sha;
};

Sha256Hasher::Sha256Hasher(std::unique_ptr<Context> ctx) : ctx_(std::move(ctx)) {}
Sha256Hasher::Sha256Hasher(Sha256Hasher&&) noexcept = default;
Sha256Hasher& Sha256Hasher::operator=(Sha256Hasher&&) noexcept = default;
Sha256Hasher::~Sha256Hasher() {
  if (ctx_) OPENSSL_cleanse(&ctx_->sha, sizeof(ctx_->sha));
}

Result<Sha256Hasher> Sha256Hasher::create() {
  auto ctx = std::make_unique<Context>();
  if (SHA256_Init(&ctx->sha) != 1) return openssl_error("SHA256_Init failed");
  return Sha256Hasher(std::move(ctx));
}

Status Sha256Hasher::update(std::span<const uint8_t> bytes) {
  if (SHA256_Update(&ctx_->sha, bytes.data(), bytes.size()) != 1) {
    return openssl_error("SHA256_Update failed");
  }
  return {};
}

Result<Sha256Digest> Sha256Hasher::finish() {
  Sha256Digest digest{};
  if (SHA256_Final(digest.data(), &ctx_->sha) != 1) return openssl_error("SHA256_Final failed");
  if (SHA256_Init(&ctx_->sha) != 1) return openssl_error("SHA256_Init failed");
  return digest;
}

Result<Sha256Digest> sha256_of_fd(int fd, uint64_t* bytes_hashed) {
  auto hasher = Sha256Hasher::create();
  if (!hasher) return std::move(hasher).error();
  // Only a hint for read-ahead; pipes and some filesystems refuse it, which
  // changes nothing about the result.
  (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);

  // No bigger than the file (plus one byte, so one read and the EOF read
  // suffice) and not zero-filled: every page touched is a fault in a fresh
  // process. fstat failing only loses the sizing.
  size_t block_size = kReadBlock;
  struct stat st_file {};
  if (fstat(fd, &st_file) == 0 && S_ISREG(st_file.st_mode) && st_file.st_size >= 0 &&
      static_cast<uint64_t>(st_file.st_size) < kReadBlock) {
    block_size = static_cast<size_t>(st_file.st_size) + 1;
  }
  auto block = std::make_unique_for_overwrite<uint8_t[]>(block_size);
  uint64_t offset = 0;
  for (;;) {
    const ssize_t n = retry_on_eintr(
        [&] { return pread(fd, block.get(), block_size, static_cast<off_t>(offset)); });
    if (n < 0) return sys_error("reading for sha256", "pread");
    if (n == 0) break;
    auto st = hasher->update(std::span(block.get(), static_cast<size_t>(n)));
    if (!st) return std::move(st).error();
    offset += static_cast<uint64_t>(n);
  }
  if (bytes_hashed != nullptr) *bytes_hashed = offset;
  return hasher->finish();
}

std::string to_hex(const Sha256Digest& digest) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(digest.size() * 2, '\0');
  for (size_t i = 0; i < digest.size(); ++i) {
    out[2 * i] = kHex[digest[i] >> 4];
    out[2 * i + 1] = kHex[digest[i] & 0x0f];
  }
  return out;
}

Result<Sha256Digest> parse_digest(std::string_view hex) {
  Sha256Digest digest{};
  if (hex.size() != digest.size() * 2) {
    return Error{Errc::invalid_input,
                 "a sha256 digest is 64 hex characters, got " + std::to_string(hex.size()), {}, 0};
  }
  for (size_t i = 0; i < digest.size(); ++i) {
    const int hi = hex_value(hex[2 * i]);
    const int lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return Error{Errc::invalid_input,
                   "a sha256 digest is lowercase hex (0-9, a-f) only", {}, 0};
    }
    digest[i] = static_cast<uint8_t>((hi << 4) | lo);
  }
  return digest;
}

bool digests_equal(const Sha256Digest& a, const Sha256Digest& b) {
  // OpenSSL's CRYPTO_memcmp is written so the time taken does not depend on
  // where (or whether) the digests differ; a plain memcmp exits early.
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace stockade
