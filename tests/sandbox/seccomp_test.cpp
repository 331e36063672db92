// The seccomp policy: the never-grantable set, and the compiled filter
// evaluated in-process on (arch, nr, args); then a real violation.
#include <errno.h>
#include <linux/audit.h>
#include <poll.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>
#include <netinet/in.h>
#include <fcntl.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "sandbox/seccomp_policy.h"
#include "sandbox/syscall_names.h"
#include "tests/sandbox/bpf_eval.h"
#include "tests/sandbox/sandbox_fixture.h"
#include "sandbox/seccomp_arg.h"

namespace stockade::sandbox::test {
namespace {

uint32_t verdict(const SeccompProgram& program, int nr, std::initializer_list<uint64_t> args = {},
                 uint32_t arch = AUDIT_ARCH_X86_64) {
  seccomp_data data{};
  data.nr = nr;
  data.arch = arch;
  size_t i = 0;
  for (uint64_t arg : args) data.args[i++] = arg;
  return evaluate_seccomp(program.instructions(), data);
}

constexpr uint32_t kAllow = SECCOMP_RET_ALLOW;
constexpr uint32_t kNotify = SECCOMP_RET_USER_NOTIF;
constexpr uint32_t kKillProcess = SECCOMP_RET_KILL_PROCESS;

SeccompProgram default_program(Policy policy = {}) {
  auto program = build_seccomp_program(policy);
  EXPECT_TRUE(program.ok()) << program.error().message();
  return std::move(*program);
}

TEST(SeccompPolicy, NeverGrantableSyscallsAreRefused) {
  for (const char* name :
       {"ptrace", "mount", "umount2", "pivot_root", "fsopen", "fsmount", "move_mount", "open_tree",
        "bpf", "io_uring_setup", "io_uring_enter", "io_uring_register", "userfaultfd",
        "perf_event_open", "kexec_load", "kexec_file_load", "init_module", "finit_module",
        "delete_module", "keyctl", "add_key", "request_key", "unshare", "setns", "clone",
        "clone3", "process_vm_readv", "process_vm_writev", "personality", "swapon", "reboot",
        "acct", "quotactl", "name_to_handle_at", "open_by_handle_at", "iopl", "ioperm",
        "vhangup", "kcmp", "pidfd_getfd", "ioctl", "prctl", "seccomp", "sched_setaffinity"}) {
    Status status = check_grantable(name);
    ASSERT_FALSE(status.ok()) << name;
    EXPECT_EQ(status.error().code, Errc::refused) << name;
    EXPECT_NE(status.error().what.find(name), std::string::npos) << status.error().message();
  }
}

TEST(SeccompPolicy, OrdinarySyscallIsGrantableAndUnknownIsInvalid) {
  EXPECT_TRUE(check_grantable("mlock").ok());
  EXPECT_TRUE(check_grantable("read").ok());
  Status unknown = check_grantable("no_such_syscall");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, Errc::invalid_input);
  EXPECT_EQ(unknown.error().where, "sandbox.extra_syscalls");
}

TEST(SeccompPolicy, DefaultAllowlistNeverContainsANeverGrantableSyscall) {
  for (auto name : default_allowed_syscalls()) {
    const auto& never = never_grantable_syscalls();
    EXPECT_EQ(std::find(never.begin(), never.end(), name), never.end()) << name;
  }
}

TEST(SeccompPolicy, ForbiddenSyscallsAreReportedAndCommonOnesAllowed) {
  SeccompProgram program = default_program();
  EXPECT_EQ(verdict(program, SYS_read), kAllow);
  EXPECT_EQ(verdict(program, SYS_futex), kAllow);
  EXPECT_EQ(verdict(program, SYS_ptrace), kNotify);
  EXPECT_EQ(verdict(program, SYS_mount), kNotify);
  EXPECT_EQ(verdict(program, SYS_bpf), kNotify);
  EXPECT_EQ(verdict(program, SYS_io_uring_setup), kNotify);
  EXPECT_EQ(verdict(program, SYS_unshare), kNotify);
  EXPECT_EQ(verdict(program, SYS_mlock), kNotify);
}

TEST(SeccompPolicy, TheChildsLastStepsRunUnderTheFilter) {
  // child_main.cpp waits for the supervisor's go-ahead after installing the
  // filter, then joins its cgroups, sets its rlimits and execs stockade-init:
  // a syscall of those refused would hang the launch on a notification.
  // Its execveat is reported, and answered by spawn() (await_exec).
  SeccompProgram program = default_program();
  for (int nr : {SYS_recvmsg, SYS_write, SYS_close, SYS_prlimit64, SYS_exit_group})
    EXPECT_EQ(verdict(program, nr), kAllow) << "syscall " << nr;
  EXPECT_EQ(verdict(program, SYS_execveat, {5, 0, 0, 0, AT_EMPTY_PATH}), kNotify);
}

TEST(SeccompPolicy, ExecIsReportedUnlessAllowExec) {
  SeccompProgram program = default_program();
  EXPECT_EQ(verdict(program, SYS_execve), kNotify);
  EXPECT_EQ(verdict(program, SYS_execveat), kNotify);
  Policy policy;
  policy.allow_exec = true;
  SeccompProgram open = default_program(policy);
  EXPECT_EQ(verdict(open, SYS_execve), kAllow);
  EXPECT_EQ(verdict(open, SYS_execveat), kAllow);
  Status grant = check_grantable("execve");
  ASSERT_FALSE(grant.ok());
  EXPECT_NE(grant.error().what.find("sandbox.allow_exec"), std::string::npos) << grant.error().what;
}

TEST(SeccompPolicy, WritableExecutableAndAnonymousExecutableMemoryIsReportedUnlessAllowJit) {
  constexpr uint64_t kRw = PROT_READ | PROT_WRITE, kRx = PROT_READ | PROT_EXEC;
  constexpr uint64_t kRwx = kRw | PROT_EXEC;
  constexpr uint64_t kAnon = MAP_PRIVATE | MAP_ANONYMOUS, kFile = MAP_PRIVATE;
  SeccompProgram program = default_program();
  EXPECT_EQ(verdict(program, SYS_mmap, {0, 4096, kRw, kAnon, ~0ULL, 0}), kAllow);
  EXPECT_EQ(verdict(program, SYS_mmap, {0, 4096, kRx, kFile, 3, 0}), kAllow);  // the loader
  EXPECT_EQ(verdict(program, SYS_mmap, {0, 4096, PROT_NONE, kAnon, ~0ULL, 0}), kAllow);
  EXPECT_EQ(verdict(program, SYS_mmap, {0, 4096, kRwx, kAnon, ~0ULL, 0}), kNotify);
  EXPECT_EQ(verdict(program, SYS_mmap, {0, 4096, kRwx, kFile, 3, 0}), kNotify);
  EXPECT_EQ(verdict(program, SYS_mmap, {0, 4096, kRx, kAnon, ~0ULL, 0}), kNotify);
  // prot and flags are ints: high bits change nothing either way.
  EXPECT_EQ(verdict(program, SYS_mmap, {0, 4096, 0xFFFFFFFF00000000ULL | kRwx, kAnon, ~0ULL, 0}), kNotify);
  EXPECT_EQ(verdict(program, SYS_mmap, {0, 4096, kRx, 0xFFFFFFFF00000000ULL | kAnon, ~0ULL, 0}), kNotify);
  EXPECT_EQ(verdict(program, SYS_mmap, {0, 4096, 0xFFFFFFFF00000000ULL | kRw, kAnon, ~0ULL, 0}), kAllow);
  EXPECT_EQ(verdict(program, SYS_mprotect, {0, 4096, PROT_READ}), kAllow);
  EXPECT_EQ(verdict(program, SYS_mprotect, {0, 4096, kRw}), kAllow);
  EXPECT_EQ(verdict(program, SYS_mprotect, {0, 4096, kRx}), kNotify);
  EXPECT_EQ(verdict(program, SYS_mprotect, {0, 4096, 0x100000000ULL | kRx}), kNotify);
  EXPECT_EQ(verdict(program, SYS_pkey_mprotect, {0, 4096, PROT_READ, 0}), kNotify) << "not granted";

  Policy granted;
  granted.extra_syscalls = {"pkey_mprotect", "mprotect"};  // a grant keeps the rule
  SeccompProgram with_pkey = default_program(granted);
  EXPECT_EQ(verdict(with_pkey, SYS_pkey_mprotect, {0, 4096, PROT_READ, 0}), kAllow);
  EXPECT_EQ(verdict(with_pkey, SYS_pkey_mprotect, {0, 4096, kRx, 0}), kNotify);
  EXPECT_EQ(verdict(with_pkey, SYS_mprotect, {0, 4096, kRx}), kNotify);

  granted.allow_jit = true;
  SeccompProgram jit = default_program(granted);
  EXPECT_EQ(verdict(jit, SYS_mmap, {0, 4096, kRwx, kAnon, ~0ULL, 0}), kAllow);
  EXPECT_EQ(verdict(jit, SYS_mprotect, {0, 4096, kRx}), kAllow);
  EXPECT_EQ(verdict(jit, SYS_pkey_mprotect, {0, 4096, kRx, 0}), kAllow);
}

TEST(SeccompPolicy, LibseccompDropsAConditionalRuleBesideAnUnconditionalOne) {
  // Why seccomp_errno_prefix.h exists: libseccomp 2.5.4 accepts the
  // conditional EPERM rule (rc 0) and then exports a plain allow. If this
  // starts failing, libseccomp has changed and the prefix could go.
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_NOTIFY);
  ASSERT_NE(ctx, nullptr);
  ASSERT_EQ(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(setsockopt), 0), 0);
  ASSERT_EQ(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(setsockopt), 2,
                             arg_cmp(1, SCMP_CMP_EQ, SOL_SOCKET), arg_cmp(2, SCMP_CMP_EQ, SO_SNDBUF)),
            0);
  int memfd = memfd_create("libseccomp-check", MFD_CLOEXEC);
  ASSERT_GE(memfd, 0);
  ASSERT_EQ(seccomp_export_bpf(ctx, memfd), 0);
  seccomp_release(ctx);
  off_t size = lseek(memfd, 0, SEEK_END);
  std::vector<sock_filter> filter(static_cast<size_t>(size) / sizeof(sock_filter));
  ASSERT_EQ(pread(memfd, filter.data(), static_cast<size_t>(size), 0), size);
  close(memfd);
  seccomp_data data{};
  data.arch = AUDIT_ARCH_X86_64;
  data.nr = SYS_setsockopt;
  data.args[1] = SOL_SOCKET;
  data.args[2] = SO_SNDBUF;
  EXPECT_EQ(evaluate_seccomp(filter, data), kAllow);
}

