#include "sandbox/passed_fds.h"
#include "base/error.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <string>

#include "base/syscall.h"

namespace stockade::sandbox {
namespace {

bool same_file(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino && a.st_rdev == b.st_rdev;
}

bool is_pty_master(int fd) {
  unsigned int number = 0;
  return ioctl(fd, TIOCGPTN, &number) == 0;
}

Error refused(int fd, const std::string& what) {
  return Error{Errc::refused,
               "sandbox step fds: fd " + std::to_string(fd) + " is " + what +
                   ", which the plugin must not hold a description of; pass a pipe and copy "
                   "(see sandbox/passed_fds.h)",
               "fds"};
}

// A fresh description of what `fd` refers to, or an empty UniqueFd when it
// is to be shared, or an error when it may not be passed at all (see
// passed_fds.h for which and why).
Result<UniqueFd> reopen(int fd) {
  struct stat before {};
  if (fstat(fd, &before) != 0) return sys_error("sandbox step fds: fstat of fd " + std::to_string(fd));
  if (S_ISSOCK(before.st_mode)) return UniqueFd();
  if (S_ISREG(before.st_mode)) return refused(fd, "a regular file");
  if (S_ISDIR(before.st_mode)) return refused(fd, "a directory");
  if (S_ISBLK(before.st_mode)) return refused(fd, "a block device");
  if (!S_ISFIFO(before.st_mode) && !S_ISCHR(before.st_mode)) return refused(fd, "not a pipe, socket or device");
  if (S_ISCHR(before.st_mode) && is_pty_master(fd)) return refused(fd, "a pty master");
  const bool terminal = S_ISCHR(before.st_mode) && isatty(fd) == 1;
  const int flags = fcntl(fd, F_GETFL);
  if (flags < 0) return sys_error("sandbox step fds: F_GETFL of fd " + std::to_string(fd));
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  // O_NONBLOCK for the open itself: a FIFO opened for reading would wait
  // for a writer, a serial line for its carrier. The original's mode is
  // restored below.
  UniqueFd fresh(retry_on_eintr(
      [&] { return open(path.c_str(), (flags & O_ACCMODE) | O_NOCTTY | O_NONBLOCK | O_CLOEXEC); }));
  if (!fresh) {
    if (terminal) return refused(fd, "a terminal that cannot be reopened (" + std::string(strerrordesc_np(errno)) + ")");
    return UniqueFd();  // refused: share (documented fallback)
  }
  struct stat after {};
  if (fstat(fresh.get(), &after) != 0)
    return sys_error("sandbox step fds: fstat of the reopened fd " + std::to_string(fd));
  // A device whose open makes a new instance (a cloning device) is not the
  // file we were given: share the original instead (never a terminal's).
  if (!same_file(before, after)) {
    if (terminal) return refused(fd, "a terminal whose reopen gives another one");
    return UniqueFd();
  }
  if (fcntl(fresh.get(), F_SETFL, flags & (O_NONBLOCK | O_APPEND)) != 0)
    return sys_error("sandbox step fds: F_SETFL of the reopened fd " + std::to_string(fd));
  return fresh;
}

}  // namespace

Result<PassedFds> own_descriptions(const std::vector<FdMapping>& fds) {
  PassedFds passed;
  passed.mappings = fds;
  // One description per parent fd: {out, 1}, {out, 2} stay one description
  // in the child, as `2>&1` would make them.
  std::map<int, int> reopened;
  for (FdMapping& m : passed.mappings) {
    auto known = reopened.find(m.parent_fd);
    if (known == reopened.end()) {
      auto fresh = reopen(m.parent_fd);
      if (!fresh) return std::move(fresh).error();
      int replacement = fresh->valid() ? fresh->get() : m.parent_fd;
      if (fresh->valid()) passed.owned.push_back(std::move(*fresh));
      known = reopened.emplace(m.parent_fd, replacement).first;
    }
    m.parent_fd = known->second;
  }
  return passed;
}

}  // namespace stockade::sandbox
