// whitelist/: the sha256 whitelist and race-free verification of binaries.
//
// Whitelist file: one entry a line, "<64 lowercase hex>  <label>" (two spaces,
// as sha256sum prints; the label is a plugin name, or NAME/REL for a file of an
// interpreted plugin, NAME@/ABS for its interpreter: pinned_label.h); '#' starts a comment; blank lines are ignored; a name
// may have several digests. A malformed line refuses the whole file.
// The exact grammar and limits are in docs/operators.md ("Whitelist and plugin-hash").
#pragma once

#include <sys/stat.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "stockade/result.h"
#include "base/unique_fd.h"
#include "whitelist/sha256.h"

namespace stockade {

class DigestCache;

// Bounds on untrusted whitelist text, checked before anything is stored.
inline constexpr size_t kMaxWhitelistBytes = 16 * 1024 * 1024;
inline constexpr size_t kMaxWhitelistLines = 1024 * 1024;
inline constexpr size_t kMaxWhitelistLineBytes = 1024;
inline constexpr size_t kMaxPluginNameBytes = 128;

// A plugin name: 1..128 of [A-Za-z0-9._-], not starting with '.' or '-'
// (names become log text and path components: no "..", no option look-alikes).
bool is_valid_plugin_name(std::string_view name);

class Whitelist {
 public:
  struct Entry {
    Sha256Digest digest;
    std::string name;
    int line = 0;
  };

  // Parses whitelist text; `source` names it in errors ("FILE:LINE: ...").
  static Result<Whitelist> parse(std::string_view text, std::string_view source);
  // Reads and parses a file (at most kMaxWhitelistBytes).
  static Result<Whitelist> load(const std::string& path);

  // True if `digest` is pinned under `name` (constant-time per candidate).
  bool allows(std::string_view name, const Sha256Digest& digest) const;
  // True if `name` has at least one digest pinned.
  bool has_name(std::string_view name) const;
  const std::vector<Entry>& entries() const { return entries_; }
  // The entries that can vouch for `plugin`'s files (its binary or script,
  // its "files", its interpreter): what one launch verifies against, copied
  // so that a reload replacing the whitelist cannot change it mid-launch.
  Whitelist pins_of(std::string_view plugin) const;

 private:
  std::vector<Entry> entries_;
};

struct VerifyOptions {
  // Follow a symlink as the final path component (off: refuse symlinks).
  bool follow_symlinks = false;
};

// A candidate binary opened once and checked (a regular, executable file, not
// writable by everyone, not held open for writing where the kernel can tell,
// not on a noexec filesystem), not yet hashed. Its one use is to become a
// VerifiedBinary; it exists separately so the sandbox can be built around the
// open file while it is being hashed (sandbox.h, spawn with a verifier).
class OpenedBinary {
 public:
  // Errors: not_found (no such file), refused (what is wrong, in words an
  // operator can act on), io.
  static Result<OpenedBinary> open(const std::string& path, const VerifyOptions& options = {});

  int fd() const { return fd_.get(); }
  const std::string& path() const { return path_; }
  // The file as it was when opened and checked (what a DigestCache keys).
  const struct stat& opened_state() const { return opened_; }
  // Whether the kernel said at the open that nobody writes it (OpenedFile).
  bool no_writer_seen() const { return no_writer_seen_; }

 private:
  friend class VerifiedBinary;
  OpenedBinary() = default;
  UniqueFd fd_;
  std::string path_;
  struct stat opened_ {};
  bool no_writer_seen_ = false;  // OpenedFile's writer check
  timespec checked_at_{};
};

// An open, regular, executable file whose content matched the whitelist for
// its name. Running it means execveat(fd(), "", ..., AT_EMPTY_PATH): the bytes
// hashed are the bytes executed, whatever happens to the path afterwards.
// The fd is O_RDONLY|O_CLOEXEC (fine for ELF binaries; a "#!" script run from
// a close-on-exec fd fails, so OpenedBinary::open refuses one and says how to
// make it an interpreted plugin: whitelist/plugin_files.h).
class VerifiedBinary {
 public:
  // Opens `path` once, refuses anything but a regular, executable file not
  // writable by everyone and not held open for writing (where the kernel can
  // tell), hashes the open file and checks it against `whitelist` under
  // `name`. Errors: not_found (no such file), refused (not a regular file,
  // not executable, not whitelisted: the message names path, name and digest),
  // io (read failures).
  static Result<VerifiedBinary> verify(const std::string& path, std::string_view name,
                                       const Whitelist& whitelist,
                                       const VerifyOptions& options = {});
  // The same for a binary already opened: hashes it and checks the digest.
  // The result holds the same open file (same fd). With `digests`, a digest
  // recorded there for the unchanged file stands for the hash, and the hash
  // made is recorded (digest_cache.h); every other check is made as without.
  static Result<VerifiedBinary> verify(OpenedBinary&& binary, std::string_view name,
                                       const Whitelist& whitelist, DigestCache* digests = nullptr);

  // The interpreter of an interpreted plugin, opened from its absolute path
  // (symlinks followed: /usr/bin/python3 is one on Debian; every folder and
  // link on the way is checked as for a binary), pinned under the label
  // "PLUGIN@PATH" (pinned_label.h). The same checks and errors as verify().
  static Result<VerifiedBinary> verify_interpreter(OpenedBinary&& binary, std::string_view plugin,
                                                   const Whitelist& whitelist,
                                                   DigestCache* digests = nullptr);

  // Development mode: no whitelist check. Writes a loud warning to stderr.
  // Still opens once and makes every check but the whitelist.
  struct DangerousDevelopmentMode {};
  static Result<VerifiedBinary> unverified(const std::string& path, std::string_view name,
                                           DangerousDevelopmentMode,
                                           const VerifyOptions& options = {});
  static Result<VerifiedBinary> unverified(OpenedBinary&& binary, std::string_view name,
                                           DangerousDevelopmentMode);

  int fd() const { return fd_.get(); }
  const std::string& path() const { return path_; }
  const std::string& name() const { return name_; }
  const Sha256Digest& digest() const { return digest_; }
  bool verified() const { return verified_; }

 private:
  VerifiedBinary() = default;
  // Takes over the opened file once `digest` is known.
  static VerifiedBinary adopt(OpenedBinary&& binary, std::string_view name,
                              const Sha256Digest& digest, bool verified);
  UniqueFd fd_;
  std::string path_;
  std::string name_;
  Sha256Digest digest_{};
  bool verified_ = false;
};

}  // namespace stockade
