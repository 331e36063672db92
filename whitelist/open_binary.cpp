#include "whitelist/open_binary.h"
#include "base/error.h"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>

#include "base/syscall.h"
#include "whitelist/digest_cache.h"
#include "whitelist/trust_path.h"

namespace stockade::whitelist_internal {
namespace {

Error refused(const std::string& path, std::string what) {
  return Error{Errc::refused, std::move(what), path, 0};
}

std::string mode_octal(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

// Says why a file cannot be run, in words an operator can act on.
Status check_kind(const std::string& path, const struct stat& st) {
  if (S_ISLNK(st.st_mode)) {
    return refused(path, "is a symbolic link (refused unless following symlinks is asked for; "
                         "pin the target path instead)");
  }
  if (S_ISDIR(st.st_mode)) return refused(path, "is a directory, not a binary");
  if (S_ISFIFO(st.st_mode)) return refused(path, "is a FIFO, not a binary");
  if (S_ISSOCK(st.st_mode)) return refused(path, "is a socket, not a binary");
  if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) return refused(path, "is a device, not a binary");
  if (!S_ISREG(st.st_mode)) return refused(path, "is not a regular file");
  if ((st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)) == 0) {
    return refused(path, "is not executable (mode " + mode_octal(st.st_mode) + "); chmod +x it");
  }
  // Anyone could rewrite such a file between the check and the exec.
  if ((st.st_mode & S_IWOTH) != 0) {
    return refused(path, "is writable by every user (mode " + mode_octal(st.st_mode) +
                             "); a binary anyone can rewrite cannot be pinned");
  }
  return {};
}

// A read lease is granted only while no one has the file open for writing
// (fcntl(2), F_SETLEASE), which is the one way the kernel lets us ask that.
// It needs the file to be ours (or CAP_LEASE) and a filesystem with leases;
// where the kernel cannot tell, the check is skipped. The lease is dropped
// at once. A writer opening in that instant breaks it, which the kernel
// signals: SIGURG is asked for instead of the default SIGIO because its
// default action is to be ignored, not to terminate the host.
// `no_writer_seen` is set when the kernel answered (granted the lease).
Status refuse_if_open_for_writing(int fd, const std::string& path, bool& no_writer_seen) {
  if (fcntl(fd, F_SETSIG, SIGURG) != 0) return sys_error("cannot set the lease signal", path);
  if (fcntl(fd, F_SETLEASE, F_RDLCK) == 0) {
    if (fcntl(fd, F_SETLEASE, F_UNLCK) != 0) return sys_error("cannot drop the read lease", path);
    no_writer_seen = true;
    return {};
  }
  if (errno == EAGAIN) {
    return refused(path, "is open for writing by some process; a binary being written "
                         "cannot be verified (execve would fail with ETXTBSY too)");
  }
  return {};
}

}  // namespace

bool same_content_state(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino && a.st_size == b.st_size &&
         a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec == b.st_mtim.tv_nsec &&
         a.st_ctim.tv_sec == b.st_ctim.tv_sec && a.st_ctim.tv_nsec == b.st_ctim.tv_nsec;
}

Result<OpenedFile> open_checked(const std::string& path, bool follow_symlinks) {
  // O_PATH first: it opens without reading, so a FIFO cannot block us and a
  // device node's driver never sees an open (some act on open alone). With
  // O_NOFOLLOW, O_PATH opens a final symlink itself, which fstat then names.
  const int path_flags = O_PATH | O_CLOEXEC | (follow_symlinks ? 0 : O_NOFOLLOW);
  UniqueFd path_fd(retry_on_eintr([&] { return open(path.c_str(), path_flags); }));
  if (!path_fd) {
    if (errno == ENOENT) return Error{Errc::not_found, "no such file", path, ENOENT};
    return sys_error("cannot open binary", path);
  }
  struct stat st {};
  if (fstat(path_fd.get(), &st) != 0) return sys_error("cannot stat binary", path);
  if (auto kind = check_kind(path, st); !kind) return std::move(kind).error();

  // Reopen for reading through the fd itself: the magic link names the inode
  // already opened, so no second path lookup can be redirected to another file.
  const std::string self = "/proc/self/fd/" + std::to_string(path_fd.get());
  UniqueFd fd(retry_on_eintr([&] { return open(self.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY); }));
  if (!fd) {
    if (errno == ENOENT) {
      return Error{Errc::io, "cannot reopen the binary through /proc/self/fd (is /proc mounted?)",
                   path, ENOENT};
    }
    return sys_error("cannot open binary for reading", path);
  }
  struct stat opened {};
  if (fstat(fd.get(), &opened) != 0) return sys_error("cannot stat binary", path);
  if (opened.st_dev != st.st_dev || opened.st_ino != st.st_ino) {
    return Error{Errc::internal, "reopened binary is not the file first opened", path, 0};
  }
  struct statvfs fs {};
  if (fstatvfs(fd.get(), &fs) != 0) return sys_error("cannot stat the binary's filesystem", path);
  if ((fs.f_flag & ST_NOEXEC) != 0) {
    return refused(path, "is on a filesystem mounted noexec");
  }
  WriterCheck writers{false, realtime_now()};
  if (auto none = refuse_if_open_for_writing(fd.get(), path, writers.no_writer_seen); !none) {
    return std::move(none).error();
  }

  return OpenedFile{std::move(fd), opened, writers};
}

// The hash pins the bytes read, but a writer who opens the file after the
// lease check and before execveat changes what runs; and whoever can write a
// folder on its path can swap the file before it is opened. So only root and
// the user stockade runs as may be able to change either. A group other than
// root's, or another owner, is refused like a world-writable file.
Status check_binary_trusted(int fd, const std::string& path) {
  return check_trusted(fd, path, "binary");
}

Result<Sha256Digest> hash_unchanged(int fd, const struct stat& opened, const std::string& path,
                                    DigestCache* digests, WriterCheck writers) {
  // find() answers only for the open file still as `opened` (it stats it).
  if (digests != nullptr) {
    if (auto known = digests->find(fd, opened)) return *known;
  }
  uint64_t hashed = 0;
  auto digest = sha256_of_fd(fd, &hashed);
  if (!digest) {
    Error e = std::move(digest).error();
    e.where = path;
    return e;
  }
  struct stat after {};
  if (fstat(fd, &after) != 0) return sys_error("cannot stat binary", path);
  if (!same_content_state(opened, after) || hashed != static_cast<uint64_t>(after.st_size)) {
    return refused(path, "changed (content, size or links) between being opened and hashed");
  }
  // Settled by the time nobody was writing it, not merely by the hash: a
  // writer in the gap after the check could hold a dirty page unseen.
  if (digests != nullptr) {
    digests->remember(fd, opened, *digest, writers.checked_at, writers.no_writer_seen);
  }
  return *digest;
}

}  // namespace stockade::whitelist_internal
