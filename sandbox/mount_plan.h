// The sandbox's filesystem, planned in the parent as a list of MountOps the
// child runs under a fresh tmpfs before pivot_root.
//
// Default profile: /usr and the /lib*, /bin, /sbin entries of the host root
// (recreated as symlinks where they are symlinks, bound where they are
// directories), /etc/ld.so.cache, the /dev nodes null, zero, full, random and
// urandom (host nodes bound: mknod is not allowed in a user namespace), /dev/fd
// and /dev/std* symlinks into /proc, a new /proc (subset=pid) for the pid
// namespace, and a size-limited writable /tmp. Then the policy's extra
// read-only paths at the same place. Every bind is read-only, nosuid, nodev;
// noexec except /usr and the /lib* directories, where programs and the loader
// live. The child opens every bind source (O_PATH) in its new mount namespace
// before the new root's tmpfs covers anything, and binds through
// /proc/self/fd: a source under the directory the root is built on is still
// reachable. (An fd opened by the parent would not do: bind refuses a mount
// of another mount namespace with EINVAL.)
#pragma once

#include <deque>
#include <string>
#include <vector>

#include "base/result.h"
#include "sandbox/child_plan.h"
#include "sandbox/policy.h"

namespace stockade::sandbox {

// Where the child mounts the new root's tmpfs (in its own mount namespace,
// so the host's directory is untouched).
inline constexpr const char* kNewRootMountPoint = "/tmp";

class MountPlan {
 public:
  // Fails (naming the path) when an extra read-only path is malformed or
  // cannot be opened.
  // `first_source_fd`: bind sources are held at fds from there up in the
  // child (above every fd in play).
  static Result<MountPlan> build(const Policy& policy, int first_source_fd);

  MountPlan() = default;
  MountPlan(MountPlan&&) noexcept = default;
  MountPlan& operator=(MountPlan&&) noexcept = default;

  const MountOp* ops() const { return ops_.data(); }
  int count() const { return static_cast<int>(ops_.size()); }
  // "bind /usr", "mount tmpfs /tmp", ...: names an op in error messages.
  const std::string& describe(int index) const { return descriptions_.at(index); }

 private:
  const char* keep(std::string text);
  void mkdir_parents(const std::string& inside);
  void add(MountOp::Kind kind, const std::string& inside, const char* data, unsigned long flags,
           std::string description);
  Status bind(const std::string& host_path, unsigned long attrs, bool required);

  std::deque<std::string> strings_;  // stable c_str() for the child
  int next_source_fd_ = 0;
  std::vector<MountOp> ops_;
  std::vector<std::string> descriptions_;
  std::vector<std::string> made_dirs_;
};

// Checks a path from the policy: absolute, normalized (no ".", "..", "//" or
// trailing "/"), not "/" itself, no NUL.
Status check_sandbox_path(const std::string& path, const char* field);

}  // namespace stockade::sandbox
