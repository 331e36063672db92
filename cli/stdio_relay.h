// `stockade jail`'s stdio: the sandbox gets pipes of stockade's own, never a
// descriptor of the host's (a log file it could reopen, truncate or clear
// O_APPEND on; a socket it could shut down; a terminal it could push input
// into). Copier threads move the bytes between the host's fds 0, 1, 2 and
// those pipes, so the caller's wait loop stays free for the sandbox's end
// whatever the host's reader or writer does (stalls, goes away, floods).
// Output to a terminal is escaped (terminal_text.h).
#pragma once

#include <chrono>
#include <memory>
#include <vector>

#include "stockade/result.h"
#include "sandbox/sandbox.h"

namespace stockade::supervisor {

class StdioRelay {
 public:
  // Makes the pipes for fds 0, 1 and 2 (one pipe for stdout and stderr when
  // both are the same file, so their order is kept, as with 2>&1). A closed
  // host fd becomes a pipe too: stdin at EOF, output discarded.
  static Result<std::unique_ptr<StdioRelay>> create();
  ~StdioRelay();
  StdioRelay(const StdioRelay&) = delete;
  StdioRelay& operator=(const StdioRelay&) = delete;

  // The sandbox's ends, for sandbox::spawn.
  std::vector<sandbox::FdMapping> child_fds() const;
  // After spawn: closes our copies of the sandbox's ends (so its end is our
  // EOF) and starts the copiers.
  Status start();
  // After the sandbox has ended: stops reading stdin, lets the output
  // copiers deliver what the program wrote for at most `drain`, abandons
  // what is left, and joins every thread. True if all output was delivered.
  bool finish(std::chrono::milliseconds drain);

  // Whether fd 2 is a terminal, and whether the last byte the relay wrote
  // there was a newline (stockade's own line then starts a line of its own).
  bool stderr_is_terminal() const;
  bool stderr_at_line_start() const;

  class Copier;  // internal

 private:
  StdioRelay();
  struct Parts;
  std::unique_ptr<Parts> parts_;
};

}  // namespace stockade::supervisor
