// The v2 cgroup stockade makes its sandboxes' groups under, prepared once.
//
// stockade makes `<base>/stockade/sbx-...` in the v2 cgroup it runs in and
// enables the controllers it limits with (memory, pids, cpu) in `<base>`'s
// and `<base>/stockade`'s cgroup.subtree_control. The kernel's
// no-internal-processes rule refuses that (EBUSY) while `<base>` holds
// processes, and in a delegated cgroup (a systemd service with Delegate=)
// it holds the supervisor itself. Then, and only then, the supervisor moves
// itself into a leaf, `<base>/supervisor` (all its threads move with it:
// cgroup.procs), and enables the controllers again. A supervisor already in
// such a leaf (an earlier move, or systemd's DelegateSubgroup=supervisor)
// keeps using its parent as `<base>`.
#pragma once

#include <string>
#include <vector>

namespace stockade::sandbox {

// The leaf the supervisor moves itself into.
inline constexpr const char* kSupervisorLeaf = "supervisor";

struct V2Delegation {
  enum class Note {
    none,    // nothing worth a log line: no controller to pass on, or already enabled
    moved,   // the supervisor moved itself into the leaf (info)
    failed,  // controllers are there but could not be enabled (warning)
  };
  std::string base_dir;              // where stockade/ is made
  std::string own_dir;               // the supervisor's v2 cgroup afterwards, re-read
  std::vector<std::string> enabled;  // of `wanted`, enabled in <base>/stockade's subtree_control
  Note note = Note::none;
  std::string message;  // one line for the log when note != none
};

// Prepares `mount` + `own_path` (the supervisor's v2 cgroup, as
// /proc/self/cgroup says) so that the groups made under base_dir/stockade
// get the `wanted` controllers that base_dir's cgroup.controllers offers.
// Moves this process only when base_dir holds it alone and enabling said
// EBUSY; never fails (a failure is a Note::failed with its reason, the
// sandboxes then get the core files only: cpu.stat and cgroup.kill). Nothing
// is written where base_dir is not writable for us.
V2Delegation prepare_v2_delegation(const std::string& mount, const std::string& own_path,
                                   const std::vector<std::string>& wanted);

}  // namespace stockade::sandbox
