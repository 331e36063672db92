// Looking at the host from a test: which processes live in a given pid
// namespace (to prove a sandbox left none behind), which descriptors the
// test process holds (to prove none leaked), whether a pid is alive.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "base/unique_fd.h"

namespace stockade::testing {

// The pid namespace of `pid` as the kernel names it ("pid:[4026532...]"), or
// nullopt if the process is gone or not inspectable.
std::optional<std::string> pid_namespace_of(pid_t pid);
// The pid namespace of `pid`, held open by a descriptor. While it is held its
// name cannot pass to a namespace made later: the kernel gives a freed
// namespace's inode number to the next one, and tests running beside this one
// make namespaces all the time, so a name read from a namespace that is gone
// may find another test's processes. Look for leftovers with the handle held.
struct HeldPidNamespace {
  std::string name;
  UniqueFd handle;
};
std::optional<HeldPidNamespace> hold_pid_namespace(pid_t pid);
// Every live (not zombie) process, scanning /proc, whose pid namespace is `ns`.
std::vector<pid_t> processes_in_pid_namespace(const std::string& ns);
// The descriptors open in this process, from /proc/self/fd.
std::vector<int> open_fds();
// True if `pid` exists and is not a zombie.
bool process_alive(pid_t pid);

}  // namespace stockade::testing
