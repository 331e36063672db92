#include "sandbox/seccomp_policy.h"
#include "base/error.h"

#include <fcntl.h>
#include <linux/netlink.h>
#include <seccomp.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <iterator>
#include <cerrno>
#include <map>
#include <memory>
#include <mutex>
#include <utility>

#include "base/unique_fd.h"
#include "sandbox/seccomp_arg.h"
#include "sandbox/seccomp_errno_prefix.h"
#include "sandbox/syscall_names.h"

namespace stockade::sandbox {
namespace {

struct NeverGrantable {
  std::string_view name;
  std::string_view reason;
};

constexpr std::string_view kReasonNamespaces = "creates or joins namespaces";
constexpr std::string_view kReasonMounts = "changes the mount tree";
constexpr std::string_view kReasonOtherProcess = "reads or controls another process";
constexpr std::string_view kReasonKernel = "exposes a large kernel attack surface";
constexpr std::string_view kReasonHost = "changes host-wide state";
constexpr std::string_view kReasonLimits =
    "widens the CPU affinity that enforces max_cpu_cores";
constexpr std::string_view kReasonArgChecked =
    "is allowed only with argument checks that a wholesale grant would remove";
constexpr std::string_view kReasonExec =
    "is governed by sandbox.allow_exec (gated by the operator's ceiling allow_exec): set that "
    "instead";
constexpr std::string_view kReasonHostMounts =
    "reveals the mount tree and the host devices behind the binds (as /proc/self/mountinfo)";
constexpr std::string_view kReasonHostCounters =
    "reports host-wide memory, load and process counts; it answers ENOSYS in every sandbox";
constexpr std::string_view kReasonLocks =
    "locks files bound read-only from the host, blocking host writers; it answers ENOLCK in "
    "every sandbox";
constexpr std::string_view kReasonHostNamespaces = "lists namespaces beyond the sandbox's";
constexpr std::string_view kReasonSecurityAttrs = "changes the process's LSM security attributes";

const std::vector<NeverGrantable>& never_grantable_table() {
  static const std::vector<NeverGrantable> table = {
      {"unshare", kReasonNamespaces}, {"setns", kReasonNamespaces},
      {"clone", kReasonArgChecked},   {"clone3", kReasonArgChecked},
      {"ioctl", kReasonArgChecked},   {"prctl", kReasonArgChecked},
      {"socket", kReasonArgChecked},  {"personality", kReasonArgChecked},
      {"mount", kReasonMounts},       {"umount2", kReasonMounts},
      {"pivot_root", kReasonMounts},  {"chroot", kReasonMounts},
      {"fsopen", kReasonMounts},      {"fsconfig", kReasonMounts},
      {"fsmount", kReasonMounts},     {"fspick", kReasonMounts},
      {"move_mount", kReasonMounts},  {"open_tree", kReasonMounts},
      {"mount_setattr", kReasonMounts},
      {"ptrace", kReasonOtherProcess}, {"process_vm_readv", kReasonOtherProcess},
      {"process_vm_writev", kReasonOtherProcess}, {"kcmp", kReasonOtherProcess},
      {"pidfd_getfd", kReasonOtherProcess}, {"process_madvise", kReasonOtherProcess},
      {"move_pages", kReasonOtherProcess}, {"migrate_pages", kReasonOtherProcess},
      {"bpf", kReasonKernel},         {"io_uring_setup", kReasonKernel},
      {"io_uring_enter", kReasonKernel}, {"io_uring_register", kReasonKernel},
      {"userfaultfd", kReasonKernel}, {"perf_event_open", kReasonKernel},
      {"keyctl", kReasonKernel},      {"add_key", kReasonKernel},
      {"request_key", kReasonKernel}, {"seccomp", kReasonKernel},
      {"modify_ldt", kReasonKernel},  {"fanotify_init", kReasonKernel},
      {"uselib", kReasonKernel},      {"lookup_dcookie", kReasonKernel},
      {"name_to_handle_at", kReasonHost},  // file handles bypass path checks
      {"open_by_handle_at", kReasonHost},  // (the "shocker" container escape)
      {"kexec_load", kReasonHost},    {"kexec_file_load", kReasonHost},
      {"init_module", kReasonHost},   {"finit_module", kReasonHost},
      {"delete_module", kReasonHost}, {"reboot", kReasonHost},
      {"swapon", kReasonHost},        {"swapoff", kReasonHost},
      {"acct", kReasonHost},          {"quotactl", kReasonHost},
      {"quotactl_fd", kReasonHost},   {"iopl", kReasonHost},
      {"ioperm", kReasonHost},        {"vhangup", kReasonHost},
      {"settimeofday", kReasonHost},  {"clock_settime", kReasonHost},
      {"clock_adjtime", kReasonHost}, {"adjtimex", kReasonHost},
      {"syslog", kReasonHost},        {"mknod", kReasonHost},
      {"sched_setaffinity", kReasonLimits},
      {"mknodat", kReasonHost},
      {"execve", kReasonExec},        {"execveat", kReasonExec},
      // Newer than libseccomp 2.5.4 (syscall_names.cpp names them).
      {"statmount", kReasonHostMounts}, {"listmount", kReasonHostMounts},
      {"open_tree_attr", kReasonMounts}, {"lsm_set_self_attr", kReasonSecurityAttrs},
      {"listns", kReasonHostNamespaces},
      {"sysinfo", kReasonHostCounters}, {"flock", kReasonLocks},
  };
  return table;
}

// Terminal and fd ioctls a well-behaved program makes (isatty, window size,
// non-blocking, close-on-exec). TIOCSTI and TIOCLINUX (both push input into a
// terminal) are deliberately absent: they are reported as violations.
constexpr unsigned long kAllowedIoctls[] = {
    TCGETS, TIOCGWINSZ, TIOCGPGRP, FIONREAD, FIONBIO, FIOCLEX, FIONCLEX,
};

// prctl options that neither raise privileges nor reach outside the process.
// PR_SET_PDEATHSIG is not here: see the rule of its own in build_seccomp_program.
constexpr unsigned long kAllowedPrctls[] = {
    PR_SET_NAME,        PR_GET_NAME,           PR_GET_PDEATHSIG,
    PR_GET_DUMPABLE,    PR_SET_NO_NEW_PRIVS,   PR_GET_NO_NEW_PRIVS, PR_CAPBSET_READ,
    PR_GET_SECUREBITS,  PR_GET_KEEPCAPS,       PR_GET_SECCOMP,    PR_SET_TIMERSLACK,
    PR_GET_TIMERSLACK,  PR_SET_CHILD_SUBREAPER, PR_GET_CHILD_SUBREAPER,
    PR_GET_THP_DISABLE, 0x53564d41 /* PR_SET_VMA: glibc names its mappings */,
};

// clone's namespace flags. CLONE_NEWTIME (0x80) is not among them: for clone
// that bit is part of the exit signal; only clone3 and unshare can ask for it.
constexpr uint64_t kCloneNamespaceFlags = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS |
                                          CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID |
                                          CLONE_NEWNET;

struct FilterDeleter {
  void operator()(void* ctx) const { seccomp_release(ctx); }
};
using FilterContext = std::unique_ptr<void, FilterDeleter>;

Error libseccomp_error(const std::string& what, int rc) {
  return Error{Errc::internal, "building the seccomp filter: " + what, "libseccomp", -rc};
}

// Granted through extra_syscalls, these get the memory rules below rather
// than an unconditional allow (which would make libseccomp drop the rules).
bool has_memory_rules(std::string_view name) {
  return name == "mmap" || name == "mprotect" || name == "pkey_mprotect";
}

// Without allow_jit: no mapping writable and executable at once, and no
// anonymous executable memory, so every instruction that runs comes from a
// file of the read-only root (noexec /tmp and /dev cannot be mapped
// executable: the kernel refuses PROT_EXEC on a noexec mount). prot and
// flags are ints to the kernel: only masked comparisons, whose masks have no
// high bits, so the high 32 bits are ignored here as there.
Status add_memory_rules(void* ctx, bool allow_jit, bool pkey_granted) {
  const int mprotects[] = {SCMP_SYS(mprotect), pkey_granted ? SCMP_SYS(pkey_mprotect) : -1};
  int rc = 0;
  if (allow_jit) {
    rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 0);
    for (int nr : mprotects)
      if (rc >= 0 && nr >= 0) rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
    if (rc < 0) return libseccomp_error("memory rules", rc);
    return {};
  }
  // mmap: not executable; or executable, not writable, of a file.
  rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
                        arg_cmp(2, SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
  if (rc >= 0) {
    rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 2,
                          arg_cmp(2, SCMP_CMP_MASKED_EQ, PROT_WRITE | PROT_EXEC, PROT_EXEC),
                          arg_cmp(3, SCMP_CMP_MASKED_EQ, MAP_ANONYMOUS, 0));
  }
  // mprotect never adds PROT_EXEC: seccomp cannot see whether the pages are
  // a file's or were written by the plugin. (The loader maps code with mmap.)
  for (int nr : mprotects) {
    if (rc >= 0 && nr >= 0)
      rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1, arg_cmp(2, SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
  }
  if (rc < 0) return libseccomp_error("memory rules", rc);
  return {};
}

// Without allow_exec, execve and execveat are left to the default action:
// reported to the supervisor, which answers the sandbox's own two execs
// (stockade-init, then the verified binary) while spawn() waits for the
// launch (spawn.cpp, await_exec) and treats any later one as a violation.
Status add_exec_rules(void* ctx, bool allow_exec) {
  if (!allow_exec) return {};
  int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(execve), 0);
  if (rc >= 0) rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(execveat), 0);
  if (rc < 0) return libseccomp_error("exec rules", rc);
  return {};
}