TEST(SeccompPolicy, RaisingSocketBuffersAnswersEperm) {
  SeccompProgram program = default_program();
  constexpr uint32_t kEperm = SECCOMP_RET_ERRNO | EPERM;
  for (uint64_t option : {SO_SNDBUF, SO_RCVBUF, SO_SNDBUFFORCE, SO_RCVBUFFORCE}) {
    EXPECT_EQ(verdict(program, SYS_setsockopt, {3, SOL_SOCKET, option, 0, 4}), kEperm) << option;
    // The kernel reads level and optname as ints.
    EXPECT_EQ(verdict(program, SYS_setsockopt,
                      {3, 0xFFFFFFFF00000000ULL | SOL_SOCKET, 0x100000000ULL | option, 0, 4}),
              kEperm)
        << option;
  }
  EXPECT_EQ(verdict(program, SYS_setsockopt, {3, SOL_SOCKET, SO_REUSEADDR, 0, 4}), kAllow);
  EXPECT_EQ(verdict(program, SYS_setsockopt, {3, SOL_SOCKET, SO_KEEPALIVE, 0, 4}), kAllow);
  EXPECT_EQ(verdict(program, SYS_setsockopt, {3, IPPROTO_TCP, SO_SNDBUF, 0, 4}), kAllow)
      << "the same number at another level is another option";
  EXPECT_EQ(verdict(program, SYS_getsockopt, {3, SOL_SOCKET, SO_SNDBUF, 0, 0}), kAllow);
  EXPECT_EQ(verdict(program, SYS_setsockopt | 0x40000000, {3, SOL_SOCKET, SO_SNDBUF}), kKillProcess);
}

