// A few instructions of hand-written BPF run before libseccomp's program:
// syscalls that are allowed except for some argument values, which are
// answered with an errno.
//
// Why not libseccomp rules: libseccomp 2.5.4 silently drops a conditional
// rule for a syscall that also has an unconditional one, whatever their
// actions and in either order (seccomp_rule_add returns 0; the exported
// program simply allows the syscall: SeccompPolicy tests show it). An
// "allow unless" cannot be written as allow rules either: the kernel reads
// these arguments as 32-bit ints, and libseccomp has no masked "not equal".
// So the exceptions come first, comparing only the low 32 bits of each
// argument (high bits are ignored by the kernel, and must be here: the
// CVE-2019-10063 class), and everything else falls through to libseccomp's
// program, which allows the syscall.
#pragma once

#include <linux/filter.h>

#include <vector>

namespace stockade::sandbox {

// setsockopt(SOL_SOCKET, SO_SNDBUF | SO_RCVBUF | SO_SNDBUFFORCE |
// SO_RCVBUFFORCE) → EPERM; fcntl(F_SETLK | F_SETLKW | F_OFD_SETLK |
// F_OFD_SETLKW | F_SETLEASE) → ENOLCK. Native architecture only; any other
// call jumps past the prefix. Empty on an architecture without a table here.
std::vector<sock_filter> seccomp_errno_prefix();

}  // namespace stockade::sandbox
