// Syscall names and numbers, including the syscalls of the kernels we
// support that the libseccomp we build against (2.5.4) does not know: it
// named a violation of statmount "#457". libseccomp is asked first; the table
// in syscall_names.cpp fills in what it lacks (x86_64 and aarch64).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace stockade::sandbox {

// The name of syscall `nr` of audit architecture `arch` (AUDIT_ARCH_*, the
// seccomp_data.arch of a notification); "#NR" only for a number no table has.
std::string syscall_name(uint32_t arch, int nr);

// The native architecture's number for `name`, or -1 when it has none.
int syscall_number(std::string_view name);

}  // namespace stockade::sandbox