TEST(SeccompPolicy, LocksAnswerEnolckAndQueriesAreAllowed) {
  SeccompProgram program = default_program();
  constexpr uint32_t kEnolck = SECCOMP_RET_ERRNO | ENOLCK;
  for (uint64_t cmd : {F_SETLK, F_SETLKW, F_OFD_SETLK, F_OFD_SETLKW, F_SETLEASE}) {
    EXPECT_EQ(verdict(program, SYS_fcntl, {3, cmd, 0}), kEnolck) << cmd;
    EXPECT_EQ(verdict(program, SYS_fcntl, {3, 0xFFFFFFFF00000000ULL | cmd, 0}), kEnolck) << cmd;
  }
  for (uint64_t cmd : {F_GETLK, F_OFD_GETLK, F_GETLEASE, F_GETFD, F_SETFD, F_GETFL, F_SETFL,
                       F_DUPFD_CLOEXEC})
    EXPECT_EQ(verdict(program, SYS_fcntl, {3, cmd, 0}), kAllow) << cmd;
  EXPECT_EQ(verdict(program, SYS_flock, {3, LOCK_EX}), kEnolck);
  EXPECT_EQ(verdict(program, SYS_flock, {3, LOCK_UN}), kEnolck);
  EXPECT_FALSE(check_grantable("flock").ok());
}

