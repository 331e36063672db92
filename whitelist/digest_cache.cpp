#include "whitelist/digest_cache.h"

#include <linux/magic.h>
#include <sys/statfs.h>

#include <algorithm>

namespace stockade {
namespace {

bool same_time(const timespec& a, const timespec& b) {
  return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

std::chrono::nanoseconds since_epoch(const timespec& t) {
  return std::chrono::seconds(t.tv_sec) + std::chrono::nanoseconds(t.tv_nsec);
}

// Filesystems whose bytes change only through this kernel, which then moves
// the ctime (digest_cache.h says why the others are hashed every time).
bool kernel_owns_content(int fd) {
  struct statfs fs {};
  if (fstatfs(fd, &fs) != 0) return false;
  switch (static_cast<unsigned long>(fs.f_type)) {
    case EXT4_SUPER_MAGIC:  // also ext2 and ext3
    case XFS_SUPER_MAGIC:
    case BTRFS_SUPER_MAGIC:
    case TMPFS_MAGIC:
    case SQUASHFS_MAGIC:
    case EROFS_SUPER_MAGIC_V1:
      return true;
    default:
      return false;
  }
}

}  // namespace

timespec realtime_now() {
  timespec now{};
  // CLOCK_REALTIME cannot fail with a valid pointer; zero would only make
  // every file look too recent to remember.
  (void)clock_gettime(CLOCK_REALTIME, &now);
  return now;
}

DigestCache::DigestCache(std::size_t capacity, std::chrono::nanoseconds settle)
    : capacity_(capacity), settle_(settle) {}

const DigestCache::Entry* DigestCache::entry_for(const struct stat& st) const {
  auto it = entries_.find(Key{st.st_dev, st.st_ino});
  if (it == entries_.end()) return nullptr;
  const Entry& e = it->second;
  if (e.size != st.st_size || !same_time(e.mtime, st.st_mtim) || !same_time(e.ctime, st.st_ctim)) {
    return nullptr;
  }
  return &e;
}

std::optional<Sha256Digest> DigestCache::find(const struct stat& st) const {
  std::lock_guard lock(mu_);
  const Entry* e = entry_for(st);
  if (e == nullptr) return std::nullopt;
  ++hits_;
  return e->digest;
}

bool DigestCache::has(const struct stat& st) const {
  std::lock_guard lock(mu_);
  return entry_for(st) != nullptr;
}

void DigestCache::remember(int fd, const struct stat& opened, const Sha256Digest& digest,
                           const timespec& hash_started) {
  if (capacity_ == 0) return;
  const auto last_change = std::max(since_epoch(opened.st_mtim), since_epoch(opened.st_ctim));
  if (last_change + settle_ > since_epoch(hash_started)) return;
  if (!kernel_owns_content(fd)) return;
  std::lock_guard lock(mu_);
  const Key key{opened.st_dev, opened.st_ino};
  Entry entry{opened.st_size, opened.st_mtim, opened.st_ctim, digest};
  if (auto it = entries_.find(key); it != entries_.end()) {
    it->second = entry;  // the same inode, changed and hashed again
    return;
  }
  if (entries_.size() >= capacity_) {
    entries_.erase(order_.front());
    order_.pop_front();
  }
  entries_.emplace(key, entry);
  order_.push_back(key);
}

std::size_t DigestCache::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

uint64_t DigestCache::hits() const {
  std::lock_guard lock(mu_);
  return hits_;
}

}  // namespace stockade
