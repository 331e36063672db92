#include "sandbox/cgroup_delegation.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "base/error.h"
#include "stockade/result.h"
#include "sandbox/cgroup_files.h"

namespace stockade::sandbox {
namespace {

// The words of a cgroupfs list file (cgroup.controllers, cgroup.procs, ...).
std::vector<std::string> words_of(const std::string& path) {
  std::vector<std::string> out;
  std::string text = read_small_file(path);
  std::replace(text.begin(), text.end(), '\n', ' ');
  for (std::string_view word : split(text, ' ')) {
    if (!word.empty()) out.emplace_back(word);
  }
  return out;
}

bool contains(const std::vector<std::string>& list, const std::string& word) {
  return std::find(list.begin(), list.end(), word) != list.end();
}

std::string joined(const std::vector<std::string>& list) {
  std::string text;
  for (const auto& word : list) text += (text.empty() ? "" : ", ") + word;
  return text;
}

// access(2) checks the real uid, which is ours: the supervisor is no setuid program.
bool writable(const std::string& path) { return access(path.c_str(), W_OK) == 0; }

// "+name" into dir/cgroup.subtree_control for each of `names` not on yet.
Status enable(const std::string& dir, const std::vector<std::string>& names) {
  const std::vector<std::string> on = words_of(dir + "/cgroup.subtree_control");
  for (const auto& name : names) {
    if (contains(on, name)) continue;
    if (auto s = write_file(dir + "/cgroup.subtree_control", "+" + name); !s) return s;
  }
  return {};
}

// Moves this process (every thread: cgroup.procs) from out.base_dir into
// its leaf; "" on success, else why not, for the log. Only called once
// enabling said EBUSY, so base_dir offers controllers and is writable.
std::string move_into_leaf(const std::string& mount, V2Delegation& out) {
  const std::string& base = out.base_dir;
  const std::string self = std::to_string(getpid());
  std::vector<std::string> others = words_of(base + "/cgroup.procs");
  std::erase(others, self);
  // Moving ourselves would not empty it: pointless, and the others are not ours to move.
  if (!others.empty()) {
    if (others.size() > 5) others.resize(5);
    return base + " holds other processes (pid " + joined(others) +
           "), and a cgroup with processes cannot enable controllers for its children; "
           "start the supervisor alone in its delegated cgroup or in a leaf of it "
           "(systemd: DelegateSubgroup=" + kSupervisorLeaf + ")";
  }
  if (!writable(base + "/cgroup.procs"))
    return base + "/cgroup.procs is not writable by uid " + std::to_string(getuid()) +
           ", so the supervisor cannot move itself into a leaf; delegate the cgroup "
           "(systemd: Delegate=, which hands over its cgroup.procs too)";
  const std::string leaf = base + "/" + kSupervisorLeaf;
  if (mkdir(leaf.c_str(), 0755) != 0 && errno != EEXIST)
    return sys_error("making the supervisor's leaf cgroup (mkdir)", leaf).message();
  if (auto s = write_file(leaf + "/cgroup.procs", self); !s)
    return "moving the supervisor into its leaf cgroup: " + s.error().message();
  // What the kernel now says, not what we asked for.
  out.own_dir = mount + read_own_v2_path();
  if (out.own_dir != leaf)
    return "the supervisor was moved into " + leaf + " but /proc/self/cgroup says " + out.own_dir;
  return {};
}

}  // namespace

V2Delegation prepare_v2_delegation(const std::string& mount, const std::string& own_path,
                                   const std::vector<std::string>& wanted) {
  V2Delegation out;
  out.own_dir = own_path == "/" ? mount : mount + own_path;
  out.base_dir = out.own_dir;
  // Already in a leaf of a cgroup we may write (our earlier move, an exec'd
  // supervisor, DelegateSubgroup=): its parent is the delegated cgroup.
  const std::string leaf_suffix = std::string("/") + kSupervisorLeaf;
  if (own_path.ends_with(leaf_suffix)) {
    const std::string parent = out.own_dir.substr(0, out.own_dir.size() - leaf_suffix.size());
    if (writable(parent) && writable(parent + "/cgroup.subtree_control")) out.base_dir = parent;
  }
  std::vector<std::string> offered;
  for (const auto& name : words_of(out.base_dir + "/cgroup.controllers")) {
    if (contains(wanted, name)) offered.push_back(name);
  }
  if (offered.empty()) return out;  // nothing to pass on (the hybrid layout): no move, no log
  const std::string stockade_dir = out.base_dir + "/stockade";
  // Not writable for us (an unprivileged supervisor without delegation): as
  // before, no group at all, and AppliedLimits says so at each launch.
  if (mkdir(stockade_dir.c_str(), 0755) != 0 && errno != EEXIST) return out;

  auto fail = [&](const std::string& why) {
    const std::string after_move = out.note == V2Delegation::Note::moved
                                       ? " (after moving the supervisor into " + out.own_dir + ")"
                                       : "";
    out.note = V2Delegation::Note::failed;
    out.message = "cgroup: cannot enable " + joined(offered) + " for the sandboxes in " +
                  stockade_dir + after_move + ": " + why +
                  "; sandboxes get cgroup v2 CPU accounting (cpu.stat) and cgroup.kill only, "
                  "memory and processes fall back to rlimits";
    out.enabled = {};
    return out;
  };
  Status on = enable(out.base_dir, offered);
  if (!on && on.error().sys_errno == EBUSY) {
    const std::string from = out.base_dir;
    if (std::string why = move_into_leaf(mount, out); !why.empty()) return fail(why);
    on = enable(out.base_dir, offered);
    out.note = V2Delegation::Note::moved;
    out.message = "cgroup: moved the supervisor (pid " + std::to_string(getpid()) + ") from " +
                  from + " to " + out.own_dir + ": a cgroup that holds processes cannot enable "
                  "controllers for its children (EBUSY), and " + joined(offered) +
                  " are delegated there for the sandboxes";
  }
  if (!on) return fail(on.error().message());
  if (auto s = enable(stockade_dir, offered); !s) return fail(s.error().message());
  for (const auto& name : words_of(stockade_dir + "/cgroup.subtree_control")) {
    if (contains(offered, name)) out.enabled.push_back(name);
  }
  return out;
}

}  // namespace stockade::sandbox
