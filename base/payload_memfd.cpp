#include "base/payload_memfd.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>
#include <utility>

#include "base/error.h"

#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U  // Linux 6.3
#endif

namespace stockade {

namespace {

constexpr int kRequiredSeals = F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW;

Error refused(std::string what) { return Error{Errc::protocol, std::move(what), "payload memfd"}; }

}  // namespace

Result<UniqueFd> make_payload_memfd(std::span<const std::uint8_t> bytes) {
  // Not executable where the kernel knows how to say so (6.3+); older kernels
  // refuse the flag with EINVAL.
  int fd = memfd_create("stockade-payload", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL);
  if (fd < 0 && errno == EINVAL) fd = memfd_create("stockade-payload", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) return sys_error("cannot create a memfd for a large payload", "memfd_create");
  UniqueFd memfd(fd);
  while (!bytes.empty()) {
    const ssize_t n = ::write(memfd.get(), bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return sys_error("cannot write a large payload into its memfd", "write");
    bytes = bytes.subspan(static_cast<std::size_t>(n));
  }
  if (::fcntl(memfd.get(), F_ADD_SEALS, kRequiredSeals | F_SEAL_SEAL) != 0) {
    return sys_error("cannot seal a large payload's memfd", "fcntl(F_ADD_SEALS)");
  }
  return memfd;
}

Result<MappedPayload> MappedPayload::map(int fd, std::uint64_t size) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return sys_error("cannot inspect a payload memfd", "fstat");
  if (!S_ISREG(st.st_mode)) return refused("the descriptor sent is not a regular file (a memfd)");
  struct statfs fs {};
  if (::fstatfs(fd, &fs) != 0) return sys_error("cannot inspect a payload memfd", "fstatfs");
  if (fs.f_type != TMPFS_MAGIC) {
    return refused("the descriptor sent is not a memfd of the kernel's shared memory (file system magic " +
                   std::to_string(static_cast<unsigned long>(fs.f_type)) + ")");
  }
  const int seals = ::fcntl(fd, F_GET_SEALS);
  if (seals < 0) {
    // EINVAL: a file that cannot carry seals (a tmpfs file, not a memfd).
    return refused("the descriptor sent cannot be sealed (not a memfd made with MFD_ALLOW_SEALING)");
  }
  if ((seals & kRequiredSeals) != kRequiredSeals) {
    return refused("the memfd is not sealed against writes and resizing (it has seals 0x" +
                   [&] {
                     char hex[16];
                     std::snprintf(hex, sizeof(hex), "%x", static_cast<unsigned>(seals));
                     return std::string(hex);
                   }() +
                   "; F_SEAL_WRITE, F_SEAL_SHRINK and F_SEAL_GROW are required)");
  }
  if (size == 0 || static_cast<std::uint64_t>(st.st_size) != size) {
    return refused("the memfd holds " + std::to_string(st.st_size) + " bytes, the frame announced " +
                   std::to_string(size));
  }
  // No hole: reading a hole of shmem through a mapping allocates the page,
  // charged to the reader's memory cgroup and kept for as long as the
  // sender keeps its descriptor, so a sparse memfd would let a plugin grow
  // the supervisor's memory without spending its own. The seals keep the
  // answer true (F_SEAL_WRITE refuses punching a hole).
  const off_t hole = ::lseek(fd, 0, SEEK_HOLE);
  if (hole < 0) return sys_error("cannot inspect a payload memfd", "lseek(SEEK_HOLE)");
  if (static_cast<std::uint64_t>(hole) != size) {
    return refused("the memfd has a hole at byte " + std::to_string(hole) + " of " + std::to_string(size) +
                   " (every byte must have been written)");
  }
  // Shared and read-only: the pages stay the sender's (charged to its memory
  // cgroup); the seals forbid any change to them, so there is nothing to copy.
  // Populated at once: one fault-in pass instead of a fault per page read.
  void* data =
      ::mmap(nullptr, static_cast<std::size_t>(size), PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
  if (data == MAP_FAILED) return sys_error("cannot map a payload memfd", "mmap");
  return MappedPayload(static_cast<const std::uint8_t*>(data), static_cast<std::size_t>(size));
}

MappedPayload::MappedPayload(MappedPayload&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

MappedPayload& MappedPayload::operator=(MappedPayload&& other) noexcept {
  if (this != &other) {
    unmap();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

MappedPayload::~MappedPayload() { unmap(); }

void MappedPayload::unmap() {
  // munmap of a mapping we made cannot fail but for a bug of ours.
  if (data_ != nullptr) (void)::munmap(const_cast<std::uint8_t*>(data_), size_);
  data_ = nullptr;
  size_ = 0;
}

}  // namespace stockade
