// DigestCache: the sha256 of binaries already hashed, so that launching an
// unchanged file again (a restart, one binary behind many plugins) does not
// read and hash it again.
//
// An entry is keyed by what the kernel changes on any change to a file's
// bytes or names: the mount (its unique id: a filesystem unmounted and
// another mounted in its place never has the same), device, inode, size,
// mtime and ctime. No call sets a ctime (utimensat sets it to now); every
// write, truncate, chmod, link or rename moves it forward. The rules that
// keep that true where it is relied on (docs/security-model.md, "The digest
// cache", says what each one stops):
//   - only on ext2/3/4 and XFS, on a local disk (virtio, SCSI/SATA not over
//     iSCSI, NVMe, MMC, Xen; through device-mapper or md to those): not on a
//     loop device, whose backing file changes under the mounted filesystem,
//     nor a network block device, nor tmpfs (a write through a shared
//     mapping there moves no timestamp), nor an image filesystem (squashfs,
//     EROFS: their times are the image's), nor NFS, FUSE or overlayfs;
//   - only with nanosecond timestamps (a ctime with 0 ns is taken as a
//     filesystem or a copy with whole seconds, where two changes in one
//     second look alike);
//   - only for a file whose last change came at least `settle` before the
//     kernel was asked whether anyone writes it (below), so that a change in
//     the same tick of the timestamps' coarse clock as the last one cannot
//     leave a stale entry;
//   - only when the kernel said, at the open before the hash, that nobody
//     held the file open for writing (the read lease: whitelist/
//     open_binary.cpp): a writer's mapping whose page is already dirty can
//     change bytes without a fault, so without a timestamp.
// Every other check of a launch is still made each time: the file opened
// once, its kind, owner and folders, no writer, no noexec, and the digest
// looked up in the whitelist of the moment (a reload that unpins it refuses
// the next launch). Thread-safe; at most `capacity` entries (the one made
// first goes first).
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
#include <tuple>

#include "whitelist/sha256.h"

namespace stockade {

class DigestCache {
 public:
  static constexpr std::size_t kDefaultCapacity = 4096;
  static constexpr std::chrono::milliseconds kDefaultSettle{5000};

  explicit DigestCache(std::size_t capacity = kDefaultCapacity,
                       std::chrono::nanoseconds settle = kDefaultSettle);

  // The digest recorded for the file open as `fd`, if it is the file
  // `opened` describes and unchanged since it was recorded.
  std::optional<Sha256Digest> find(int fd, const struct stat& opened) const;
  // The same without counting a hit: whether find() would answer.
  bool has(int fd, const struct stat& opened) const;

  // Records the digest of the file open as `fd`, as `opened` describes it,
  // when every rule above allows it. `no_writer_seen`: the open before the
  // hash asked the kernel and was told that nobody writes it, at
  // `checked_at` (CLOCK_REALTIME, the timestamps' clock), which the file's
  // last change must precede by the settle time.
  void remember(int fd, const struct stat& opened, const Sha256Digest& digest,
                const timespec& checked_at, bool no_writer_seen);

  std::size_t size() const;
  uint64_t hits() const;  // digests that find() answered

 private:
  struct Key {
    uint64_t mount;
    dev_t dev;
    ino_t ino;
    auto tie() const { return std::tie(mount, dev, ino); }
    bool operator<(const Key& other) const { return tie() < other.tie(); }
  };
  struct Entry {
    off_t size;
    timespec mtime;
    timespec ctime;
    Sha256Digest digest;
  };
  // With mu_ held.
  const Entry* entry_for(int fd, const struct stat& opened) const;

  std::size_t capacity_;
  std::chrono::nanoseconds settle_;
  mutable std::mutex mu_;
  std::map<Key, Entry> entries_;
  std::deque<Key> order_;  // the keys of entries_, the first made first
  mutable uint64_t hits_ = 0;
};

// CLOCK_REALTIME now: what a hash's start is measured with for remember().
timespec realtime_now();

// Whether the block device `dev` is a local disk (the list above), through
// device-mapper and md layers; false where sysfs cannot tell.
bool is_local_disk(dev_t dev);

}  // namespace stockade
