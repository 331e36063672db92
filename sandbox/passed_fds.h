// The descriptors spawn() passes into a sandbox, each with an open file
// description of the sandbox's own where that is possible and expected.
// Internal to sandbox/.
#pragma once

#include <vector>

#include "stockade/result.h"
#include "base/unique_fd.h"
#include "sandbox/sandbox.h"

namespace stockade::sandbox {

struct PassedFds {
  // The mappings to hand to the child: parent_fd replaced where reopened.
  std::vector<FdMapping> mappings;
  // The reopened descriptions; the parent closes them once the child has
  // exec'd (or failed), the child keeps its copies.
  std::vector<UniqueFd> owned;
};

// What each kind of descriptor becomes in the sandbox. A dup() would share
// the open file description with the host, and with it the offset, the
// status flags (O_APPEND, O_NONBLOCK) and whatever the file is: the plugin
// could reopen it through /proc/self/fd/N for reading, truncate it, rewrite
// it at any offset. So:
//  - pipes and FIFOs, and character devices that are not terminals
//    (/dev/null): reopened through /proc/self/fd/N (same access mode,
//    O_NOCTTY, the original's O_NONBLOCK and O_APPEND), a description of
//    the sandbox's own of the same pipe or device; shared as a fallback
//    when the reopen is refused (a FIFO whose reader is gone): a pipe's
//    bytes are the only thing it leads to, and the flags are a courtesy.
//  - terminals (slaves, serial lines): reopened the same way, and refused
//    when that fails, never shared. Note that the terminal itself is still
//    the plugin's to read and to ioctl (the sandbox's setsid() keeps
//    TIOCSTI out): pass a pipe instead, as `stockade jail` does.
//  - sockets: shared (they cannot be reopened); pass only a socket of the
//    caller's own, such as the runtime's socketpair. A shutdown() of it is
//    the caller's to survive (ignore SIGPIPE, expect EPIPE).
//  - refused, with an error naming the fd: regular files (memfds too),
//    directories, block devices, pty masters (writing one types into that
//    terminal), and anything else (epoll, eventfd, O_PATH of a symlink...).
//    Copy a file's bytes through a pipe instead.
// The runtime passes /dev/null, two pipes and a socketpair of its own;
// `stockade jail` passes three pipes.
Result<PassedFds> own_descriptions(const std::vector<FdMapping>& fds);

}  // namespace stockade::sandbox
