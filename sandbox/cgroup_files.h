// Reading and writing cgroupfs (and /proc) files: small kernel-generated
// files read whole, control files written in one write(2) whose errno the
// caller may need (EBUSY from cgroup.subtree_control is a rule, not an I/O
// failure). Shared by cgroups.cpp and cgroup_delegation.cpp.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "stockade/result.h"

namespace stockade::sandbox {

// Mount tables can be long on busy hosts; past this we stop reading (and may
// miss a hierarchy, which only means fewer limits, as summary() says).
constexpr size_t kMaxProcFileBytes = 4 * 1024 * 1024;

// `text` cut at every `sep` (an empty text gives no pieces).
std::vector<std::string_view> split(std::string_view text, char sep);
// The whole file (up to kMaxProcFileBytes), or "" when it cannot be opened.
std::string read_small_file(const std::string& path);
// One write(2) of `content`; the error keeps the syscall's errno.
Status write_file(const std::string& path, const std::string& content);
bool file_exists(const std::string& path);
// The path of this process's cgroup in the v2 hierarchy, from the "0::"
// line of /proc/self/cgroup, read now (not cached: a move changes it), or ""
// when there is none.
std::string read_own_v2_path();

}  // namespace stockade::sandbox
