#include "whitelist/sha256.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <memory>
#include <vector>

#include "base/syscall.h"

namespace stockade {
namespace {

// 1 MiB reads measured fastest here (PLATFORM.md: read() in 1 MiB blocks beat
// mmap, 1.35 GB/s against 0.79): large enough to amortise the syscall, small
// enough to stay in L2/L3 while OpenSSL consumes it.
constexpr size_t kReadBlock = 1024 * 1024;

// Fetched once and kept for the life of the process: EVP_MD_fetch walks the
// provider tables under a lock, far too slow to repeat per file.
// OpenSSL is initialised without the host's openssl.cnf first: that file may
// load other providers or change defaults, and what decides whether a binary
// runs must not depend on it; reading and applying it also cost about half a
// millisecond per process (`stockade jail` hashes once per run). If something
// in the process initialised OpenSSL earlier, this call changes nothing.
const EVP_MD* sha256_md() {
  static EVP_MD* const md = []() -> EVP_MD* {
    if (OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, nullptr) != 1) return nullptr;
    return EVP_MD_fetch(nullptr, "SHA256", nullptr);
  }();
  return md;
}

Error openssl_error(const char* what) {
  return Error{Errc::internal, std::string("OpenSSL: ") + what, {}, 0};
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

struct Sha256Hasher::Context {
  struct Free {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
  };
  std::unique_ptr<EVP_MD_CTX, Free> evp;
};

Sha256Hasher::Sha256Hasher(std::unique_ptr<Context> ctx) : ctx_(std::move(ctx)) {}
Sha256Hasher::Sha256Hasher(Sha256Hasher&&) noexcept = default;
Sha256Hasher& Sha256Hasher::operator=(Sha256Hasher&&) noexcept = default;
Sha256Hasher::~Sha256Hasher() = default;

Result<Sha256Hasher> Sha256Hasher::create() {
  const EVP_MD* md = sha256_md();
  if (md == nullptr) return openssl_error("no SHA256 implementation available");
  auto ctx = std::make_unique<Context>();
  ctx->evp.reset(EVP_MD_CTX_new());
  if (!ctx->evp) return openssl_error("EVP_MD_CTX_new failed");
  if (EVP_DigestInit_ex2(ctx->evp.get(), md, nullptr) != 1) {
    return openssl_error("EVP_DigestInit_ex2 failed");
  }
  return Sha256Hasher(std::move(ctx));
}

Status Sha256Hasher::update(std::span<const uint8_t> bytes) {
  if (EVP_DigestUpdate(ctx_->evp.get(), bytes.data(), bytes.size()) != 1) {
    return openssl_error("EVP_DigestUpdate failed");
  }
  return {};
}

Result<Sha256Digest> Sha256Hasher::finish() {
  Sha256Digest digest{};
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_->evp.get(), digest.data(), &len) != 1 || len != digest.size()) {
    return openssl_error("EVP_DigestFinal_ex failed");
  }
  if (EVP_DigestInit_ex2(ctx_->evp.get(), nullptr, nullptr) != 1) {
    return openssl_error("EVP_DigestInit_ex2 failed");
  }
  return digest;
}

Result<Sha256Digest> sha256_of_fd(int fd, uint64_t* bytes_hashed) {
  auto hasher = Sha256Hasher::create();
  if (!hasher) return std::move(hasher).error();
  // Only a hint for read-ahead; pipes and some filesystems refuse it, which
  // changes nothing about the result.
  (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);

  // No bigger than the file (plus one byte, so one read and the EOF read
  // suffice) and not zero-filled: a fresh process (`stockade jail`) would
  // otherwise fault in and clear a whole MiB for a small binary, about as
  // long as hashing it. fstat failing only loses the sizing.
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
