#include "daemon/listener.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace stockade::daemon {
namespace {

constexpr int kActivatedFd = 3;  // SD_LISTEN_FDS_START


// A path to `name` inside the open folder `dirfd` that bind/connect accept:
// sun_path has no *at() form, and /proc/self/fd/N/ resolves through the open
// folder itself, not through its (swappable) path.
std::string via_folder(int dirfd, const std::string& name) {
  return "/proc/self/fd/" + std::to_string(dirfd) + "/" + name;
}

bool fill_address(const std::string& path, sockaddr_un& addr) {
  std::memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) return false;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return true;
}

// The folder: opened without following a final symlink; created 0755 when
// missing (its parent must exist: /run is the system's).
Result<UniqueFd> open_socket_folder(const std::string& folder) {
  const mode_t old_mask = ::umask(022);
  const int made = ::mkdir(folder.c_str(), 0755);
  const int mkdir_errno = errno;
  ::umask(old_mask);
  if (made != 0 && mkdir_errno != EEXIST) {
    return Error{Errc::io, "cannot create the control socket's folder", "mkdir(" + folder + ")",
                 mkdir_errno};
  }
  UniqueFd fd(::open(folder.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) {
    return Error{Errc::io, "cannot open the control socket's folder (a symlink is refused)",
                 "open(" + folder + ")", errno};
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return Error{Errc::io, "cannot stat", "fstat(" + folder + ")", errno};
  if (st.st_uid != 0 && st.st_uid != ::geteuid()) {
    return Error{Errc::refused,
                 "the control socket's folder belongs to uid " + std::to_string(st.st_uid) +
                     ", neither root nor us: whoever owns it could swap the socket; use a folder "
                     "owned by root (systemd: RuntimeDirectory=stockade)",
                 folder};
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return Error{Errc::refused,
                 "the control socket's folder is writable by group or others: they could swap "
                 "the socket; chmod go-w it",
                 folder};
  }
  return fd;
}

// A file already at the socket's name: a socket nobody answers on is what a
// daemon that was killed leaves, and is removed; anything else stays and
// stops us.
Status clear_stale_socket(int dirfd, const std::string& name, const std::string& path) {
  struct stat st {};
  if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return {};
    return Error{Errc::io, "cannot stat the control socket's path", "fstatat(" + path + ")", errno};
  }
  if (!S_ISSOCK(st.st_mode)) {
    return Error{Errc::invalid_input, "exists and is not a socket: remove it or choose another control.socket", path};
  }
  UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!probe) return Error{Errc::io, "cannot make a probe socket", "socket(AF_UNIX)", errno};
  sockaddr_un addr{};
  if (!fill_address(via_folder(dirfd, name), addr)) return Error{Errc::invalid_input, "path too long", path};
  if (::connect(probe.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0) {
    return Error{Errc::unavailable,
                 "another process answers on this control socket (a running stockade serve?): "
                 "stop it or choose another control.socket",
                 path};
  }
  if (errno != ECONNREFUSED) {
    return Error{Errc::io, "cannot tell whether the old control socket is in use", "connect(" + path + ")", errno};
  }
  if (::unlinkat(dirfd, name.c_str(), 0) != 0 && errno != ENOENT) {
    return Error{Errc::io, "cannot remove the stale control socket", "unlink(" + path + ")", errno};
  }
  return {};
}

// LISTEN_PID/LISTEN_FDS, then unset (sd_listen_fds(3)'s unset_environment).
std::optional<int> activated_fd_count() {
  const char* pid = std::getenv("LISTEN_PID");
  const char* fds = std::getenv("LISTEN_FDS");
  std::optional<int> count;
  if (pid != nullptr && fds != nullptr && std::strtol(pid, nullptr, 10) == ::getpid()) {
    const long n = std::strtol(fds, nullptr, 10);
    if (n > 0) count = static_cast<int>(n);
  }
  ::unsetenv("LISTEN_PID");
  ::unsetenv("LISTEN_FDS");
  ::unsetenv("LISTEN_FDNAMES");
  return count;
}

Status check_activated_socket(int fd) {
  int domain = 0, type = 0, listening = 0;
  socklen_t len = sizeof(int);
  auto get = [&](int option, int& out) {
    len = sizeof(int);
    return ::getsockopt(fd, SOL_SOCKET, option, &out, &len) == 0;
  };
  if (!get(SO_DOMAIN, domain) || !get(SO_TYPE, type) || !get(SO_ACCEPTCONN, listening)) {
    return Error{Errc::invalid_input, "fd 3 from socket activation is not a socket",
                 "getsockopt(3)", errno};
  }
  if (domain != AF_UNIX || type != SOCK_STREAM || listening == 0) {
    return Error{Errc::invalid_input,
                 "fd 3 from socket activation must be a listening AF_UNIX SOCK_STREAM socket "
                 "(ListenStream=/path in the .socket unit)",
                 "LISTEN_FDS"};
  }
  if (::fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) return Error{Errc::io, "cannot set FD_CLOEXEC", "fcntl(3)", errno};
  return {};
}

}  // namespace

