#include "whitelist/digest_cache.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <system_error>

#include "whitelist/open_binary.h"

namespace stockade {
namespace {

namespace fs = std::filesystem;

// Linux 6.8: a mount id never reused while the system runs (STATX_MNT_ID's
// can be, once the mount is gone). Not in Debian 12's headers.
constexpr unsigned kStatxMntIdUnique = 0x00004000U;

bool same_time(const timespec& a, const timespec& b) {
  return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

// True when `change` came at least `settle` (under a minute) before `start`.
// Compared field by field: times a filesystem image carries can be near the
// ends of the range, where a sum in nanoseconds would overflow.
bool settled_before(const timespec& change, const timespec& start, std::chrono::nanoseconds settle) {
  if (change.tv_sec > start.tv_sec) return false;
  if (start.tv_sec - change.tv_sec > 60) return true;  // no overflow: both are in range
  const auto gap = std::chrono::seconds(start.tv_sec - change.tv_sec) +
                   std::chrono::nanoseconds(start.tv_nsec - change.tv_nsec);
  return gap >= settle;
}

// ext2/3/4 and XFS: filesystems on a disk, whose bytes change only through
// this kernel, which moves the ctime and the mtime on every write (each
// first write to a page of a shared mapping faults for that). Not tmpfs,
// whose shared mappings are written without a fault; not image filesystems.
bool cacheable_filesystem(int fd) {
  struct statfs sfs {};
  if (fstatfs(fd, &sfs) != 0) return false;
  const auto type = static_cast<unsigned long>(sfs.f_type);
  return type == EXT4_SUPER_MAGIC || type == XFS_SUPER_MAGIC;
}

bool has_prefix(const std::string& name, const char* prefix) {
  return name.rfind(prefix, 0) == 0;
}

bool is_local_disk_at(const fs::path& device, int depth) {
  std::error_code ec;
  fs::path dir = device;
  if (fs::exists(dir / "partition", ec)) dir = dir.parent_path();
  const std::string path = dir.string();
  const std::string name = dir.filename().string();
  // device-mapper and md: local when every device under them is.
  if (has_prefix(name, "dm-") || has_prefix(name, "md")) {
    if (depth >= 8) return false;
    bool any = false;
    for (const auto& slave : fs::directory_iterator(dir / "slaves", ec)) {
      const fs::path real = fs::canonical(slave.path(), ec);
      if (ec || !is_local_disk_at(real, depth + 1)) return false;
      any = true;
    }
    return !ec && any;
  }
  // loop, nbd, zram, NVMe over fabrics (and local NVMe behind native
  // multipath, which is then hashed every time) live under
  // /sys/devices/virtual; rbd and others match no disk name below.
  if (path.find("/devices/virtual/") != std::string::npos) return false;
  // SCSI over iSCSI: a disk whose bytes a remote target serves.
  if (path.find("/session") != std::string::npos) return false;
  for (const char* local : {"vd", "sd", "hd", "nvme", "xvd", "mmcblk"}) {
    if (has_prefix(name, local)) return true;
  }
  return false;
}

struct Identity {
  uint64_t mount = 0;
  struct stat st {};
};

// The file open as `fd`, with its unique mount id; nullopt where the kernel
// has no unique mount ids (before 6.8).
std::optional<Identity> identify(int fd) {
  struct statx sx {};
  if (statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS | kStatxMntIdUnique, &sx) != 0) {
    return std::nullopt;
  }
  if ((sx.stx_mask & kStatxMntIdUnique) == 0) return std::nullopt;
  Identity id;
  id.mount = sx.stx_mnt_id;
  id.st.st_dev = makedev(sx.stx_dev_major, sx.stx_dev_minor);
  id.st.st_ino = static_cast<ino_t>(sx.stx_ino);
  id.st.st_size = static_cast<off_t>(sx.stx_size);
  id.st.st_mtim = timespec{sx.stx_mtime.tv_sec, sx.stx_mtime.tv_nsec};
  id.st.st_ctim = timespec{sx.stx_ctime.tv_sec, sx.stx_ctime.tv_nsec};
  return id;
}

}  // namespace

timespec realtime_now() {
  timespec now{};
  // CLOCK_REALTIME cannot fail with a valid pointer; zero would only make
  // every file look too recent to remember.
  (void)clock_gettime(CLOCK_REALTIME, &now);
  return now;
}

bool is_local_disk(dev_t dev) {
  std::error_code ec;
  const fs::path link = "/sys/dev/block/" + std::to_string(major(dev)) + ":" +
                        std::to_string(minor(dev));
  const fs::path real = fs::canonical(link, ec);
  if (ec) return false;
  return is_local_disk_at(real, 0);
}

DigestCache::DigestCache(std::size_t capacity, std::chrono::nanoseconds settle)
    : capacity_(capacity), settle_(settle) {}

const DigestCache::Entry* DigestCache::entry_for(int fd, const struct stat& opened) const {
  auto id = identify(fd);
  // The file is still as opened: what the caller checked is what is looked up.
  if (!id || !whitelist_internal::same_content_state(id->st, opened)) return nullptr;
  auto it = entries_.find(Key{id->mount, opened.st_dev, opened.st_ino});
  if (it == entries_.end()) return nullptr;
  const Entry& e = it->second;
  if (e.size != opened.st_size || !same_time(e.mtime, opened.st_mtim) ||
      !same_time(e.ctime, opened.st_ctim)) {
    return nullptr;
  }
  return &e;
}

std::optional<Sha256Digest> DigestCache::find(int fd, const struct stat& opened) const {
  std::lock_guard lock(mu_);
  const Entry* e = entry_for(fd, opened);
  if (e == nullptr) return std::nullopt;
  ++hits_;
  return e->digest;
}

bool DigestCache::has(int fd, const struct stat& opened) const {
  std::lock_guard lock(mu_);
  return entry_for(fd, opened) != nullptr;
}

void DigestCache::remember(int fd, const struct stat& opened, const Sha256Digest& digest,
                           const timespec& checked_at, bool no_writer_seen) {
  if (capacity_ == 0 || !no_writer_seen) return;
  // Whole seconds: a filesystem (or a copy) without finer timestamps.
  if (opened.st_ctim.tv_nsec == 0) return;
  if (!settled_before(opened.st_mtim, checked_at, settle_) ||
      !settled_before(opened.st_ctim, checked_at, settle_)) {
    return;
  }
  if (!cacheable_filesystem(fd) || !is_local_disk(opened.st_dev)) return;
  auto id = identify(fd);
  if (!id || !whitelist_internal::same_content_state(id->st, opened)) return;
  std::lock_guard lock(mu_);
  const Key key{id->mount, opened.st_dev, opened.st_ino};
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
