// Errors as values that keep their context: what failed, where (file, field,
// syscall), and the errno. One `message()` is what reaches the user.
#pragma once

#include <string>

namespace stockade {

// Broad classes of failure; callers branch on these, users read message().
enum class Errc {
  invalid_input,   // malformed file, bad argument, failed verification of bytes
  not_found,       // a file, plugin or entry that does not exist
  refused,         // a policy said no: not whitelisted, beyond a ceiling
  io,              // a syscall failed
  protocol,        // a peer broke the wire protocol
  limit,           // a bound was hit (size, count, rate)
  timeout,         // a deadline passed
  unavailable,     // temporarily not possible (restarting, circuit open)
  internal,        // a bug or an impossible state
};

const char* errc_name(Errc code);

struct Error {
  Errc code = Errc::internal;
  std::string what;    // what was being done and why it failed, for humans
  std::string where;   // the file[:line], key path or syscall at fault; may be empty
  int sys_errno = 0;   // errno of the failing syscall, 0 if none

  // "where: what: strerror(errno)", omitting the empty parts.
  std::string message() const;
};

// Builds an Error from the current errno, naming the syscall (and object) at fault.
Error sys_error(std::string what, std::string where = {});
Error sys_error(std::string what, std::string where, int err);

}  // namespace stockade