Result<ControlListener> ControlListener::open(const supervisor::ControlSocket& control) {
  ControlListener l;
  l.path_ = control.socket;
  if (auto count = activated_fd_count()) {
    if (auto ok = check_activated_socket(kActivatedFd); !ok) return ok.error();
    l.fd_.reset(kActivatedFd);
    l.activated_ = true;
    return l;
  }
  const std::filesystem::path path(control.socket);
  l.name_ = path.filename().string();
  auto folder = open_socket_folder(path.parent_path().string());
  if (!folder) return folder.error();
  l.folder_ = std::move(*folder);
  if (auto cleared = clear_stale_socket(l.folder_.get(), l.name_, l.path_); !cleared) return cleared.error();

  l.fd_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!l.fd_) return Error{Errc::io, "cannot make the control socket", "socket(AF_UNIX)", errno};
  sockaddr_un addr{};
  if (!fill_address(via_folder(l.folder_.get(), l.name_), addr)) {
    return Error{Errc::invalid_input, "path too long for sun_path", l.path_};
  }
  if (::bind(l.fd_.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    return Error{Errc::io, "cannot bind the control socket", "bind(" + l.path_ + ")", errno};
  }
  struct stat st {};
  if (::fstatat(l.folder_.get(), l.name_.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return Error{Errc::io, "cannot stat the bound control socket", "fstatat(" + l.path_ + ")", errno};
  }
  l.dev_ = st.st_dev;
  l.ino_ = st.st_ino;
  // Until listen() every connect is refused, so the mode set here is the
  // first any peer meets.
  if (auto perms = l.apply_permissions(control); !perms) return perms.error();
  if (::listen(l.fd_.get(), kListenBacklog) != 0) {
    return Error{Errc::io, "cannot listen on the control socket", "listen(" + l.path_ + ")", errno};
  }
  return l;
}

Status ControlListener::apply_permissions(const supervisor::ControlSocket& control) const {
  if (activated_ || !folder_) return {};
  // fchmod on a socket fd changes the socket, not the file in the folder.
  if (::fchmodat(folder_.get(), name_.c_str(), control.mode, 0) != 0) {
    return Error{Errc::io, "cannot set control.mode on the socket", "chmod(" + path_ + ")", errno};
  }
  if (control.group_id) {
    if (::fchownat(folder_.get(), name_.c_str(), static_cast<uid_t>(-1), *control.group_id,
                   AT_SYMLINK_NOFOLLOW) != 0) {
      return Error{Errc::io,
                   "cannot give the socket control.group " + std::to_string(*control.group_id) +
                       " (not root? then only a group we are in)",
                   "chown(" + path_ + ")", errno};
    }
  }
  return {};
}

ControlListener::~ControlListener() {
  if (activated_ || !folder_ || name_.empty()) return;
  struct stat st {};
  // Only our own socket: a later daemon may already have bound the name anew.
  if (::fstatat(folder_.get(), name_.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_dev == dev_ &&
      st.st_ino == ino_) {
    ::unlinkat(folder_.get(), name_.c_str(), 0);
  }
}

}  // namespace stockade::daemon
