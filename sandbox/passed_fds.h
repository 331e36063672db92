// The descriptors spawn() passes into a sandbox, each with an open file
// description of the sandbox's own where that is possible and expected.
// Internal to sandbox/.
#pragma once

#include <vector>

#include "base/result.h"
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

// A dup() shares the open file description, and with it the status flags:
// a plugin setting O_NONBLOCK on a stdin that is the operator's terminal
// would leave the operator's shell reading EAGAIN. Terminals, pipes, FIFOs
// and other character devices are therefore reopened through
// /proc/self/fd/N (same access mode, O_NOCTTY, the original's O_NONBLOCK and
// O_APPEND), which gives the same file with a description of its own.
// Shared on purpose: sockets (they cannot be reopened; the protocol socket is
// the supervisor's own anyway), regular files and directories (a shell's
// `>` / `>>` users expect the one offset), pty masters (a reopen of ptmx
// makes a new terminal). Shared as a fallback, when the reopen is refused
// (a terminal or pipe of another user, a FIFO whose reader is gone, no
// /proc): the flags are a courtesy to the host, not a containment layer;
// the plugin reaches the same file either way.
Result<PassedFds> own_descriptions(const std::vector<FdMapping>& fds);

}  // namespace stockade::sandbox