TEST(SeccompPolicy, SysinfoAnswersEnosys) {
  SeccompProgram program = default_program();
  EXPECT_EQ(verdict(program, SYS_sysinfo), SECCOMP_RET_ERRNO | ENOSYS);
  EXPECT_FALSE(check_grantable("sysinfo").ok());
}

TEST(SeccompPolicy, NewerSyscallsHaveNames) {
  // Checked against the kernel's syscall tables (syscall_names.cpp).
  EXPECT_EQ(syscall_name(AUDIT_ARCH_X86_64, 457), "statmount");
  EXPECT_EQ(syscall_name(AUDIT_ARCH_X86_64, 458), "listmount");
  EXPECT_EQ(syscall_name(AUDIT_ARCH_X86_64, 460), "lsm_set_self_attr");
  EXPECT_EQ(syscall_name(AUDIT_ARCH_X86_64, 461), "lsm_list_modules");
  EXPECT_EQ(syscall_name(AUDIT_ARCH_X86_64, 462), "mseal");
  EXPECT_EQ(syscall_name(AUDIT_ARCH_X86_64, 469), "file_setattr");
  EXPECT_EQ(syscall_name(AUDIT_ARCH_X86_64, 335), "uretprobe");
  EXPECT_EQ(syscall_name(AUDIT_ARCH_AARCH64, 457), "statmount");
  EXPECT_EQ(syscall_name(AUDIT_ARCH_AARCH64, 335), "#335") << "uretprobe is x86_64 only";
  EXPECT_EQ(syscall_name(AUDIT_ARCH_X86_64, 999), "#999");
  EXPECT_EQ(syscall_number("statmount"), 457);
  EXPECT_EQ(syscall_number("file_getattr"), 468);
  EXPECT_EQ(syscall_number("read"), SYS_read);
  EXPECT_EQ(syscall_number("no_such_syscall"), -1);
  // Grantable: harmless or self-contained. Never: they reveal the mount tree
  // (statmount, listmount), mount (open_tree_attr), change LSM attributes.
  for (const char* name : {"fchmodat2", "mseal", "futex_wake", "getxattrat", "lsm_list_modules",
                           "cachestat", "file_getattr"})
    EXPECT_TRUE(check_grantable(name).ok()) << name;
  for (const char* name : {"statmount", "listmount", "open_tree_attr", "lsm_set_self_attr"}) {
    Status status = check_grantable(name);
    ASSERT_FALSE(status.ok()) << name;
    EXPECT_EQ(status.error().code, Errc::refused) << name;
  }
  // The default allowlist's fchmodat2 was silently skipped before (libseccomp
  // could not resolve it); a grant of a new syscall reaches the filter.
  EXPECT_EQ(verdict(default_program(), 452 /* fchmodat2 */), kAllow);
  Policy policy;
  policy.extra_syscalls = {"mseal"};
  EXPECT_EQ(verdict(default_program(policy), 462 /* mseal */), kAllow);
  EXPECT_EQ(verdict(default_program(), 462), kNotify);
}

TEST(SeccompPolicy, CacheKeyCoversAllowExecAndAllowJit) {
  Policy exec;
  exec.allow_exec = true;
  Policy jit;
  jit.allow_jit = true;
  auto a = cached_seccomp_program(exec);
  auto b = cached_seccomp_program(jit);
  auto c = cached_seccomp_program(Policy{});
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_NE(a->get(), b->get());
  EXPECT_NE(a->get(), c->get());
  EXPECT_NE(b->get(), c->get());
  EXPECT_EQ(verdict(**a, SYS_execve), kAllow);
  EXPECT_EQ(verdict(**b, SYS_execve), kNotify);
  auto again = cached_seccomp_program(exec);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->get(), a->get());
}

