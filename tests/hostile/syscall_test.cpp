// Hostile: syscalls the sandbox never grants, foreign ABIs, terminal injection.
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>

#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/hostile/hostile_fixture.h"

namespace stockade::hostile {
namespace {

// --- Syscalls that are never granted: killed and reported by name ----------

struct Forbidden {
  const char* name;                // the test's name
  const char* probe;
  std::vector<std::string> args;   // "{victim}" stands for the victim's pid
  const char* syscall;             // what the violation must name
};

void PrintTo(const Forbidden& forbidden, std::ostream* out) { *out << forbidden.name; }

class ForbiddenSyscall : public Hostile, public ::testing::WithParamInterface<Forbidden> {};

TEST_P(ForbiddenSyscall, IsKilledAndReportedByName) {
  const Forbidden& forbidden = GetParam();
  std::vector<std::string> args = forbidden.args;
  for (std::string& arg : args)
    if (arg == "{victim}") arg = victim();
  ProbeRun result = run(forbidden.probe, args);
  expect_violation(result, forbidden.syscall);
  EXPECT_EQ(result.output.find("succeeded"), std::string::npos) << result.summary();
}

const Forbidden kForbidden[] = {
    {"PtraceOfHostProcess", "ptrace_attach", {"pid", "{victim}"}, "ptrace"},
    {"PtraceOfOwnChild", "ptrace_attach", {"child"}, "ptrace"},
    {"PtraceTraceme", "ptrace_attach", {"traceme"}, "ptrace"},
    {"Mount", "mount_tmpfs", {}, "mount"},
    {"Unshare", "unshare_namespaces", {}, "unshare"},
    {"CloneWithNamespaceFlags", "clone_namespaces", {}, "clone"},
    // clone3 answers ENOSYS (its flags are out of the filter's sight); the
    // probe then falls back to clone, like glibc, and is killed there.
    {"Clone3WithNamespaceFlags", "clone3_namespaces", {}, "clone"},
    {"Setns", "setns_join", {}, "setns"},
    {"IoUringSetup", "io_uring_setup", {}, "io_uring_setup"},
    {"Userfaultfd", "userfaultfd_create", {}, "userfaultfd"},
    {"Bpf", "bpf_map", {}, "bpf"},
    {"PerfEventOpen", "perf_event", {}, "perf_event_open"},
    {"AddKey", "keyring", {"add_key"}, "add_key"},
    {"Keyctl", "keyring", {"keyctl"}, "keyctl"},
    {"RequestKey", "keyring", {"request_key"}, "request_key"},
    {"InitModule", "module_load", {"init_module"}, "init_module"},
    {"FinitModule", "module_load", {"finit_module"}, "finit_module"},
    {"DeleteModule", "module_load", {"delete_module"}, "delete_module"},
    {"Mknod", "mknod_device", {"mknod"}, "mknod"},
    {"Mknodat", "mknod_device", {"mknodat"}, "mknodat"},
    {"OpenByHandleAt", "open_by_handle", {}, "open_by_handle_at"},
    {"ProcessVmReadv", "process_vm_read", {}, "process_vm_readv"},
    {"Kcmp", "kcmp_probe", {}, "kcmp"},
    {"PersonalityReadImpliesExec", "personality_change", {}, "personality"},
    {"Reboot", "kernel_admin", {"reboot"}, "reboot"},
    {"KexecLoad", "kernel_admin", {"kexec_load"}, "kexec_load"},
    {"Swapon", "kernel_admin", {"swapon"}, "swapon"},
    {"Acct", "kernel_admin", {"acct"}, "acct"},
    {"Settimeofday", "kernel_admin", {"settimeofday"}, "settimeofday"},
    {"Syslog", "kernel_admin", {"syslog"}, "syslog"},
    {"ClockSettime", "kernel_admin", {"clock_settime"}, "clock_settime"},
    {"Sethostname", "kernel_admin", {"sethostname"}, "sethostname"},
    {"PidfdGetfd", "pidfd_steal", {}, "pidfd_getfd"},
    {"SysvSharedMemory", "sysv_ipc", {"shm"}, "shmget"},
    {"SysvMessageQueue", "sysv_ipc", {"msg"}, "msgget"},
    {"SysvSemaphore", "sysv_ipc", {"sem"}, "semget"},
    {"Iopl", "hardware_access", {"iopl"}, "iopl"},
    {"Ioperm", "hardware_access", {"ioperm"}, "ioperm"},
    {"ModifyLdt", "hardware_access", {"modify_ldt"}, "modify_ldt"},
    {"RealtimeScheduling", "realtime_priority", {"fifo"}, "sched_setscheduler"},
    {"NegativeNice", "realtime_priority", {"nice"}, "setpriority"},
    // Only AF_UNIX, AF_INET(6) and NETLINK_ROUTE sockets pass the filter.
    {"PacketSocket", "raw_socket", {"packet"}, "socket"},
    {"NetfilterNetlinkSocket", "raw_socket", {"netlink"}, "socket"},
};

INSTANTIATE_TEST_SUITE_P(Hostile, ForbiddenSyscall, ::testing::ValuesIn(kForbidden),
                         [](const ::testing::TestParamInfo<Forbidden>& param) { return param.param.name; });


// --- Foreign ABIs -------------------------------------------------------------

// What the host kernel does with an x32 getpid, outside any sandbox.
bool host_has_x32() { return syscall(0x40000000 | SYS_getpid) >= 0; }

// Whether `int 0x80` reaches the i386 table on this kernel (IA32 emulation),
// tried in a child because without it the instruction faults.
bool host_has_ia32_emulation() {
  pid_t pid = fork();
  if (pid == 0) {
    long rc = 20;  // i386 getpid
    asm volatile("int $0x80" : "+a"(rc) : : "memory");
    _exit(rc > 0 ? 0 : 1);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

TEST_F(Hostile, X32SyscallIsKilledByTheArchCheck) {
  // x32 numbers are not native numbers: the filter's arch check kills the
  // process in the kernel (SIGSYS) before any allowlist or notification, on
  // kernels with and without x32 (this one has none: ENOSYS outside).
  EXPECT_FALSE(host_has_x32()) << "this kernel has x32: the ENOSYS fact in PLATFORM.md is stale";
  ProbeRun result = run("x32_syscall");
  expect_violation(result, "non-native syscall ABI");
  EXPECT_EQ(result.output, "") << result.summary();
}

TEST_F(Hostile, Int80SyscallNeverRunsAnI386Syscall) {
  // With IA32 emulation (this machine has it, whatever PLATFORM.md said) the
  // filter's arch check kills in the kernel (SIGSYS); without it the
  // instruction itself faults (SIGSEGV). Either way no i386 syscall runs.
  ProbeRun result = run("int80_syscall");
  if (host_has_ia32_emulation()) {
    expect_violation(result, "non-native syscall ABI");
  } else {
    EXPECT_EQ(result.status.kind, Kind::signaled) << result.summary();
    EXPECT_EQ(result.status.signal, SIGSEGV) << result.summary();
  }
  EXPECT_EQ(result.output, "") << result.summary();
}

// --- Terminal injection -----------------------------------------------------

struct TtyAttack {
  sandbox::ExitStatus status;
  std::string output;
  std::string injected;  // what reached the terminal's input queue
  std::string error;
};

// Runs the TIOCSTI probe the way the attack works: the process that spawns
// the sandbox is a session leader whose controlling terminal is a pty, and
// the plugin gets that terminal as stdin. The spawning happens in a forked
// helper so the test process keeps its own session.
TtyAttack run_tiocsti(const std::string& mode) {
  TtyAttack attack;
  int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) {
    attack.error = "no pty";
    return attack;
  }
  std::string slave_name = ptsname(master);
  // Our own view of the slave, raw, to read what the probe may have pushed.
  int watch = open(slave_name.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  termios raw{};
  tcgetattr(watch, &raw);
  cfmakeraw(&raw);
  tcsetattr(watch, TCSANOW, &raw);
  int report[2];
  if (watch < 0 || pipe2(report, O_CLOEXEC) != 0) {
    attack.error = "no slave or pipe";
    return attack;
  }
  pid_t helper = fork();
  if (helper == 0) {
    close(report[0]);
    setsid();
    int slave = open(slave_name.c_str(), O_RDWR | O_CLOEXEC);  // becomes the controlling terminal
    ioctl(slave, TIOCSCTTY, 0);
    ProbeRequest request;
    request.probe = "tiocsti_inject";
    request.args = {mode};
    request.fds = {{slave, 0}};
    ProbeRun run = run_probe(request);
    std::string message = std::to_string(static_cast<int>(run.status.kind)) + " " +
                          std::to_string(run.status.code) + " " + std::to_string(run.status.signal) + " " +
                          (run.status.syscall.empty() ? "-" : run.status.syscall) + " " +
                          std::to_string(run.leftover_processes.size()) + "\n" +
                          (run.spawned ? run.output : "spawn failed: " + run.spawn_error);
    ssize_t ignored = write(report[1], message.data(), message.size());
    (void)ignored;
    _exit(0);
  }
  close(report[1]);
  std::string message;
  char buf[1024];
  for (ssize_t n; (n = read(report[0], buf, sizeof buf)) > 0;) message.append(buf, static_cast<size_t>(n));
  close(report[0]);
  waitpid(helper, nullptr, 0);
  for (ssize_t n; (n = read(watch, buf, sizeof buf)) > 0;) attack.injected.append(buf, static_cast<size_t>(n));
  close(watch);
  close(master);
  int kind = 0;
  char syscall_name[64] = {};
  size_t leftovers = 0;
  if (std::sscanf(message.c_str(), "%d %d %d %63s %zu", &kind, &attack.status.code, &attack.status.signal,
                  syscall_name, &leftovers) != 5 || leftovers != 0) {
    attack.error = "helper report: " + message;
    return attack;
  }
  attack.status.kind = static_cast<Kind>(kind);
  attack.status.syscall = std::string(syscall_name) == "-" ? "" : syscall_name;
  attack.output = message.substr(message.find('\n') + 1);
  return attack;
}

TEST_F(Hostile, TiocstiOnTheHostsTerminalIsKilledAndReported) {
  TtyAttack attack = run_tiocsti("plain");
  ASSERT_EQ(attack.error, "");
  // Two layers: the filter allows no TIOCSTI, and the sandbox's new session
  // leaves the pty without a controlling process inside (TIOCSTI on a
  // terminal that is not one's own needs CAP_SYS_ADMIN).
  EXPECT_EQ(attack.status.kind, Kind::seccomp_violation) << attack.status.describe() << " " << attack.output;
  EXPECT_EQ(attack.status.syscall, "ioctl") << attack.output;
  EXPECT_EQ(attack.output, "");
  EXPECT_EQ(attack.injected, "");
}

TEST_F(Hostile, TiocstiWithHighRequestBitsEndsLikePlainTiocsti) {
  // The kernel truncates the request to 32 bits; a filter comparing all 64
  // would wave this through (CVE-2019-10063). The outcome must be identical.
  TtyAttack plain = run_tiocsti("plain");
  TtyAttack high = run_tiocsti("highbits");
  ASSERT_EQ(high.error, "");
  EXPECT_EQ(high.status.kind, plain.status.kind) << high.status.describe();
  EXPECT_EQ(high.status.code, plain.status.code);
  EXPECT_EQ(high.status.syscall, plain.status.syscall);
  EXPECT_EQ(high.output, plain.output);
  EXPECT_EQ(high.injected, "");
}

// --- Fileless execution -------------------------------------------------------

TEST_F(Hostile, PayloadInMemfdCannotBeExecuted) {
  // The sandbox promises that only the jail's read-only files run. A memfd
  // has no mount flags and Landlock does not cover it (the kernel's internal
  // shm mount is exempt), so memfd_create is out of the default allowlist: a
  // violation, before any payload is written.
  ProbeRun result = run("memfd_exec");
  expect_violation(result, "memfd_create");
  EXPECT_EQ(result.output, "") << result.summary();
}

TEST_F(Hostile, PayloadMemfdsGrantMemfdCreateButNotItsExecution) {
  // Large payloads (execute.max_payload_mb) allow memfd_create; running a
  // memfd stays refused: execveat after the launch is a violation.
  ProbeRequest request;
  request.probe = "memfd_exec";
  request.policy.allow_payload_memfds = true;
  ProbeRun result = run(std::move(request));
  expect_violation(result, "execveat");
  EXPECT_EQ(result.output.find("payload ran"), std::string::npos) << result.summary();
}

}  // namespace
}  // namespace stockade::hostile
