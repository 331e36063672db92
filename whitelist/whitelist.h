// whitelist/: the sha256 whitelist and race-free verification of binaries.
//
// Whitelist file: one entry a line, "<64 lowercase hex>  <name>" (two spaces,
// as sha256sum prints); '#' starts a comment; blank lines are ignored; a name
// may have several digests. A malformed line refuses the whole file.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"

namespace stockade {

using Sha256Digest = std::array<uint8_t, 32>;

std::string to_hex(const Sha256Digest& digest);

// Streams an open file's content through OpenSSL's SHA-256 (never loading it
// whole). Reads from offset 0 with pread, so the fd's offset is untouched.
Result<Sha256Digest> sha256_of_fd(int fd);

// Constant-time comparison (no early exit on the first differing byte).
bool digests_equal(const Sha256Digest& a, const Sha256Digest& b);

class Whitelist {
 public:
  struct Entry {
    Sha256Digest digest;
    std::string name;
    int line = 0;
  };

  // Parses whitelist text; `source` names it in errors ("FILE:LINE: ...").
  static Result<Whitelist> parse(std::string_view text, std::string_view source);
  // Reads and parses a file (bounded size).
  static Result<Whitelist> load(const std::string& path);

  // True if `digest` is pinned under `name` (constant-time per candidate).
  bool allows(std::string_view name, const Sha256Digest& digest) const;
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  std::vector<Entry> entries_;
};

struct VerifyOptions {
  // Follow a symlink as the final path component (off: refuse symlinks).
  bool follow_symlinks = false;
};

// An open, regular, executable file whose content matched the whitelist for
// its name. Running it means execveat(fd(), "", ..., AT_EMPTY_PATH): the bytes
// hashed are the bytes executed, whatever happens to the path afterwards.
class VerifiedBinary {
 public:
  // Opens `path` once, refuses anything but a regular file, hashes the open
  // file and checks it against `whitelist` under `name`.
  static Result<VerifiedBinary> verify(const std::string& path, std::string_view name,
                                       const Whitelist& whitelist,
                                       const VerifyOptions& options = {});

  // Development mode: no whitelist check. Logs a loud warning to stderr.
  // Still opens once and refuses non-regular files.
  struct DangerousDevelopmentMode {};
  static Result<VerifiedBinary> unverified(const std::string& path, std::string_view name,
                                           DangerousDevelopmentMode);

  int fd() const { return fd_.get(); }
  const std::string& path() const { return path_; }
  const std::string& name() const { return name_; }
  const Sha256Digest& digest() const { return digest_; }
  bool verified() const { return verified_; }

 private:
  VerifiedBinary() = default;
  UniqueFd fd_;
  std::string path_;
  std::string name_;
  Sha256Digest digest_{};
  bool verified_ = false;
};

}  // namespace stockade
