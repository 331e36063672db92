// ChildPlan: everything the child does between clone and exec, prepared by the
// parent as plain arrays and C strings. The child only reads it and makes raw
// syscalls (raw_syscall.h): no allocation, no libc, no errno.
#pragma once

#include <linux/filter.h>
#include <sched.h>
#include <sys/resource.h>

#include <cstdint>

#include "sandbox/init/init_report.h"

namespace stockade::sandbox {

// The setup steps, in order; a failure is reported as (step, errno, detail).
enum class Step : uint32_t {
  setsid,
  mount_private,   // making every mount private so nothing propagates to the host
  mount_root,      // the fresh tmpfs root
  mount_op,        // one entry of MountOp (detail = index)
  pivot_root,
  detach_old_root,
  remount_root_ro,
  hostname,
  chdir,
  credentials,     // setresgid/setresuid/setgroups to the inner ids
  pdeathsig,
  fds,             // moving the passed fds into place, close_range
  no_new_privs,
  capabilities,
  landlock,
  seccomp,
  send_listener,   // passing the seccomp listener to the parent
  exec_grant,      // receiving the parent's go-ahead ('X') and the cgroup fds
  cgroup,          // joining the v1 cgroups (detail = index of the fd)
  rlimit,          // detail = resource
  exec_init,       // execveat of stockade-init's memfd
  // Reported by stockade-init (init/stockade_init.c) on the same channel.
  init_setup,
  start_plugin,    // init's fork of the plugin
  execveat,        // the plugin's exec of the verified fd
};

static_assert(static_cast<uint32_t>(Step::init_setup) == STOCKADE_STEP_INIT &&
              static_cast<uint32_t>(Step::start_plugin) == STOCKADE_STEP_START_PLUGIN &&
              static_cast<uint32_t>(Step::execveat) == STOCKADE_STEP_EXEC_PLUGIN,
              "stockade-init's step numbers must match Step");

const char* step_name(Step step);

// One message from child to parent on the setup channel.
struct StepFailure {
  Step step;
  int32_t error;   // errno
  int32_t detail;  // MountOp index / rlimit resource / -1
};

// What a bind source must be, checked on the open fd (fstat) in the child.
enum class SourceType : uint32_t {
  directory_or_file,  // a granted path or the profile's /usr, /lib*: no FIFO, socket or device
  char_device,        // the /dev nodes
  verified_binary,    // the binary's inode: st_dev/st_ino equal to ChildPlan::binary_fd's
};

struct MountOp {
  enum class Kind : uint32_t {
    mkdir,        // target (parents come first in the list)
    touch,        // target: an empty file to bind a file onto
    symlink,      // target -> data
    // The source, opened once with no symlink followed (openat2
    // RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_BENEATH:
    // `relative` beneath `beneath`) and checked (`source_type`), is bound
    // onto target (created as a directory or a file after the source's
    // type) as the very object opened: open_tree of the fd, made read-only
    // while still detached, then move_mount.
    bind,
    tmpfs,        // target, data = mount options
    proc,         // target
    // A provided file: target created (0444, O_EXCL) and filled from
    // source_fd (the parent's sealed memfd, valid in our copied fd table)
    // with sendfile, `length` bytes exactly.
    copy,
    remount_read_only,  // target: a mount made above, made read-only (flags)
  };
  Kind kind;
  const char* target;       // absolute path under the new root's mount point
  const char* beneath;      // bind: the granted prefix, absolute, opened with RESOLVE_NO_SYMLINKS
  const char* relative;     // bind: the path below it ("." for the prefix itself)
  SourceType source_type;   // bind: what the opened source must be
  bool optional;            // bind: a failure skips the op instead of failing the launch
  int source_fd;            // bind: the fd number the opened source is moved to
  const char* source_path;  // bind: "/proc/self/fd/<source_fd>" (before open_tree, 5.2)
  const char* data;         // symlink target or mount options
  unsigned long flags;      // MS_* for tmpfs/proc/remount; MOUNT_ATTR_* wanted for bind
  uint64_t length;          // copy: the bytes source_fd holds
};

struct ResourceLimit {
  int resource;
  rlimit value;
};

// The v1 cgroups a child joins: memory, pids, cpu.
inline constexpr size_t kMaxCgroupFds = 4;

// What the parent decides while the child builds its root (the v1 cgroups
// exist only then, and RLIMIT_AS depends on them). Written before the 'X'
// byte is sent, read by the child after it is received.
struct LateDecisions {
  ResourceLimit rlimits[8] = {};
  int rlimit_count = 0;
};

struct FdMove {
  int from;  // a parent fd, valid in the child's copied table
  int to;
};

struct LandlockPlan {
  int abi = 0;                       // 0: not available
  uint64_t handled_fs = 0;
  uint64_t scoped = 0;
  uint64_t writable_access = 0;      // granted beneath the writable paths
  const char* const* writable_paths = nullptr;  // null-terminated, inside the new root
};

struct ChildPlan {
  int channel_fd = -1;  // SOCK_SEQPACKET to the parent: go and exec bytes in, failures/listener out
  int binary_fd = -1;
  int init_fd = -1;     // stockade-init's sealed memfd (init_binary.h)
  int report_fd = -1;   // init's report of the plugin's wait status (write end)
  // stockade-init's argv: the fd numbers it gets after arrange_fds (binary,
  // channel, report, see fd_scratch_base), then the plugin's argv.
  char* const* init_argv = nullptr;
  char* const* envp = nullptr;

  const char* root_mount_point = nullptr;  // where the new root tmpfs is built
  const char* root_tmpfs_options = nullptr;
  const MountOp* mounts = nullptr;
  int mount_count = 0;
  // Where the verified binary's own inode is bound inside (MountPlan); after
  // pivot_root the child opens it there, checks st_dev/st_ino against
  // binary_fd again and execs that fd, so /proc/self/exe names this path and
  // not the host's. Null, or the bind skipped: binary_fd is exec'd as is.
  const char* binary_inside_path = nullptr;

  const char* hostname = nullptr;
  int hostname_length = 0;
  const char* cwd = nullptr;

  bool set_groups = false;  // true when setgroups is allowed (privileged parent)
  uint32_t inner_uid = 0;
  uint32_t inner_gid = 0;

  LateDecisions late;

  const FdMove* fd_moves = nullptr;
  int fd_move_count = 0;
  // Above every fd number in play: base channel, +1 binary, +2 init, +3 report,
  // then one per passed fd.
  int fd_scratch_base = 0;
  bool stdio_to_dev_null[3] = {};  // stdio slots nobody mapped

  int last_capability = 63;
  LandlockPlan landlock;
  const sock_fprog* seccomp_program = nullptr;

};

// The child's entry point (clone3_run's ChildFunction); `plan` is a ChildPlan*.
int run_child(void* plan);

}  // namespace stockade::sandbox
