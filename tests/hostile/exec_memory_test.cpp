// Hostile: only the pinned binary executes, no writable-and-executable or
// anonymous executable memory, and the seccomp-side leaks of issue 8 (socket
// buffers, sysinfo, locks on host files, unnamed newer syscalls). Each attack
// also runs with the switch that opens it (allow_exec, allow_jit), to show
// what the switch gives up.
#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <unistd.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/unique_fd.h"
#include "tests/hostile/hostile_fixture.h"
#include "tests/support/temp_dir.h"
#include "whitelist/whitelist.h"

namespace stockade::hostile {
namespace {

// --- Only the pinned binary executes ------------------------------------------

TEST_F(Hostile, UnpinnedShellIsKilledAndReportedAsExecve) {
  ProbeRun result = run("exec_shell");
  expect_violation(result, "execve");
  EXPECT_NE(result.status.describe().find("sandbox.allow_exec"), std::string::npos) << result.summary();
  EXPECT_EQ(result.output.find("dash ran"), std::string::npos) << result.summary();
}

TEST_F(Hostile, AllowExecLetsTheShellRunAScriptFromTmp) {
  // What allow_exec gives up: any program of the read-only root runs, and
  // with an interpreter any script the plugin writes.
  ProbeRequest request;
  request.probe = "exec_shell";
  request.policy.allow_exec = true;
  ProbeRun result = run(request);
  expect_exit(result, kEscaped);
  EXPECT_EQ(result.output, "dash ran a script from /tmp\n") << result.summary();
}

// --- No writable and executable memory ------------------------------------------

TEST_F(Hostile, AnonymousWritableExecutableMappingIsKilled) {
  ProbeRun result = run("jit_memory", {"rwx"});
  expect_violation(result, "mmap");
  EXPECT_NE(result.status.describe().find("sandbox.allow_jit"), std::string::npos) << result.summary();
  EXPECT_EQ(result.output, "") << result.summary();
}

TEST_F(Hostile, MakingAWrittenPageExecutableIsKilled) {
  ProbeRun result = run("jit_memory", {"mprotect"});
  expect_violation(result, "mprotect");
  EXPECT_EQ(result.output, "") << result.summary();
}

TEST_F(Hostile, AllowJitLetsWrittenCodeRun) {
  for (const char* mode : {"rwx", "mprotect"}) {
    ProbeRequest request;
    request.probe = "jit_memory";
    request.args = {mode};
    request.policy.allow_jit = true;
    ProbeRun result = run(request);
    expect_exit(result, kEscaped);
    EXPECT_EQ(result.output, "payload ran from anonymous memory: 66\n") << mode << ": " << result.summary();
  }
}

TEST_F(Hostile, OwnCodeCannotBeRewrittenThroughProcSelfMem) {
  // Not a seccomp rule: Landlock allows writes only beneath /tmp and /dev,
  // so /proc/self/mem cannot be opened for writing (it could otherwise
  // write read-only executable pages, bypassing the mmap/mprotect rules).
  expect_blocked(run("proc_self_mem"), "open /proc/self/mem O_RDWR: EACCES");
}

// --- Socket buffers, host counters ------------------------------------------------

TEST_F(Hostile, SocketBuffersCannotBeRaised) {
  for (const char* mode : {"sndbuf", "rcvbuf", "sndbufforce", "rcvbufforce"})
    expect_blocked(run("socket_buffers", {mode}), std::string("setsockopt ") + mode + ": EPERM");
}

TEST_F(Hostile, SysinfoDoesNotReportHostCounters) {
  expect_blocked(run("sysinfo_host"), "sysinfo: ENOSYS");
}

// --- Locks on host files ----------------------------------------------------------

// The probe locks a file of ours bound read-only into the sandbox; then we,
// the host's writer, try to lock it for writing (and, for the lease, open it
// for writing without waiting for a lease break).
struct LockAttempt {
  std::string error;      // setup failure
  std::string line;       // the probe's first line
  bool host_blocked = false;
};

LockAttempt lock_host_file(const std::string& mode) {
  LockAttempt attempt;
  testing::TempDir dir("stockade-locks-", 0755, "/var/tmp");
  const std::string path = dir.file("target");
  testing::write_file(path, "host data\n", 0644);
  auto binary = VerifiedBinary::unverified(probe_path("host_file_lock"), "host_file_lock",
                                           VerifiedBinary::DangerousDevelopmentMode{});
  int out[2];
  if (!binary || pipe2(out, O_CLOEXEC) != 0) {
    attempt.error = "probe or pipe";
    return attempt;
  }
  UniqueFd out_read(out[0]);
  UniqueFd out_write(out[1]);
  UniqueFd dev_null(open("/dev/null", O_RDWR | O_CLOEXEC));
  sandbox::Policy policy = hostile_policy();
  policy.argv = {"host_file_lock", mode, path};
  policy.readonly_paths = {dir.path()};
  auto child = sandbox::spawn(*binary, policy,
                              {{dev_null.get(), 0}, {out_write.get(), 1}, {out_write.get(), 2}});
  out_write.reset();
  if (!child) {
    attempt.error = child.error().message();
    return attempt;
  }
  char c = 0;
  pollfd pfd{out_read.get(), POLLIN, 0};
  while (attempt.line.size() < 256 && poll(&pfd, 1, 10000) > 0 && read(out_read.get(), &c, 1) == 1 && c != '\n')
    attempt.line += c;
  // The host's side, while the probe holds whatever it got.
  UniqueFd host(open(path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC));
  if (!host) {
    attempt.host_blocked = errno == EWOULDBLOCK;  // a lease: the open waits for its break
  } else {
    struct flock lock {};
    lock.l_type = F_WRLCK;
    lock.l_whence = SEEK_SET;
    attempt.host_blocked = flock(host.get(), LOCK_EX | LOCK_NB) != 0 || fcntl(host.get(), F_SETLK, &lock) != 0;
  }
  child->kill();
  (void)child->wait(std::chrono::milliseconds(5000));
  return attempt;
}

TEST_F(Hostile, LocksOnReadOnlyHostFilesAreRefused) {
  // seccomp cannot tell a host file from a /tmp one: flock, fcntl's lock
  // commands and leases answer ENOLCK everywhere in the sandbox.
  for (const char* mode : {"flock", "posix", "ofd", "lease"}) {
    LockAttempt attempt = lock_host_file(mode);
    ASSERT_EQ(attempt.error, "") << mode;
    EXPECT_EQ(attempt.line, std::string(mode) + ": ENOLCK") << mode;
    EXPECT_FALSE(attempt.host_blocked) << mode << ": the host's writer was blocked";
  }
}

// --- Newer syscalls are named -----------------------------------------------------

TEST_F(Hostile, NewerSyscallsAreReportedByName) {
  // libseccomp 2.5.4 knows no syscall after 456: these were "#457", "#461".
  for (const char* name : {"statmount", "lsm_list_modules"}) {
    ProbeRun result = run("newer_syscall", {name});
    expect_violation(result, name);
    EXPECT_EQ(result.output, "") << result.summary();
  }
}

}  // namespace
}  // namespace stockade::hostile
