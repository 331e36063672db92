#include "supervisor/fd_limit.h"

#include "supervisor/log.h"

#include <dirent.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>


namespace stockade::supervisor {
namespace {

// Room a launch needs above the highest fd in use (sandbox/spawn.cpp: four
// scratch fds, the mappings, the bind sources), with a margin.
constexpr long kLaunchHeadroom = 128;

// The highest descriptor this process holds (-1 if /proc cannot be read).
// Only on a failed launch: it reads /proc/self/fd.
long highest_open_fd() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  long highest = -1;
  while (dirent* entry = readdir(dir)) {
    char* end = nullptr;
    long fd = std::strtol(entry->d_name, &end, 10);
    if (end != entry->d_name && *end == '\0' && fd > highest) highest = fd;
  }
  closedir(dir);
  return highest;
}

std::string limit_text(const rlimit& limit) {
  auto text = [](rlim_t v) { return v == RLIM_INFINITY ? std::string("unlimited") : std::to_string(v); };
  return "RLIMIT_NOFILE soft limit " + text(limit.rlim_cur) + " (hard " + text(limit.rlim_max) + ")";
}

}  // namespace

unsigned long raise_open_file_limit(Log& log) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    log.warn("", "getrlimit(RLIMIT_NOFILE): {}", std::strerror(errno));
    return 0;
  }
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) {
      log.debug("", "raised the soft RLIMIT_NOFILE from {} to {}", limit.rlim_cur, raised.rlim_cur);
      return raised.rlim_cur;
    }
    log.warn("", "cannot raise the soft RLIMIT_NOFILE from {} to its hard limit {}: {}", limit.rlim_cur,
                 limit.rlim_max, std::strerror(errno));
  }
  return limit.rlim_cur;
}

std::optional<std::string> fd_exhaustion(const Error& launch_error) {
  const int err = launch_error.sys_errno;
  if (err != EMFILE && err != ENFILE && err != EBADF) return std::nullopt;
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return std::nullopt;
  const long highest = highest_open_fd();
  if (err == EBADF) {
    // EBADF is also a plain bug; it is exhaustion only when the sandbox's
    // fds would not fit under the limit.
    if (highest < 0 || limit.rlim_cur == RLIM_INFINITY ||
        static_cast<rlim_t>(highest + kLaunchHeadroom) < limit.rlim_cur) {
      return std::nullopt;
    }
  }
  if (err == ENFILE) {
    return "out of file descriptors system-wide (ENFILE, fs.file-max): " + launch_error.message() +
           "; raise fs.file-max or run fewer plugins";
  }
  return "out of file descriptors: the supervisor's " + limit_text(limit) + " is reached (highest fd in use " +
         std::to_string(highest) + "; a launch needs about " + std::to_string(kLaunchHeadroom) +
         " above it): " + launch_error.message() +
         "; raise the limit (LimitNOFILE= in the service unit, ulimit -Hn) or run fewer plugins";
}

}  // namespace stockade::supervisor