// Large payloads travel in memfds the plugin makes itself (policy.h,
// allow_payload_memfds): memfd_create with the flags the SDK uses, never
// MFD_HUGETLB (a hugetlb memfd can fault with SIGBUS in its reader) nor MFD_EXEC.
Status add_payload_memfd_rules(void* ctx, bool allowed) {
  if (!allowed) return {};
  constexpr unsigned kNoexecSeal = 0x0008U;  // MFD_NOEXEC_SEAL, Linux 6.3
  constexpr unsigned kAllowedFlags = MFD_CLOEXEC | MFD_ALLOW_SEALING | kNoexecSeal;
  int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(memfd_create), 1,
                            arg_cmp(1, SCMP_CMP_MASKED_EQ, ~kAllowedFlags & 0xFFFFFFFFu, 0));
  if (rc < 0) return libseccomp_error("memfd_create rule", rc);
  return {};
}

}  // namespace

const std::vector<std::string_view>& default_allowed_syscalls() {
  static const std::vector<std::string_view> names = {
      // files and descriptors
      "read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev",
      "preadv2", "pwritev2", "lseek", "close", "close_range", "open", "openat", "openat2",
      "creat", "stat", "fstat", "lstat", "newfstatat", "statx", "statfs", "fstatfs", "access",
      "faccessat", "faccessat2", "readlink", "readlinkat", "getdents", "getdents64", "getcwd",
      "chdir", "fchdir", "rename", "renameat", "renameat2", "mkdir", "mkdirat", "rmdir",
      "unlink", "unlinkat", "link", "linkat", "symlink", "symlinkat", "chmod", "fchmod",
      "fchmodat", "fchmodat2", "chown", "fchown", "fchownat", "lchown", "truncate",
      "ftruncate", "fallocate", "fsync", "fdatasync", "utimensat", "umask", "dup", "dup2",
      "dup3", "fcntl", "pipe", "pipe2", "sendfile", "splice", "tee",
      "copy_file_range", "fadvise64", "readahead", "getxattr", "lgetxattr",
      "fgetxattr", "listxattr", "llistxattr", "flistxattr",
      // waiting and events
      "poll", "ppoll", "select", "pselect6", "epoll_create", "epoll_create1", "epoll_ctl",
      "epoll_wait", "epoll_pwait", "epoll_pwait2", "eventfd", "eventfd2", "signalfd",
      "signalfd4", "timerfd_create", "timerfd_settime", "timerfd_gettime",
      // memory
      // (mmap and mprotect have argument rules unless allow_jit: add_memory_rules)
      "brk", "munmap", "mremap", "madvise", "msync", "mincore",
      "membarrier",
      // threads and synchronisation
      "futex", "futex_waitv", "set_robust_list", "get_robust_list", "set_tid_address", "rseq",
      "arch_prctl", "sched_yield", "sched_getaffinity", "sched_getparam",
      "sched_getscheduler", "sched_get_priority_max", "sched_get_priority_min", "getcpu",
      // time
      "clock_gettime", "clock_getres", "clock_nanosleep", "nanosleep", "gettimeofday", "time",
      "getitimer", "setitimer", "alarm", "timer_create", "timer_settime", "timer_gettime",
      "timer_getoverrun", "timer_delete",
      // identity and limits (read-only, or within the sandbox)
      "getpid", "getppid", "gettid", "getuid", "geteuid", "getgid", "getegid", "getgroups",
      "getresuid", "getresgid", "getpgrp", "getpgid", "getsid", "setpgid", "setsid", "uname",
      "getrlimit", "prlimit64", "getrusage", "times", "getpriority", "capget",
      // signals and processes (the pid namespace keeps them inside)
      "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigpending", "rt_sigtimedwait",
      "rt_sigsuspend", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "sigaltstack", "kill", "tgkill",
      "tkill", "pause", "restart_syscall", "wait4", "waitid", "exit", "exit_group",
      // (execve and execveat only with allow_exec: add_exec_rules)
      "fork", "vfork", "pidfd_open", "pidfd_send_signal",
      // sockets (socket itself is checked by family)
      "socketpair", "connect", "accept", "accept4", "bind", "listen", "sendto", "recvfrom",
      "sendmsg", "recvmsg", "sendmmsg", "recvmmsg", "shutdown", "getsockname", "getpeername",
      "setsockopt", "getsockopt",
      // randomness
      "getrandom",
  };
  return names;
}

