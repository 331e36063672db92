// Conventions shared by the hostile probes. Each probe is one attack, driven
// by its argv; it prints one result line on stdout and exits with:
//   kBlocked (0)    the attack failed the way the sandbox promises;
//   kEscaped (66)   the attack worked: a hole in the sandbox;
//   kProbeError (2) the probe was misused (bad argv) or could not set up.
// Syscalls the sandbox kills on never return: the driver then sees the
// seccomp_violation status instead of an exit code.
#pragma once

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace probe {

inline constexpr int kBlocked = 0;
inline constexpr int kEscaped = 66;
inline constexpr int kProbeError = 2;

[[gnu::format(printf, 2, 3)]] [[noreturn]] inline void finish(int code, const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  std::vprintf(fmt, args);
  va_end(args);
  std::fputc('\n', stdout);
  std::fflush(stdout);
  std::exit(code);
}

// The errno name, so result lines compare exactly across libc versions.
inline const char* errno_name(int err) {
  const char* name = strerrorname_np(err);
  return name != nullptr ? name : "E?";
}

inline long arg_long(int argc, char** argv, int index) {
  if (index >= argc) finish(kProbeError, "usage: missing argument %d", index);
  char* end = nullptr;
  long value = std::strtol(argv[index], &end, 0);
  if (*end != '\0') finish(kProbeError, "usage: argument %d is not a number", index);
  return value;
}

inline const char* arg_str(int argc, char** argv, int index) {
  if (index >= argc) finish(kProbeError, "usage: missing argument %d", index);
  return argv[index];
}

}  // namespace probe
