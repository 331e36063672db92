// The sandbox's filesystem, planned in the parent as a list of MountOps the
// child runs under a fresh tmpfs before pivot_root.
//
// Default profile: /usr and the /lib*, /bin, /sbin entries of the host root
// (recreated as symlinks where they are symlinks, bound where they are
// directories), /etc/ld.so.cache, the /dev nodes null, zero, full, random and
// urandom (host nodes bound: mknod is not allowed in a user namespace), /dev/fd
// and /dev/std* symlinks into /proc, a new /proc (subset=pid, hidepid) for the
// pid namespace, a size-limited writable /tmp, and the verified binary's own
// inode at /run/stockade/plugin (kBinaryInsidePath). Then the policy's extra
// read-only paths at the same place. Every bind is read-only, nosuid; nodev
// except the device nodes; noexec except /usr, the /lib* directories and the
// binary.
//
// How a bind source is opened (the class of runc CVE-2021-30465 and flatpak
// CVE-2024-42472: a path checked, then opened again after someone swapped a
// component for a symlink): once, by the child, in its own mount namespace
// (bind refuses a mount of another namespace, so a parent's fd would not do),
// before the new root's tmpfs covers anything, with openat2 from the granted
// prefix (itself opened with RESOLVE_NO_SYMLINKS) and RESOLVE_NO_SYMLINKS |
// RESOLVE_NO_MAGICLINKS | RESOLVE_BENEATH: no symlink is followed at any
// component. The open fd is checked (fstat: its type; the binary's st_dev and
// st_ino) and that very fd is bound (open_tree clone, read-only while still
// detached, move_mount). What is bound is what was checked.
#pragma once

#include <deque>
#include <string>
#include <vector>

#include "stockade/result.h"
#include "base/unique_fd.h"
#include "sandbox/child_plan.h"
#include "sandbox/policy.h"

namespace stockade::sandbox {

// Where the child mounts the new root's tmpfs (in its own mount namespace,
// so the host's directory is untouched).
inline constexpr const char* kNewRootMountPoint = "/tmp";

// Where the verified binary is bound inside, and exec'd from: what the
// plugin reads in /proc/self/exe instead of the host's path.
inline constexpr const char* kBinaryInsidePath = "/run/stockade/plugin";

class MountPlan {
 public:
  // Fails (naming the path and the reason) when an extra read-only path is
  // malformed or cannot be opened the way the child will open it.
  // `first_source_fd`: bind sources are held at fds from there up in the
  // child (above every fd in play). `binary_fd`: the binary to bind at
  // kBinaryInsidePath (-1, or a file with no path such as a memfd: none).
  static Result<MountPlan> build(const Policy& policy, int first_source_fd, int binary_fd = -1);

  MountPlan() = default;
  MountPlan(MountPlan&&) noexcept = default;
  MountPlan& operator=(MountPlan&&) noexcept = default;

  const MountOp* ops() const { return ops_.data(); }
  int count() const { return static_cast<int>(ops_.size()); }
  // "bind /usr", "mount tmpfs /tmp", ...: names an op in error messages.
  const std::string& describe(int index) const { return descriptions_.at(index); }
  // The error for op `index` failing with `err` in the child: names the
  // path and, for a bind, says why in words ("contains a symbolic link").
  Error step_error(int index, int err) const;
  // kBinaryInsidePath when the plan binds the binary there, else null.
  const char* binary_inside_path() const { return binds_binary_ ? kBinaryInsidePath : nullptr; }

 private:
  const char* keep(std::string text);
  void mkdir_parents(const std::string& inside);
  void add(MountOp::Kind kind, const std::string& inside, const char* data, unsigned long flags,
           std::string description);
  Status bind(const std::string& host_path, const std::string& beneath, unsigned long attrs,
              SourceType type, bool required);
  void bind_binary(int binary_fd, const Policy& policy);
  Status provide_files(const Policy& policy);

  std::deque<std::string> strings_;  // stable c_str() for the child
  int next_source_fd_ = 0;
  bool binds_binary_ = false;
  std::vector<MountOp> ops_;
  std::vector<std::string> descriptions_;
  std::vector<std::string> made_dirs_;
};

// Checks a path from the policy: absolute, normalized (no ".", "..", "//" or
// trailing "/"), not "/" itself, no NUL.
Status check_sandbox_path(const std::string& path, const char* field);

// Opens `path` (O_PATH) the way the child opens a bind source: `beneath`
// with RESOLVE_NO_SYMLINKS, then `path` below it with RESOLVE_NO_SYMLINKS |
// RESOLVE_NO_MAGICLINKS | RESOLVE_BENEATH. For the supervisor's early check
// (effective_policy) and the plan; the child's own open is the one that
// counts. `path` must be `beneath` or below it, both normalized.
Result<UniqueFd> open_beneath(const std::string& beneath, const std::string& path);

// Why a bind source could not be opened or was refused, in words, for errno
// `err` of open_beneath or the child ("contains a symbolic link").
std::string bind_failure_reason(int err);

}  // namespace stockade::sandbox
