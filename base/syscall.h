// Small helpers for raw system calls.
#pragma once

#include <cerrno>

namespace stockade {

// Repeats a call interrupted by a signal (EINTR); returns its last result.
template <typename F>
auto retry_on_eintr(F&& call) {
  for (;;) {
    auto rc = call();
    if (!(rc == -1 && errno == EINTR)) return rc;
  }
}

}  // namespace stockade