const std::vector<std::string_view>& never_grantable_syscalls() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> out;
    for (const auto& entry : never_grantable_table()) out.push_back(entry.name);
    return out;
  }();
  return names;
}

Status check_grantable(std::string_view name) {
  const std::string text(name);
  for (const auto& entry : never_grantable_table()) {
    if (entry.name == name) {
      return Error{Errc::refused,
                   "syscall " + text + " can never be granted: it " + std::string(entry.reason),
                   "sandbox.extra_syscalls", 0};
    }
  }
  if (syscall_number(name) < 0) {
    return Error{Errc::invalid_input, "unknown syscall " + text + " on this architecture",
                 "sandbox.extra_syscalls", 0};
  }
  return {};
}

SeccompProgram& SeccompProgram::operator=(SeccompProgram&& other) noexcept {
  filter_ = std::move(other.filter_);
  program_.len = static_cast<unsigned short>(filter_.size());
  program_.filter = filter_.data();
  other.program_ = {};
  return *this;
}

Result<SeccompProgram> build_seccomp_program(const Policy& policy) {
  for (const auto& name : policy.extra_syscalls) {
    if (auto status = check_grantable(name); !status) return std::move(status).error();
  }
  // Default action: report to the supervisor (user notification), which names
  // the syscall and kills the sandbox. A foreign or x32 ABI is killed at once.
  FilterContext ctx(seccomp_init(SCMP_ACT_NOTIFY));
  if (!ctx) return Error{Errc::internal, "seccomp_init failed", "libseccomp", ENOMEM};
  int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
  if (rc < 0) return libseccomp_error("bad-arch action", rc);
  // A binary tree of syscall numbers rather than one long chain: each syscall
  // takes a few comparisons instead of up to 280, and the kernel loads it
  // faster too (measured in the sandbox child: seccomp() 130-170 us against
  // 360-390 us for the chain).
  rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_OPTIMIZE, 2);
  if (rc < 0) return libseccomp_error("binary-tree layout", rc);

  auto allow = [&](std::string_view name) -> Status {
    // syscall_number, not libseccomp alone: it knows no syscall after 456.
    int nr = syscall_number(name);
    if (nr < 0) return {};  // not a syscall of this architecture (e.g. open on aarch64)
    int err = seccomp_rule_add(ctx.get(), SCMP_ACT_ALLOW, nr, 0);
    if (err < 0) return libseccomp_error("allow " + std::string(name), err);
    return {};
  };
  for (auto name : default_allowed_syscalls()) {
    if (auto status = allow(name); !status) return std::move(status).error();
  }
  bool pkey_granted = false;
  for (const auto& name : policy.extra_syscalls) {
    if (has_memory_rules(name)) {
      pkey_granted = pkey_granted || name == "pkey_mprotect";
      continue;
    }
    if (auto status = allow(name); !status) return std::move(status).error();
  }
  if (auto status = add_memory_rules(ctx.get(), policy.allow_jit, pkey_granted); !status)
    return std::move(status).error();
  if (auto status = add_exec_rules(ctx.get(), policy.allow_exec); !status)
    return std::move(status).error();
  if (auto status = add_payload_memfd_rules(ctx.get(), policy.allow_payload_memfds); !status)
    return std::move(status).error();
  // sysinfo reports host-wide memory, load and process counts; ENOSYS makes
  // glibc's get_phys_pages and friends fall back or fail cleanly.
  rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(sysinfo), 0);
  if (rc < 0) return libseccomp_error("sysinfo rule", rc);
  // flock on a read-only bound host file blocked host writers; seccomp cannot
  // tell host files from /tmp's, so no flock anywhere (fcntl's locks: the
  // errno prefix, seccomp_errno_prefix.h).
  rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ERRNO(ENOLCK), SCMP_SYS(flock), 0);
  if (rc < 0) return libseccomp_error("flock rule", rc);

  // ioctl's request is an unsigned int in the kernel but a 64-bit argument to
  // seccomp: compare only the low 32 bits (CVE-2019-10063).
  for (unsigned long request : kAllowedIoctls) {
    rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
                          arg_cmp(1, SCMP_CMP_MASKED_EQ, 0xFFFFFFFFu, request));
    if (rc < 0) return libseccomp_error("ioctl rule", rc);
  }
  for (unsigned long option : kAllowedPrctls) {
    rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
                          arg_cmp(0, SCMP_CMP_MASKED_EQ, 0xFFFFFFFFu, option));
    if (rc < 0) return libseccomp_error("prctl rule", rc);
  }
  // The sandbox arms PR_SET_PDEATHSIG(SIGKILL) so that stockade-init (the
  // init of its pid namespace, hence the whole sandbox) dies with the
  // supervisor's thread. Clearing it, or swapping in a signal the plugin ignores, would let
  // it outlive a crashed supervisor with its cgroup: only SIGKILL may be set
  // (a runtime re-arming it, or arming it in its own children, still works).
  // prctl's arg2 is an unsigned long the kernel checks whole: compare all
  // 64 bits. The kernel also resets pdeath_signal on a change of
  // euid/egid/fsuid/fsgid, on gained capabilities and on a secure exec; none
  // is within reach: the set*id family and capset are violations by default,
  // and even granted they have nothing to switch to (one uid and one gid are
  // mapped, real = effective = saved, no capabilities); exec of a setuid or
  // file-capability binary gains nothing (nosuid mounts, no_new_privs).
  rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ALLOW, SCMP_SYS(prctl), 2,
                        arg_cmp(0, SCMP_CMP_MASKED_EQ, 0xFFFFFFFFu, PR_SET_PDEATHSIG),
                        arg_cmp(1, SCMP_CMP_EQ, static_cast<scmp_datum_t>(SIGKILL)));
  if (rc < 0) return libseccomp_error("prctl PR_SET_PDEATHSIG rule", rc);
  // stockade-init makes itself non-dumpable so the plugin (same uid) cannot
  // open /proc/1/mem. Only turning it off: dumpable 1 would let a plugin that
  // made itself non-dumpable become traceable again.
  rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ALLOW, SCMP_SYS(prctl), 2,
                        arg_cmp(0, SCMP_CMP_MASKED_EQ, 0xFFFFFFFFu, PR_SET_DUMPABLE),
                        arg_cmp(1, SCMP_CMP_EQ, 0));
  if (rc < 0) return libseccomp_error("prctl PR_SET_DUMPABLE rule", rc);
  rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
                        arg_cmp(0, SCMP_CMP_MASKED_EQ, kCloneNamespaceFlags, 0));
  if (rc < 0) return libseccomp_error("clone rule", rc);
  // clone3 passes its flags in memory seccomp cannot read: refuse it with
  // ENOSYS so glibc and other runtimes fall back to the checked clone.
  rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
  if (rc < 0) return libseccomp_error("clone3 rule", rc);
  // Widening the CPU affinity would undo the max_cpu_cores limit (for whole
  // cores it is the only CPU limit: spawn.cpp, cpu_quota_needed).
  rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ERRNO(EPERM), SCMP_SYS(sched_setaffinity), 0);
  if (rc < 0) return libseccomp_error("sched_setaffinity rule", rc);
  // Only querying the execution domain: a personality change could turn on
  // READ_IMPLIES_EXEC or ADDR_NO_RANDOMIZE.
  rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ALLOW, SCMP_SYS(personality), 1,
                        arg_cmp(0, SCMP_CMP_MASKED_EQ, 0xFFFFFFFFu, 0xFFFFFFFFu));
  if (rc < 0) return libseccomp_error("personality rule", rc);
  // Sockets: local, IP (an empty network namespace under Network::none) and
  // route netlink (getaddrinfo's AI_ADDRCONFIG asks it). Raw packet, crypto
  // (AF_ALG), vsock and the rest are violations.
  for (int family : {AF_UNIX, AF_INET, AF_INET6}) {
    rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
                          arg_cmp(0, SCMP_CMP_EQ, static_cast<scmp_datum_t>(family)));
    if (rc < 0) return libseccomp_error("socket rule", rc);
  }
  rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ALLOW, SCMP_SYS(socket), 2,
                        arg_cmp(0, SCMP_CMP_EQ, static_cast<scmp_datum_t>(AF_NETLINK)),
                        arg_cmp(2, SCMP_CMP_EQ, static_cast<scmp_datum_t>(NETLINK_ROUTE)));
  if (rc < 0) return libseccomp_error("socket rule", rc);

  // libseccomp 2.5 exports only to an fd; the child must not call
  // seccomp_load (it allocates), so the program is read back into memory here.
  UniqueFd memfd(memfd_create("stockade-seccomp", MFD_CLOEXEC));
  if (!memfd) return sys_error("memfd_create for the seccomp filter");
  rc = seccomp_export_bpf(ctx.get(), memfd.get());
  if (rc < 0) return libseccomp_error("export", rc);
  off_t size = lseek(memfd.get(), 0, SEEK_END);
  if (size < 0) return sys_error("lseek on the seccomp filter");
  if (size == 0 || size % static_cast<off_t>(sizeof(sock_filter)) != 0 ||
      size / static_cast<off_t>(sizeof(sock_filter)) > BPF_MAXINSNS) {
    return Error{Errc::internal, "exported seccomp filter has a bad size", "libseccomp", 0};
  }
  const std::vector<sock_filter> prefix = seccomp_errno_prefix();
  const size_t exported = static_cast<size_t>(size) / sizeof(sock_filter);
  if (prefix.size() + exported > BPF_MAXINSNS)
    return Error{Errc::internal, "the seccomp filter is too long", "libseccomp", 0};
  SeccompProgram program;
  program.filter_.resize(prefix.size() + exported);
  std::copy(prefix.begin(), prefix.end(), program.filter_.begin());
  ssize_t got = pread(memfd.get(), program.filter_.data() + prefix.size(),
                      static_cast<size_t>(size), 0);
  if (got != size) return sys_error("reading the seccomp filter back");
  program.program_.len = static_cast<unsigned short>(program.filter_.size());
  program.program_.filter = program.filter_.data();
  return program;
}

