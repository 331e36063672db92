// The seccomp policy: which syscalls a plugin may make.
//
// The filter is an allowlist for the native ABI only: the x32 and i386 entry
// points (and any foreign architecture) kill the process outright; a native
// syscall outside the list is reported to the supervisor through seccomp user
// notification (the Child names it) and the sandbox is killed. Some syscalls
// are allowed only with argument checks (ioctl, clone, socket, prctl,
// personality, and unless Policy::allow_jit mmap and mprotect: nothing
// writable and executable, no anonymous executable memory); some are
// answered with an errno so common runtimes fall back (clone3 → ENOSYS,
// glibc then uses clone; sched_setaffinity → EPERM, so the CPU affinity
// limit cannot be widened; sysinfo → ENOSYS, it reports host-wide counters;
// flock and fcntl's lock commands → ENOLCK; raising socket buffers → EPERM).
// Unless Policy::allow_exec, execve and execveat are reported like a
// violation: spawn() answers the sandbox's own two execs, and any later one
// kills the sandbox.
#pragma once

#include <linux/filter.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "stockade/result.h"
#include "sandbox/policy.h"

namespace stockade::sandbox {

// Syscalls allowed without conditions in every sandbox (native names).
// memfd_create is not among them: a memfd has no mount flags and Landlock
// does not cover it, so it would let the plugin execveat a payload that never
// passed verification. It is grantable for runtimes that need it.
const std::vector<std::string_view>& default_allowed_syscalls();

// Syscalls that no manifest or operator can grant: they break the sandbox
// (namespaces, mounts, ptrace-likes, kernel attack surface, host state), or
// are already allowed with argument checks that a wholesale grant would
// remove (ioctl, clone, clone3, socket, prctl, personality).
const std::vector<std::string_view>& never_grantable_syscalls();

// Ok when `name` may be granted as an extra syscall; refused (naming the
// syscall and why) when it is never grantable; invalid_input when this
// architecture has no syscall of that name.
Status check_grantable(std::string_view name);

// A compiled filter: the BPF program, ready for seccomp(SECCOMP_SET_MODE_FILTER).
class SeccompProgram {
 public:
  const sock_fprog* program() const { return &program_; }
  size_t instruction_count() const { return filter_.size(); }
  const std::vector<sock_filter>& instructions() const { return filter_; }

  SeccompProgram() = default;
  SeccompProgram(const SeccompProgram&) = delete;
  SeccompProgram& operator=(const SeccompProgram&) = delete;
  SeccompProgram(SeccompProgram&& other) noexcept { *this = std::move(other); }
  SeccompProgram& operator=(SeccompProgram&& other) noexcept;

 private:
  friend Result<SeccompProgram> build_seccomp_program(const Policy& policy);
  friend std::shared_ptr<const SeccompProgram> prebuilt_default_seccomp_program();
  std::vector<sock_filter> filter_;
  sock_fprog program_{};
};

// Compiles the default profile plus `policy.extra_syscalls` (each checked by
// check_grantable), with Policy::allow_exec and Policy::allow_jit. The rules
// do not depend on Policy::network: IP sockets in an empty network namespace
// reach nothing.
Result<SeccompProgram> build_seccomp_program(const Policy& policy);

// build_seccomp_program, memoised on its inputs (allow_exec, allow_jit and the
// extra syscalls):
// compiling and exporting with libseccomp is most of spawn()'s preparation
// (0.8-0.9 ms here, spent in libseccomp's rule database and export). The
// default profile (no extra syscalls, neither allow_exec nor allow_jit) is
// compiled at build time instead
// (prebuilt_default_seccomp_program), so a short-lived process such as
// `stockade jail` does not pay it. Thread-safe; a bounded number of entries.
Result<std::shared_ptr<const SeccompProgram>> cached_seccomp_program(const Policy& policy);

// The default profile's program as build_seccomp_program(Policy{}) produced
// it at build time (sandbox/seccomp_default_gen.cpp), for this architecture;
// a test checks it equals a fresh compile.
std::shared_ptr<const SeccompProgram> prebuilt_default_seccomp_program();

}  // namespace stockade::sandbox