TEST(SeccompPolicy, IoctlIsCheckedOnTheLow32BitsOfTheRequest) {
  SeccompProgram program = default_program();
  EXPECT_EQ(verdict(program, SYS_ioctl, {1, TCGETS}), kAllow);
  EXPECT_EQ(verdict(program, SYS_ioctl, {1, 0xFFFFFFFF00000000ULL | TCGETS}), kAllow);
  EXPECT_EQ(verdict(program, SYS_ioctl, {0, TIOCSTI}), kNotify);
  // CVE-2019-10063: high bits must not turn TIOCSTI into something allowed.
  EXPECT_EQ(verdict(program, SYS_ioctl, {0, 0x100000000ULL | TIOCSTI}), kNotify);
  EXPECT_EQ(verdict(program, SYS_ioctl, {0, TIOCLINUX}), kNotify);
}

TEST(SeccompPolicy, CloneWithNamespaceFlagsIsReportedAndClone3FallsBack) {
  SeccompProgram program = default_program();
  const uint64_t thread_flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
                                CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID |
                                CLONE_CHILD_CLEARTID;
  EXPECT_EQ(verdict(program, SYS_clone, {thread_flags}), kAllow);
  EXPECT_EQ(verdict(program, SYS_clone, {SIGCHLD}), kAllow);
  for (uint64_t ns : {CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWIPC,
                      CLONE_NEWUTS, CLONE_NEWCGROUP})
    EXPECT_EQ(verdict(program, SYS_clone, {SIGCHLD | ns}), kNotify) << std::hex << ns;
  EXPECT_EQ(verdict(program, SYS_clone3), SECCOMP_RET_ERRNO | ENOSYS);
  EXPECT_EQ(verdict(program, SYS_sched_setaffinity), SECCOMP_RET_ERRNO | EPERM);
  EXPECT_EQ(verdict(program, SYS_personality, {0xFFFFFFFF}), kAllow);
  EXPECT_EQ(verdict(program, SYS_personality, {0x0040000 /* ADDR_NO_RANDOMIZE */}), kNotify);
}

TEST(SeccompPolicy, ParentDeathSignalCanOnlyBeSetToSigkill) {
  SeccompProgram program = default_program();
  EXPECT_EQ(verdict(program, SYS_prctl, {PR_SET_PDEATHSIG, SIGKILL}), kAllow);
  EXPECT_EQ(verdict(program, SYS_prctl, {PR_GET_PDEATHSIG, 0}), kAllow);
  EXPECT_EQ(verdict(program, SYS_prctl, {PR_SET_PDEATHSIG, 0}), kNotify);
  EXPECT_EQ(verdict(program, SYS_prctl, {PR_SET_PDEATHSIG, SIGUSR1}), kNotify);
  // arg2 is compared whole: high bits must not pass for SIGKILL.
  EXPECT_EQ(verdict(program, SYS_prctl, {PR_SET_PDEATHSIG, 0x100000000ULL | SIGKILL}), kNotify);
  // The credential changes that would reset pdeath_signal are violations.
  for (int nr : {SYS_setuid, SYS_setgid, SYS_setreuid, SYS_setregid, SYS_setresuid,
                 SYS_setresgid, SYS_setfsuid, SYS_setfsgid, SYS_setgroups, SYS_capset})
    EXPECT_EQ(verdict(program, nr, {1000, 1000, 1000}), kNotify) << nr;
}

TEST(SeccompPolicy, PrebuiltDefaultProgramIsTheFreshlyCompiledOne) {
  // Compiled at build time for `stockade jail` and other short-lived
  // processes; it must be exactly what the policy code compiles now.
  SeccompProgram fresh = default_program();
  auto prebuilt = prebuilt_default_seccomp_program();
  ASSERT_EQ(prebuilt->instruction_count(), fresh.instruction_count());
  for (size_t i = 0; i < fresh.instruction_count(); ++i) {
    const sock_filter& a = prebuilt->instructions()[i];
    const sock_filter& b = fresh.instructions()[i];
    EXPECT_TRUE(a.code == b.code && a.jt == b.jt && a.jf == b.jf && a.k == b.k) << "instruction " << i;
  }
  EXPECT_EQ(prebuilt->program()->len, fresh.instruction_count());
  auto cached = cached_seccomp_program(Policy{});
  ASSERT_TRUE(cached.ok());
  EXPECT_EQ(cached->get(), prebuilt.get()) << "the default profile must not be compiled at run time";
  Policy extra;
  extra.extra_syscalls = {"mlock"};
  auto compiled = cached_seccomp_program(extra);
  ASSERT_TRUE(compiled.ok());
  EXPECT_NE(compiled->get(), prebuilt.get());
}

