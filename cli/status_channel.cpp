#include "cli/status_channel.h"
#include "base/error.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/syscall.h"

namespace stockade::supervisor {

Result<StatusChannel> StatusChannel::use_fd(int fd) {
  const std::string name = "--status-fd " + std::to_string(fd);
  const int fd_flags = ::fcntl(fd, F_GETFD);
  if (fd_flags == -1) {
    return sys_error("is not an open descriptor (open it for writing, e.g. " + std::to_string(fd) +
                         ">status.json)", name);
  }
  const int fl = ::fcntl(fd, F_GETFL);
  if (fl == -1 || (fl & O_ACCMODE) == O_RDONLY) {
    return Error{Errc::invalid_input, "is not open for writing", name};
  }
  if (::fcntl(fd, F_SETFD, fd_flags | FD_CLOEXEC) != 0) return sys_error("F_SETFD", name);
  return StatusChannel(UniqueFd(), fd, name);
}

Result<StatusChannel> StatusChannel::create_file(const std::string& path) {
  UniqueFd fd(retry_on_eintr([&] {
    return ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  }));
  if (!fd) {
    if (errno == EEXIST) {
      return sys_error("already exists (or is a symlink); stockade creates the status file itself: "
                       "remove it or name a new one",
                       path);
    }
    return sys_error("cannot create the status file", path);
  }
  // The umask may have taken bits away, never added any; make it exactly 0600.
  if (::fchmod(fd.get(), 0600) != 0) return sys_error("cannot chmod the status file", path);
  const int raw = fd.get();
  return StatusChannel(std::move(fd), raw, path);
}

Status StatusChannel::write(std::string_view text, std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!text.empty()) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return Error{Errc::timeout, "the reader took no status within the time", name_};
    pollfd pfd{fd_, POLLOUT, 0};
    int ready = retry_on_eintr([&] { return ::poll(&pfd, 1, static_cast<int>(left.count())); });
    if (ready < 0) return sys_error("cannot wait to write the status", name_);
    if (ready == 0) continue;
    ssize_t n = retry_on_eintr([&] { return ::write(fd_, text.data(), text.size()); });
    if (n <= 0) return sys_error("cannot write the status", name_);
    text.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

}  // namespace stockade::supervisor
