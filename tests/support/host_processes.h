// Looking at the host from a test: which processes live in a given pid
// namespace (to prove a sandbox left none behind), which descriptors the
// test process holds (to prove none leaked), whether a pid is alive.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace stockade::testing {

// The pid namespace of `pid` as the kernel names it ("pid:[4026532...]"), or
// nullopt if the process is gone or not inspectable.
std::optional<std::string> pid_namespace_of(pid_t pid);
// Every live (not zombie) process, scanning /proc, whose pid namespace is `ns`.
std::vector<pid_t> processes_in_pid_namespace(const std::string& ns);
// The descriptors open in this process, from /proc/self/fd.
std::vector<int> open_fds();
// True if `pid` exists and is not a zombie.
bool process_alive(pid_t pid);

}  // namespace stockade::testing