TEST(SeccompPolicy, ForeignAndX32AbisAreKilled) {
  SeccompProgram program = default_program();
  EXPECT_EQ(verdict(program, SYS_read | 0x40000000), kKillProcess);  // x32
  EXPECT_EQ(verdict(program, 3 /* i386 read */, {}, AUDIT_ARCH_I386), kKillProcess);
  EXPECT_EQ(verdict(program, SYS_read, {}, AUDIT_ARCH_AARCH64), kKillProcess);
}

TEST(SeccompPolicy, ExtraSyscallsAreAllowedOnlyWhenGrantable) {
  Policy policy;
  policy.extra_syscalls = {"mlock", "munlock"};
  SeccompProgram program = default_program(policy);
  EXPECT_EQ(verdict(program, SYS_mlock), kAllow);
  policy.extra_syscalls = {"bpf"};
  auto refused = build_seccomp_program(policy);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, Errc::refused);
}

TEST(SeccompViolation, ForbiddenSyscallIsReportedByName) {
  SandboxRun run = run_sandboxed(policy_for({"probe", "ptrace"}));
  ASSERT_TRUE(run.status.ok()) << run.status.error().message();
  EXPECT_EQ(run.status->kind, ExitStatus::Kind::seccomp_violation);
  EXPECT_EQ(run.status->syscall, "ptrace");
  EXPECT_EQ(run.status->describe(), "seccomp violation: ptrace is not allowed; the sandbox was killed");
  EXPECT_EQ(run.output, "") << "the forbidden call must never return";
}

// An event loop as run_attached and the runtime write it: watch the pidfd
// and violation_fd(), call handle_violation() on any event of the latter,
// re-read violation_fd() each round. Returns the status and the wakeups.
struct LoopResult {
  std::optional<ExitStatus> status;
  int wakeups = 0;
};
LoopResult run_event_loop(Child& child) {
  LoopResult result;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if ((result.status = child.try_wait())) break;
    pollfd fds[2] = {{child.pidfd(), POLLIN, 0}, {child.violation_fd(), POLLIN, 0}};
    if (poll(fds, 2, 1000) < 0 && errno != EINTR) break;
    ++result.wakeups;
    if (fds[1].revents != 0) child.handle_violation();
  }
  return result;
}

TEST(SeccompViolation, ListenerIsClosedOnceNothingIsLeftUnderTheFilter) {
  auto started = start_sandboxed(policy_for({"probe", "exit", "0"}));
  ASSERT_TRUE(started.ok()) << started.error().message();
  Child& child = started->child;
  ASSERT_GE(child.violation_fd(), 0);
  // The listener hangs up when the last task under the filter is gone,
  // possibly before the pidfd turns readable.
  pollfd hangup{child.violation_fd(), POLLIN, 0};
  ASSERT_EQ(poll(&hangup, 1, 5000), 1);
  EXPECT_TRUE(hangup.revents & POLLHUP);
  EXPECT_FALSE(hangup.revents & POLLIN);
  EXPECT_FALSE(child.handle_violation());
  EXPECT_EQ(child.violation_fd(), -1) << "a hung-up listener must stop being watched";
  LoopResult loop = run_event_loop(child);
  ASSERT_TRUE(loop.status);
  EXPECT_EQ(loop.status->kind, ExitStatus::Kind::exited);
  // Once closed nothing wakes the loop but the pidfd (before the fix the
  // hung-up listener woke it dozens of times per exit).
  EXPECT_LE(loop.wakeups, 2);
}

TEST(SeccompViolation, EventLoopWakesAFewTimesPerExitAndStillSeesViolations) {
  for (int i = 0; i < 5; ++i) {
    auto started = start_sandboxed(policy_for({"probe", "exit", "0"}));
    ASSERT_TRUE(started.ok()) << started.error().message();
    LoopResult loop = run_event_loop(started->child);
    ASSERT_TRUE(loop.status);
    EXPECT_EQ(loop.status->kind, ExitStatus::Kind::exited);
    EXPECT_LE(loop.wakeups, 3) << "the exit woke the loop " << loop.wakeups << " times";
  }
  auto started = start_sandboxed(policy_for({"probe", "ptrace"}));
  ASSERT_TRUE(started.ok()) << started.error().message();
  LoopResult loop = run_event_loop(started->child);
  ASSERT_TRUE(loop.status);
  EXPECT_EQ(loop.status->kind, ExitStatus::Kind::seccomp_violation);
  EXPECT_EQ(loop.status->syscall, "ptrace");
}

}  // namespace
}  // namespace stockade::sandbox::test
