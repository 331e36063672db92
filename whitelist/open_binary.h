// Internal to whitelist/: opening a candidate binary once, safely, and the
// checks made on the open file before and after hashing.
#pragma once

#include <sys/stat.h>
#include <time.h>

#include <string>

#include "stockade/result.h"
#include "base/unique_fd.h"
#include "whitelist/sha256.h"

namespace stockade {
class DigestCache;
}

namespace stockade::whitelist_internal {

// What the open learnt about writers, for a DigestCache (digest_cache.h).
struct WriterCheck {
  // The kernel was asked whether anyone held it open for writing, and said
  // no (it cannot tell without ownership or CAP_LEASE, or on some
  // filesystems: then the check is skipped and this is false).
  bool no_writer_seen = false;
  // CLOCK_REALTIME just before that question: what a file's settling is
  // measured against (a writer coming after it is not seen).
  timespec checked_at{};
};

struct OpenedFile {
  UniqueFd fd;              // O_RDONLY|O_CLOEXEC
  struct stat opened {};    // as it was when opened and checked
  WriterCheck writers;
};

// Opens `path` once (O_PATH, then reopened for reading through the open fd,
// never by path again) and refuses anything but a regular, executable file
// that not everyone can write, that nobody holds open for writing (where the
// kernel can tell) and whose filesystem allows exec.
Result<OpenedFile> open_checked(const std::string& path, bool follow_symlinks);

// Refuses a binary that someone other than root or us can change, or whose
// folders they can (whitelist/trust_path.h), checked on the open file.
Status check_binary_trusted(int fd, const std::string& path);

// True when nothing that a write, truncate, rename or link changes differs
// between the two stats of one file (inode, size, mtime, ctime).
bool same_content_state(const struct stat& a, const struct stat& b);

// Hashes an opened file and refuses it if it changed since `opened` was
// taken. `path` names it in errors. With `digests`: a digest recorded there
// for the file as `opened` describes it is taken instead of hashing, and a
// file hashed is recorded, when `writers` (the open's) and the rules of
// digest_cache.h allow it.
Result<Sha256Digest> hash_unchanged(int fd, const struct stat& opened, const std::string& path,
                                    DigestCache* digests = nullptr, WriterCheck writers = {});

}  // namespace stockade::whitelist_internal
