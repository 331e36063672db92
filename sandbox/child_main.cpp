// The child between clone and exec. It shares the supervisor's memory
// (clone_vm.h), so it only reads the ChildPlan and makes raw syscalls: no
// libc, no allocation, no errno, no writes to shared memory. Each step that
// fails is reported on the channel as (step, errno, detail) and the child
// exits; the plugin never runs half-sandboxed. Its last step execs
// stockade-init (init/stockade_init.c), which becomes pid 1 of the namespace
// and starts the plugin as its child.
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/landlock.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>

#include <atomic>
#include <cerrno>
#include <cstdint>

#include "sandbox/child_plan.h"
#include "sandbox/landlock_abi.h"
#include "sandbox/raw_syscall.h"

namespace stockade::sandbox {
namespace {

using raw::call;
using raw::failed;

struct ChildFds {
  int channel;
  int binary;
  int init;
  int report;
};

[[noreturn]] void exit_now(int code) {
  call(SYS_exit_group, code);
  __builtin_unreachable();
}

[[noreturn]] void fail(const ChildFds& fds, Step step, long rc, int detail = -1) {
  StepFailure failure{step, static_cast<int32_t>(-rc), detail};
  call(SYS_write, fds.channel, &failure, sizeof(failure));
  exit_now(125);
}

// The supervisor's handlers point into its own code; a signal delivered
// before exec would run them on shared memory. SIG_IGN would also survive
// exec (a supervisor ignoring SIGPIPE must not pass that on).
void reset_signal_handlers() {
  struct {
    unsigned long handler;
    unsigned long flags;
    unsigned long restorer;
    uint64_t mask;
  } action{};
  action.handler = 0;  // SIG_DFL
  for (int sig = 1; sig <= 64; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    call(SYS_rt_sigaction, sig, &action, nullptr, sizeof(uint64_t));
  }
}

uint64_t locked_flags_of(const char* path) {
  struct statfs info;
  if (failed(call(SYS_statfs, path, &info))) return 0;
  uint64_t flags = 0;
  if (info.f_flags & ST_NOSUID) flags |= MS_NOSUID;
  if (info.f_flags & ST_NODEV) flags |= MS_NODEV;
  if (info.f_flags & ST_NOEXEC) flags |= MS_NOEXEC;
  if (info.f_flags & ST_NOATIME) flags |= MS_NOATIME;
  if (info.f_flags & ST_NODIRATIME) flags |= MS_NODIRATIME;
  if (info.f_flags & ST_RELATIME) flags |= MS_RELATIME;
  return flags;
}

// Read-only for a bind of a host mount. mount_setattr (5.12) applies the
// attributes recursively without restating the ones the kernel locked when the
// mount crossed into our user namespace; the old remount must restate them
// (nosuid/nodev/noexec/atime flags as the source had) or fail with EPERM.
long make_bind_read_only(const MountOp& op) {
  mount_attr attr{};
  attr.attr_set = op.flags;
  long rc = call(SYS_mount_setattr, AT_FDCWD, op.target, AT_RECURSIVE, &attr, sizeof(attr));
  if (rc != -ENOSYS) return rc;
  uint64_t flags = MS_REMOUNT | MS_BIND | locked_flags_of(op.target);
  if (op.flags & MOUNT_ATTR_RDONLY) flags |= MS_RDONLY;
  if (op.flags & MOUNT_ATTR_NOSUID) flags |= MS_NOSUID;
  if (op.flags & MOUNT_ATTR_NODEV) flags |= MS_NODEV;
  if (op.flags & MOUNT_ATTR_NOEXEC) flags |= MS_NOEXEC;
  return call(SYS_mount, nullptr, op.target, nullptr, flags, nullptr);
}

constexpr uint64_t kNoLinks = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;

long open_how_at(int dirfd, const char* path, uint64_t flags, uint64_t resolve) {
  open_how how{};
  how.flags = flags;
  how.resolve = resolve;
  return call(SYS_openat2, dirfd, path, &how, sizeof(how));
}

// Before openat2 (5.6): one component at a time, none followed if it is a
// symlink. Paths in the plan are normalized (no "." or ".." components but a
// lone "."), so this stays beneath `dirfd` as RESOLVE_BENEATH would.
long walk_no_links(int dirfd, const char* path) {
  long current = call(SYS_openat, dirfd, ".", O_PATH | O_CLOEXEC | O_DIRECTORY, 0);
  if (failed(current)) return current;
  const char* p = path;
  while (*p != '\0') {
    char name[256];
    int n = 0;
    while (*p != '\0' && *p != '/') {
      if (n == static_cast<int>(sizeof(name)) - 1) {
        call(SYS_close, current);
        return -ENAMETOOLONG;
      }
      name[n++] = *p++;
    }
    name[n] = '\0';
    while (*p == '/') ++p;
    if (n == 0 || (n == 1 && name[0] == '.')) continue;
    if (n == 2 && name[0] == '.' && name[1] == '.') {
      call(SYS_close, current);
      return -EXDEV;
    }
    long next = call(SYS_openat, current, name, O_PATH | O_CLOEXEC | O_NOFOLLOW, 0);
    call(SYS_close, current);
    if (failed(next)) return next;
    struct stat info;
    long rc = call(SYS_fstat, next, &info);
    if (failed(rc) || S_ISLNK(info.st_mode)) {
      call(SYS_close, next);
      return failed(rc) ? rc : -ELOOP;
    }
    current = next;
  }
  return current;
}

// A bind source, opened once: the granted prefix with no symlink followed,
// then the path beneath it, no symlink followed and no way out (an absolute
// link, "..", a magic /proc link). The kernel refuses a symlink at any
// component with ELOOP, so a folder swapped for a link after the
// supervisor's check cannot redirect us (runc CVE-2021-30465, flatpak
// CVE-2024-42472).
long open_bind_source(const MountOp& op) {
  long prefix = open_how_at(AT_FDCWD, op.beneath, O_PATH | O_CLOEXEC | O_DIRECTORY, kNoLinks);
  if (prefix == -ENOSYS) {
    long root = call(SYS_openat, AT_FDCWD, "/", O_PATH | O_CLOEXEC | O_DIRECTORY, 0);
    if (failed(root)) return root;
    prefix = walk_no_links(static_cast<int>(root), op.beneath + 1);
    call(SYS_close, root);
    if (failed(prefix)) return prefix;
    long fd = walk_no_links(static_cast<int>(prefix), op.relative);
    call(SYS_close, prefix);
    return fd;
  }
  if (failed(prefix)) return prefix;
  long fd = open_how_at(static_cast<int>(prefix), op.relative, O_PATH | O_CLOEXEC,
                        kNoLinks | RESOLVE_BENEATH);
  call(SYS_close, prefix);
  return fd;
}

bool same_inode(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

// The check of the open fd: what it is (a granted path is a directory or a
// regular file, never a FIFO, socket or device, which would be channels to
// the host; a /dev node is a character device; the binary is the verified
// inode).
long check_bind_source(const MountOp& op, long fd, int binary_fd) {
  struct stat info;
  long rc = call(SYS_fstat, fd, &info);
  if (failed(rc)) return rc;
  switch (op.source_type) {
    case SourceType::directory_or_file:
      return S_ISDIR(info.st_mode) || S_ISREG(info.st_mode) ? 0 : -EMEDIUMTYPE;
    case SourceType::char_device:
      return S_ISCHR(info.st_mode) ? 0 : -EMEDIUMTYPE;
    case SourceType::verified_binary: {
      struct stat verified;
      rc = call(SYS_fstat, binary_fd, &verified);
      if (failed(rc)) return rc;
      return S_ISREG(info.st_mode) && same_inode(info, verified) ? 0 : -ESTALE;
    }
  }
  return -EINVAL;
}

// The opened source onto its target, as that very object: open_tree clones
// the fd's mount (recursively), mount_setattr makes the clone read-only while
// it is still detached, move_mount attaches it. The target is made after the
// source's type (the parent's look was only a plan).
long bind_source(const MountOp& op) {
  struct stat info;
  long rc = call(SYS_fstat, op.source_fd, &info);
  if (failed(rc)) return rc;
  if (S_ISDIR(info.st_mode)) {
    rc = call(SYS_mkdirat, AT_FDCWD, op.target, 0755);
    if (failed(rc) && rc != -EEXIST) return rc;
  } else {
    long fd = call(SYS_openat, AT_FDCWD, op.target, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW,
                   0644);
    if (failed(fd)) return fd;
    call(SYS_close, fd);
  }
  long tree = call(SYS_open_tree, op.source_fd, "",
                   OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
  if (tree == -ENOSYS) {  // before 5.2: the fd's magic link, which the mount resolves to it
    rc = call(SYS_mount, op.source_path, op.target, nullptr, MS_BIND | MS_REC, nullptr);
    if (failed(rc)) return rc;
    return make_bind_read_only(op);
  }
  if (failed(tree)) return tree;
  mount_attr attr{};
  attr.attr_set = op.flags;
  rc = call(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr));
  if (!failed(rc)) {
    rc = call(SYS_move_mount, tree, "", AT_FDCWD, op.target, MOVE_MOUNT_F_EMPTY_PATH);
  }
  call(SYS_close, tree);
  return rc;
}

// The sealed memfd's bytes into a new file of the provided folder's tmpfs:
// the plugin reads this copy, made from the fd that was hashed.
long copy_provided_file(const MountOp& op) {
  long fd = call(SYS_openat, AT_FDCWD, op.target,
                 O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0444);
  if (failed(fd)) return fd;
  off_t offset = 0;
  uint64_t left = op.length;
  long rc = 0;
  while (left > 0) {
    rc = call(SYS_sendfile, fd, op.source_fd, &offset, left > (1u << 30) ? (1u << 30) : left);
    if (rc == -EINTR) continue;
    if (failed(rc)) break;
    if (rc == 0) {  // shorter than it was sealed at: cannot happen to a sealed memfd
      rc = -EIO;
      break;
    }
    left -= static_cast<uint64_t>(rc);
    rc = 0;
  }
  call(SYS_close, fd);
  return rc;
}

long run_mount_op(const MountOp& op) {
  switch (op.kind) {
    case MountOp::Kind::mkdir: {
      long rc = call(SYS_mkdirat, AT_FDCWD, op.target, 0755);
      return rc == -EEXIST ? 0 : rc;
    }
    case MountOp::Kind::touch: {
      long fd = call(SYS_openat, AT_FDCWD, op.target, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW,
                     0644);
      if (failed(fd)) return fd;
      return call(SYS_close, fd);
    }
    case MountOp::Kind::symlink:
      return call(SYS_symlinkat, op.data, AT_FDCWD, op.target);
    case MountOp::Kind::bind:
      return bind_source(op);
    case MountOp::Kind::tmpfs:
      return call(SYS_mount, "tmpfs", op.target, "tmpfs", op.flags, op.data);
    case MountOp::Kind::copy:
      return copy_provided_file(op);
    case MountOp::Kind::remount_read_only:
      return call(SYS_mount, nullptr, op.target, nullptr, op.flags, nullptr);
    case MountOp::Kind::proc: {
      // subset=pid (5.8) leaves out /proc/sys, /proc/kcore and the other
      // system-wide files; older kernels get a plain proc.
      long rc = call(SYS_mount, "proc", op.target, "proc", op.flags, op.data);
      if (rc == -EINVAL && op.data != nullptr)
        rc = call(SYS_mount, "proc", op.target, "proc", op.flags, nullptr);
      return rc;
    }
  }
  return -EINVAL;
}

// Returns whether the verified binary was bound at plan.binary_inside_path.
bool build_root(const ChildPlan& plan, const ChildFds& fds) {
  // Private first: without it our mounts would propagate into the host's
  // shared mount tree.
  long rc = call(SYS_mount, nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr);
  if (failed(rc)) fail(fds, Step::mount_private, rc);
  // Bind sources are opened now, in our mount namespace and before the root's
  // tmpfs hides anything, and parked at the fd numbers their
  // /proc/self/fd/N names were prepared for.
  // An optional bind (the binary at its inside path) that fails here is
  // skipped, and remembered as skipped on our own stack: its source_fd slot
  // may hold an unrelated descriptor copied from the supervisor's table (we
  // share no fd table with it, but start with a copy), so "is the slot
  // free?" would not tell.
  constexpr int kMaxSkippable = 64;
  uint64_t skipped = 0;  // bit i: op i was skipped (a bitmask: no memset here)
  bool binary_bound = false;
  for (int i = 0; i < plan.mount_count; ++i) {
    const MountOp& op = plan.mounts[i];
    if (op.kind != MountOp::Kind::bind) continue;
    long fd = open_bind_source(op);
    if (!failed(fd)) {
      rc = check_bind_source(op, fd, fds.binary);
      if (failed(rc)) {
        call(SYS_close, fd);
        fd = rc;
      }
    }
    if (failed(fd)) {
      if (op.optional && i < kMaxSkippable) {
        skipped |= uint64_t{1} << i;
        continue;
      }
      fail(fds, Step::mount_op, fd, i);
    }
    if (fd != op.source_fd) {
      rc = call(SYS_dup3, fd, op.source_fd, O_CLOEXEC);
      call(SYS_close, fd);
      if (failed(rc)) fail(fds, Step::mount_op, rc, i);
    }
    if (op.source_type == SourceType::verified_binary) binary_bound = true;
  }
  rc = call(SYS_mount, "tmpfs", plan.root_mount_point, "tmpfs",
            MS_NOSUID | MS_NODEV | MS_NOEXEC, plan.root_tmpfs_options);
  if (failed(rc)) fail(fds, Step::mount_root, rc);
  for (int i = 0; i < plan.mount_count; ++i) {
    const MountOp& op = plan.mounts[i];
    if (i < kMaxSkippable && (skipped & (uint64_t{1} << i)) != 0) continue;
    rc = run_mount_op(op);
    if (failed(rc)) fail(fds, Step::mount_op, rc, i);
    if (op.kind == MountOp::Kind::bind) call(SYS_close, op.source_fd);
  }
  // pivot_root(".", ".") stacks the old root under the new one; detaching it
  // leaves no path back to the host's tree.
  rc = call(SYS_chdir, plan.root_mount_point);
  if (failed(rc)) fail(fds, Step::pivot_root, rc);
  rc = call(SYS_pivot_root, ".", ".");
  if (failed(rc)) fail(fds, Step::pivot_root, rc);
  rc = call(SYS_umount2, ".", MNT_DETACH);
  if (failed(rc)) fail(fds, Step::detach_old_root, rc);
  rc = call(SYS_chdir, "/");
  if (failed(rc)) fail(fds, Step::detach_old_root, rc);
  rc = call(SYS_mount, nullptr, "/", nullptr,
            MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr);
  if (failed(rc)) fail(fds, Step::remount_root_ro, rc);
  return binary_bound;
}

// The binary as it is bound inside: an fd of it opened here, in the new
// root, is exec'd instead of the host's, so the plugin's /proc/self/exe reads
// the inside path. It is the verified inode: the bind's source was checked
// to be (st_dev, st_ino of binary_fd), and this open is checked again (our
// mount namespace is ours alone, but the check costs one fstat). Any doubt
// and the verified fd runs as before.
void use_inside_binary(const ChildPlan& plan, const ChildFds& fds) {
  long fd = open_how_at(AT_FDCWD, plan.binary_inside_path, O_PATH | O_CLOEXEC, kNoLinks);
  if (failed(fd)) return;
  struct stat inside, verified;
  if (failed(call(SYS_fstat, fd, &inside)) || failed(call(SYS_fstat, fds.binary, &verified)) ||
      !S_ISREG(inside.st_mode) || !same_inode(inside, verified)) {
    call(SYS_close, fd);
    return;
  }
  // Onto the verified fd's own number: a fresh fd is the lowest free one,
  // which may be a scratch slot arrange_fds is about to overwrite.
  long rc = call(SYS_dup3, fd, fds.binary, 0);
  call(SYS_close, fd);
  if (failed(rc)) fail(fds, Step::mount_op, rc);
}

void set_credentials(const ChildPlan& plan, const ChildFds& fds) {
  long rc = 0;
  // A privileged parent leaves setgroups allowed so the supplementary groups
  // inherited from it (root's!) can be dropped here; an unprivileged parent
  // had to deny setgroups before writing gid_map.
  if (plan.set_groups) {
    rc = call(SYS_setgroups, 0, nullptr);
    if (failed(rc)) fail(fds, Step::credentials, rc);
  }
  rc = call(SYS_setresgid, plan.inner_gid, plan.inner_gid, plan.inner_gid);
  if (failed(rc)) fail(fds, Step::credentials, rc);
  rc = call(SYS_setresuid, plan.inner_uid, plan.inner_uid, plan.inner_uid);
  if (failed(rc)) fail(fds, Step::credentials, rc);
}

// After the credential change, which clears the parent-death signal. The
// parent keeps its end of the channel open until exec: a hang-up now means it
// died before the signal was armed.
void arm_parent_death_signal(const ChildFds& fds) {
  long rc = call(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (failed(rc)) fail(fds, Step::pdeathsig, rc);
  pollfd pfd{fds.channel, POLLIN, 0};
  struct timespec zero {};
  rc = call(SYS_ppoll, &pfd, 1, &zero, nullptr, sizeof(uint64_t));
  if (failed(rc)) fail(fds, Step::pdeathsig, rc);
  if (pfd.revents & (POLLHUP | POLLERR)) exit_now(125);
}

// Passed fds go to scratch slots above every fd in play first, so a target
// number that is also a source (or our own channel) is never clobbered.
// Channel, binary and report stay open across init's exec (init marks them
// close-on-exec before it starts the plugin); init's memfd does not need to.
void arrange_fds(const ChildPlan& plan, ChildFds& fds) {
  const int base = plan.fd_scratch_base;
  constexpr int kInternal = 4;
  long rc = call(SYS_dup3, fds.channel, base, 0);
  if (failed(rc)) fail(fds, Step::fds, rc);
  fds.channel = base;
  rc = call(SYS_dup3, fds.binary, base + 1, 0);
  if (failed(rc)) fail(fds, Step::fds, rc);
  fds.binary = base + 1;
  rc = call(SYS_dup3, fds.init, base + 2, O_CLOEXEC);
  if (failed(rc)) fail(fds, Step::fds, rc);
  fds.init = base + 2;
  rc = call(SYS_dup3, fds.report, base + 3, 0);
  if (failed(rc)) fail(fds, Step::fds, rc);
  fds.report = base + 3;
  for (int i = 0; i < plan.fd_move_count; ++i) {
    rc = call(SYS_dup3, plan.fd_moves[i].from, base + kInternal + i, O_CLOEXEC);
    if (failed(rc)) fail(fds, Step::fds, rc, plan.fd_moves[i].to);
  }
  for (int i = 0; i < plan.fd_move_count; ++i) {
    rc = call(SYS_dup3, base + kInternal + i, plan.fd_moves[i].to, 0);
    if (failed(rc)) fail(fds, Step::fds, rc, plan.fd_moves[i].to);
  }
  // fd_moves are sorted by target: close the gaps between them.
  unsigned int low = 0;
  for (int i = 0; i < plan.fd_move_count; ++i) {
    unsigned int to = static_cast<unsigned int>(plan.fd_moves[i].to);
    if (to > low) {
      rc = call(SYS_close_range, low, to - 1, 0);
      if (failed(rc)) fail(fds, Step::fds, rc);
    }
    low = to + 1;
  }
  if (static_cast<int>(low) < base) {
    rc = call(SYS_close_range, low, base - 1, 0);
    if (failed(rc)) fail(fds, Step::fds, rc);
  }
  rc = call(SYS_close_range, base + kInternal, ~0U, 0);
  if (failed(rc)) fail(fds, Step::fds, rc);
  // Unmapped stdio reads EOF and writes nowhere, rather than being a free slot
  // the plugin's next open() would silently land in.
  for (int slot = 0; slot < 3; ++slot) {
    if (!plan.stdio_to_dev_null[slot]) continue;
    long fd = call(SYS_openat, AT_FDCWD, "/dev/null", O_RDWR, 0);
    if (failed(fd)) fail(fds, Step::fds, fd, slot);
    if (fd != slot) {
      rc = call(SYS_dup3, fd, slot, 0);
      if (failed(rc)) fail(fds, Step::fds, rc, slot);
      call(SYS_close, fd);
    }
  }
}

void drop_capabilities(const ChildPlan& plan, const ChildFds& fds) {
  // Locked securebits: no path (setuid to 0, file caps, ambient raise) can
  // bring capabilities back.
  long rc = call(SYS_prctl, PR_SET_SECUREBITS,
                 (1 << 0) | (1 << 1) | (1 << 2) | (1 << 3) | (1 << 5) | (1 << 6) | (1 << 7), 0,
                 0, 0);
  if (failed(rc)) fail(fds, Step::capabilities, rc);
  for (int cap = 0; cap <= plan.last_capability; ++cap) {
    rc = call(SYS_prctl, PR_CAPBSET_DROP, cap, 0, 0, 0);
    if (failed(rc) && rc != -EINVAL) fail(fds, Step::capabilities, rc, cap);
  }
  rc = call(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  if (failed(rc)) fail(fds, Step::capabilities, rc);
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  rc = call(SYS_capset, &header, data);
  if (failed(rc)) fail(fds, Step::capabilities, rc);
}

void apply_landlock(const LandlockPlan& plan, const ChildFds& fds) {
  if (plan.abi <= 0) return;
  LandlockRulesetAttr attr{};
  attr.handled_access_fs = plan.handled_fs;
  attr.scoped = plan.scoped;
  long ruleset = call(SYS_landlock_create_ruleset, &attr, landlock_attr_size(plan.abi), 0);
  if (failed(ruleset)) fail(fds, Step::landlock, ruleset);
  for (int i = 0; plan.writable_paths[i] != nullptr; ++i) {
    long fd = call(SYS_openat, AT_FDCWD, plan.writable_paths[i], O_PATH | O_CLOEXEC, 0);
    if (failed(fd)) fail(fds, Step::landlock, fd, i);
    landlock_path_beneath_attr rule{};
    rule.allowed_access = plan.writable_access;
    rule.parent_fd = static_cast<int32_t>(fd);
    long rc = call(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0);
    call(SYS_close, fd);
    if (failed(rc)) fail(fds, Step::landlock, rc, i);
  }
  long rc = call(SYS_landlock_restrict_self, ruleset, 0);
  call(SYS_close, ruleset);
  if (failed(rc)) fail(fds, Step::landlock, rc);
}

// The filter's listener goes to the parent with SCM_RIGHTS; from here on only
// syscalls of the default allowlist are made (sendmsg, close, write,
// exit_group here; stockade-init's own list is in init/stockade_init.c), and
// the execveat of init, which the filter reports unless allow_exec and
// spawn()'s await_exec answers with CONTINUE.
void install_seccomp(const ChildPlan& plan, const ChildFds& fds) {
  long listener = call(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER,
                       plan.seccomp_program);
  if (failed(listener)) fail(fds, Step::seccomp, listener);
  char tag = 'L';
  iovec iov{&tag, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr message{};
  message.msg_iov = &iov;
  message.msg_iovlen = 1;
  message.msg_control = control;
  message.msg_controllen = sizeof(control);
  cmsghdr* header = reinterpret_cast<cmsghdr*>(control);
  header->cmsg_level = SOL_SOCKET;
  header->cmsg_type = SCM_RIGHTS;
  header->cmsg_len = CMSG_LEN(sizeof(int));
  int listener_fd = static_cast<int>(listener);
  __builtin_memcpy(CMSG_DATA(header), &listener_fd, sizeof(int));
  long rc = call(SYS_sendmsg, fds.channel, &message, MSG_NOSIGNAL);
  call(SYS_close, listener);
  if (failed(rc)) fail(fds, Step::send_listener, rc);
}

// The fds of the parent's 'X' message (see receive_exec_grant).
struct CgroupFds {
  int fd[kMaxCgroupFds];
  int count;
};

// Waits for the parent's 'X': the binary was verified, the v1 cgroups exist
// and plan.late is written. Anything else, or the parent gone, and we exit
// without exec. The message carries the v1 cgroups' tasks fds.
CgroupFds receive_exec_grant(const ChildFds& fds) {
  char exec = 0;
  iovec iov{&exec, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxCgroupFds)] = {};
  msghdr message{};
  message.msg_iov = &iov;
  message.msg_iovlen = 1;
  message.msg_control = control;
  message.msg_controllen = sizeof(control);
  long rc = call(SYS_recvmsg, fds.channel, &message, MSG_CMSG_CLOEXEC);
  if (failed(rc)) fail(fds, Step::exec_grant, rc);
  if (rc != 1 || exec != 'X') exit_now(125);  // the parent gave up on us
  if (message.msg_flags & MSG_CTRUNC) fail(fds, Step::exec_grant, -EMSGSIZE);
  std::atomic_thread_fence(std::memory_order_seq_cst);  // pairs with release_child's
  CgroupFds received{{}, 0};
  cmsghdr* c = CMSG_FIRSTHDR(&message);
  if (c != nullptr && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
    const size_t bytes = c->cmsg_len - CMSG_LEN(0);
    for (size_t i = 0; i < bytes / sizeof(int) && i < kMaxCgroupFds; ++i) {
      __builtin_memcpy(&received.fd[i], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
      ++received.count;
    }
  }
  return received;
}

// Into the v1 cgroups before our rlimits and exec: "0" means the writing
// thread (we have one), which the kernel moves without the global lock a
// move by pid takes (cgroups.h says what that saves).
void join_cgroups(const ChildFds& fds, const CgroupFds& cgroups) {
  for (int i = 0; i < cgroups.count; ++i) {
    long rc = call(SYS_write, cgroups.fd[i], "0", 1);
    if (rc != 1) fail(fds, Step::cgroup, failed(rc) ? rc : -EIO, i);
    call(SYS_close, cgroups.fd[i]);
  }
}

}  // namespace

int run_child(void* arg) {
  const ChildPlan& plan = *static_cast<const ChildPlan*>(arg);
  ChildFds fds{plan.channel_fd, plan.binary_fd, plan.init_fd, plan.report_fd};
  reset_signal_handlers();

  // The parent writes uid_map and gid_map, then says go.
  char go = 0;
  long rc = call(SYS_read, fds.channel, &go, 1);
  if (rc != 1) exit_now(125);  // the parent gave up on us

  // A new session: no controlling terminal, so TIOCSTI has nothing to push into.
  rc = call(SYS_setsid);
  if (failed(rc)) fail(fds, Step::setsid, rc);

  // The inner ids first: files created under the new root need an fsuid
  // mapped in our user namespace (the supervisor's root is not: EOVERFLOW).
  // uid 0 is unmapped here, so the change keeps our namespace capabilities
  // for the mounts; they are dropped explicitly below.
  set_credentials(plan, fds);
  arm_parent_death_signal(fds);

  if (build_root(plan, fds) && plan.binary_inside_path != nullptr) use_inside_binary(plan, fds);

  rc = call(SYS_sethostname, plan.hostname, plan.hostname_length);
  if (failed(rc)) fail(fds, Step::hostname, rc);
  rc = call(SYS_chdir, plan.cwd);
  if (failed(rc)) fail(fds, Step::chdir, rc);

  arrange_fds(plan, fds);

  rc = call(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  if (failed(rc)) fail(fds, Step::no_new_privs, rc);
  drop_capabilities(plan, fds);
  apply_landlock(plan.landlock, fds);
  install_seccomp(plan, fds);

  // Last, the supervisor's go-ahead: it has verified the binary and made our
  // v1 cgroups while we built all of the above. We join them and take our
  // rlimits (RLIMIT_AS depends on the cgroups) now, under the filter: the
  // syscalls left (recvmsg, write, close, prlimit64) are all in the default
  // allowlist, which seccomp_test.cpp checks; the execveat is reported and
  // answered by spawn() (await_exec). Nothing of the plugin's has run yet.
  join_cgroups(fds, receive_exec_grant(fds));
  // After the fds are in place: RLIMIT_NOFILE may be lower than the scratch
  // fd numbers used while arranging them.
  const LateDecisions& late = plan.late;
  for (int i = 0; i < late.rlimit_count; ++i) {
    rc = call(SYS_prlimit64, 0, late.rlimits[i].resource, &late.rlimits[i].value, nullptr);
    if (failed(rc)) fail(fds, Step::rlimit, rc, late.rlimits[i].resource);
  }

  // Every signal stays blocked across this exec: stockade-init takes them
  // with rt_sigtimedwait and unblocks them only in the plugin. The seccomp
  // filter, Landlock, rlimits, no_new_privs and the parent-death signal (not a
  // set-id exec) all carry over to init and from it to the plugin.
  rc = call(SYS_execveat, fds.init, "", plan.init_argv, plan.envp, AT_EMPTY_PATH);
  fail(fds, Step::exec_init, rc);
}

}  // namespace stockade::sandbox
