// DigestCache: the sha256 of binaries already hashed, so that launching an
// unchanged file again (a restart, one binary behind many plugins) does not
// read and hash it again.
//
// An entry is keyed by what the kernel changes on any change to a file's
// bytes or names: device, inode, size, mtime and ctime. The ctime cannot be
// set by anyone (utimensat sets it to now); a write, truncate, link or rename
// moves it forward. Two rules keep that true where it matters:
//   - an entry is made only for a file whose last change (mtime and ctime)
//     came at least `settle` before its hashing began, so that a change in
//     the same timestamp tick as the last one (the kernel's clock for
//     timestamps is coarse: a tick is up to 10 ms, FAT's is 2 s) cannot
//     leave a stale entry behind;
//   - only on filesystems whose bytes only this kernel changes (ext2/3/4,
//     XFS, Btrfs, tmpfs, squashfs, EROFS). A network, FUSE or overlay file
//     can change under us without its ctime moving, so it is hashed every
//     time.
// Every other check of a launch is still made each time: the file opened
// once, its kind, its owner and folders, no writer, no noexec, and the
// digest looked up in the whitelist of the moment (a reload that unpins it
// refuses the next launch). Thread-safe; at most `capacity` entries (the
// one made first goes first).
#pragma once

#include <sys/stat.h>
#include <time.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <utility>

#include "whitelist/sha256.h"

namespace stockade {

class DigestCache {
 public:
  static constexpr std::size_t kDefaultCapacity = 4096;
  static constexpr std::chrono::milliseconds kDefaultSettle{5000};

  explicit DigestCache(std::size_t capacity = kDefaultCapacity,
                       std::chrono::nanoseconds settle = kDefaultSettle);

  // The digest recorded for the file `st` describes, if it is unchanged.
  std::optional<Sha256Digest> find(const struct stat& st) const;
  // The same without counting a hit: whether find() would answer.
  bool has(const struct stat& st) const;

  // Records the digest of the file open as `fd`, as `opened` describes it,
  // whose hashing began at `hash_started` (CLOCK_REALTIME, the timestamps'
  // clock): unless its last change is too recent to tell apart from a later
  // one, or its filesystem is not one the rules above allow.
  void remember(int fd, const struct stat& opened, const Sha256Digest& digest,
                const timespec& hash_started);

  std::size_t size() const;
  uint64_t hits() const;  // digests that find() answered

 private:
  using Key = std::pair<dev_t, ino_t>;
  struct Entry {
    off_t size;
    timespec mtime;
    timespec ctime;
    Sha256Digest digest;
  };

  // With mu_ held.
  const Entry* entry_for(const struct stat& st) const;

  std::size_t capacity_;
  std::chrono::nanoseconds settle_;
  mutable std::mutex mu_;
  std::map<Key, Entry> entries_;
  std::deque<Key> order_;  // the keys of entries_, the first made first
  mutable uint64_t hits_ = 0;
};

// CLOCK_REALTIME now: what a hash's start is measured with for remember().
timespec realtime_now();

}  // namespace stockade