#ifndef STOCKADE_SECCOMP_GENERATOR
std::shared_ptr<const SeccompProgram> prebuilt_default_seccomp_program() {
  static const std::shared_ptr<const SeccompProgram> program = [] {
    static constexpr sock_filter kInstructions[] = {
#include "default_seccomp_program.inc"
    };
    auto built = std::make_shared<SeccompProgram>();
    built->filter_.assign(std::begin(kInstructions), std::end(kInstructions));
    built->program_.len = static_cast<unsigned short>(built->filter_.size());
    built->program_.filter = built->filter_.data();
    return std::shared_ptr<const SeccompProgram>(std::move(built));
  }();
  return program;
}
#endif

Result<std::shared_ptr<const SeccompProgram>> cached_seccomp_program(const Policy& policy) {
#ifndef STOCKADE_SECCOMP_GENERATOR
  if (policy.extra_syscalls.empty() && !policy.allow_exec && !policy.allow_jit &&
      !policy.allow_payload_memfds)
    return prebuilt_default_seccomp_program();
#endif
  constexpr size_t kMaxEntries = 32;
  static std::mutex mutex;
  // Every input of build_seccomp_program: the three switches, then the
  // extra syscalls in order.
  static std::map<std::vector<std::string>, std::shared_ptr<const SeccompProgram>> cache;
  std::vector<std::string> key = policy.extra_syscalls;
  std::sort(key.begin(), key.end());
  key.insert(key.begin(), {policy.allow_exec ? "exec" : "-", policy.allow_jit ? "jit" : "-",
                           policy.allow_payload_memfds ? "memfd" : "-"});
  {
    std::lock_guard lock(mutex);
    if (auto it = cache.find(key); it != cache.end()) return it->second;
  }
  auto built = build_seccomp_program(policy);
  if (!built) return std::move(built).error();
  auto shared = std::make_shared<const SeccompProgram>(std::move(*built));
  std::lock_guard lock(mutex);
  if (cache.size() >= kMaxEntries) cache.clear();
  cache.emplace(std::move(key), shared);
  return shared;
}

}  // namespace stockade::sandbox
