// The supervisor's descriptor budget. Every plugin holds five of the
// supervisor's fds (socket, output pipe, pidfd, seccomp listener,
// stockade-init's report; tests/runtime/scale_test.cpp counts them) and a
// launch needs some 80 more for a moment (the
// sandbox places its scratch fds above the highest one in use). At the
// common soft RLIMIT_NOFILE of 1024 the 170th plugin or so cannot start; the hard
// limit is usually far higher, so the runtime raises the soft limit to it
// at start (as Go does since 1.19). Internal to the runtime.
#pragma once

#include <optional>
#include <string>

#include "stockade/result.h"

namespace stockade::supervisor {

class Log;

// Raises the soft RLIMIT_NOFILE to the hard limit; returns the soft limit
// now in force (unchanged, with a warning logged, if setrlimit refuses).
unsigned long raise_open_file_limit(Log& log);

// If `launch_error` means the supervisor ran out of file descriptors (EMFILE,
// ENFILE, or a sandbox step failing with EBADF because its fds would lie
// above RLIMIT_NOFILE), the message to report instead, naming the limit.
// Such a failure is resource exhaustion: not a crash, not retried.
std::optional<std::string> fd_exhaustion(const Error& launch_error);

}  // namespace stockade::supervisor
