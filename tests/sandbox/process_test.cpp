// Spawning, exit reporting, argv/env/fds, and process hygiene: nothing of a
// sandbox (process, zombie, fd) outlives its Child.
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <string>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "tests/sandbox/sandbox_fixture.h"
#include "tests/support/host_processes.h"
#include "whitelist/whitelist.h"

namespace stockade::sandbox::test {
namespace {

using Kind = ExitStatus::Kind;
using namespace std::chrono_literals;

TEST(SandboxProcess, ExitCodeIsReported) {
  SandboxRun run = run_sandboxed(policy_for({"probe", "exit", "7"}));
  ASSERT_TRUE(run.status.ok()) << run.status.error().message();
  EXPECT_EQ(run.status->kind, Kind::exited);
  EXPECT_EQ(run.status->code, 7);
  EXPECT_EQ(run.status->shell_code(), 7);
  EXPECT_EQ(run.status->describe(), "exited with code 7");
}

TEST(SandboxProcess, FatalSignalIsReported) {
  SandboxRun run = run_sandboxed(policy_for({"probe", "segv"}));
  ASSERT_TRUE(run.status.ok()) << run.status.error().message();
  EXPECT_EQ(run.status->kind, Kind::signaled);
  EXPECT_EQ(run.status->signal, SIGSEGV);
  EXPECT_EQ(run.status->shell_code(), 128 + SIGSEGV);
  EXPECT_EQ(run.status->describe(), "killed by SIGSEGV");
}

TEST(SandboxProcess, AbortIsReportedAsSigabrt) {
  SandboxRun run = run_sandboxed(policy_for({"probe", "abort"}));
  ASSERT_TRUE(run.status.ok()) << run.status.error().message();
  EXPECT_EQ(run.status->kind, Kind::signaled) << run.status->describe();
  EXPECT_EQ(run.status->signal, SIGABRT);
  EXPECT_EQ(run.status->shell_code(), 134);
}

TEST(SandboxProcess, RaisedSignalKillsThePlugin) {
  SandboxRun run = run_sandboxed(policy_for({"probe", "raise", std::to_string(SIGSEGV)}));
  ASSERT_TRUE(run.status.ok()) << run.status.error().message();
  EXPECT_EQ(run.status->kind, Kind::signaled) << run.status->describe();
  EXPECT_EQ(run.status->signal, SIGSEGV);
  EXPECT_EQ(run.status->shell_code(), 139);
}

TEST(SandboxProcess, SigtermToTheSandboxIsForwardedToThePlugin) {
  // The supervisor signals pid 1, stockade-init; it passes SIGTERM on to the
  // plugin, whose default action ends it.
  auto started = start_sandboxed(policy_for({"probe", "sleep", "30"}));
  ASSERT_TRUE(started.ok()) << started.error().message();
  ASSERT_TRUE(started->child.signal(SIGTERM).ok());
  auto status = started->child.wait(10s);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->kind, Kind::signaled) << status->describe();
  EXPECT_EQ(status->signal, SIGTERM);
}

TEST(SandboxProcess, OrphansAreReapedByInit) {
  SandboxRun run = run_sandboxed(policy_for({"probe", "orphans", "5"}));
  ASSERT_TRUE(run.status.ok()) << run.status.error().message();
  EXPECT_EQ(run.status->kind, Kind::exited) << run.status->describe();
  EXPECT_EQ(run.output, "zombies 0\n");
}

TEST(SandboxProcess, KillingInitEndsTheSandboxReportedAsKilled) {
  // Not through Child::kill: a SIGKILL from outside reaches init (pid 1)
  // directly. Init cannot report then; the sandbox says it was killed.
  auto started = start_sandboxed(policy_for({"probe", "tree", "2"}));
  ASSERT_TRUE(started.ok()) << started.error().message();
  ASSERT_EQ(started->read_line(), "ready");
  auto ns = stockade::testing::hold_pid_namespace(started->child.pid());
  ASSERT_TRUE(ns.has_value());
  ASSERT_EQ(::kill(started->child.pid(), SIGKILL), 0);
  auto status = started->child.wait(10s);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->kind, Kind::killed) << status->describe();
  EXPECT_EQ(status->signal, SIGKILL);
  EXPECT_TRUE(stockade::testing::processes_in_pid_namespace(ns->name).empty());
}

TEST(SandboxProcess, ArgvIsPassedExactly) {
  SandboxRun run = run_sandboxed(policy_for({"plugin-name", "argv", "two words", "", "--x=\"q\""}));
  ASSERT_TRUE(run.status.ok()) << run.status.error().message();
  EXPECT_EQ(run.output, "[plugin-name]\n[argv]\n[two words]\n[]\n[--x=\"q\"]\n");
}

TEST(SandboxProcess, EnvironmentIsExactlyThePolicys) {
  setenv("STOCKADE_TEST_SECRET", "host-only", 1);
  Policy policy = policy_for({"probe", "env"});
  policy.env = {"A=1", "EMPTY=", "B=two words"};
  SandboxRun run = run_sandboxed(policy);
  unsetenv("STOCKADE_TEST_SECRET");
  ASSERT_TRUE(run.status.ok()) << run.status.error().message();
  EXPECT_EQ(run.output, "A=1\nEMPTY=\nB=two words\n");
}

TEST(SandboxProcess, OnlyMappedFdsAreOpen) {
  // A descriptor of ours without close-on-exec must still not reach the plugin.
  UniqueFd leaky(open("/dev/null", O_RDONLY));
  ASSERT_TRUE(leaky.valid());
  int extra[2];
  ASSERT_EQ(pipe2(extra, O_CLOEXEC), 0);
  UniqueFd extra_read(extra[0]), extra_write(extra[1]);
  auto verified = VerifiedBinary::unverified(probe_path(), "probe",
                                             VerifiedBinary::DangerousDevelopmentMode{});
  ASSERT_TRUE(verified.ok());
  int out[2];
  ASSERT_EQ(pipe2(out, O_CLOEXEC), 0);
  UniqueFd out_read(out[0]), out_write(out[1]);
  // Targets that collide with source numbers: the sandbox must not clobber.
  auto child = spawn(*verified, policy_for({"probe", "fds"}),
                     {{out_write.get(), 1}, {extra_read.get(), 7}, {out_write.get(), 2}});
  ASSERT_TRUE(child.ok()) << child.error().message();
  out_write.reset();
  std::string listing;
  char buffer[256];
  for (ssize_t n; (n = read(out_read.get(), buffer, sizeof(buffer))) > 0;) listing.append(buffer, n);
  auto status = child->wait(10s);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->kind, Kind::exited);
  // 0 is /dev/null (unmapped stdio), 1 and 2 the pipe, 7 the passed pipe.
  EXPECT_EQ(listing, "0\n1\n2\n7\n");
}

TEST(SandboxProcess, NoFdsOrProcessesLeftBehindAfterWait) {
  auto before = stockade::testing::open_fds();
  pid_t pid = 0;
  {
    auto started = start_sandboxed(policy_for({"probe", "exit", "0"}));
    ASSERT_TRUE(started.ok()) << started.error().message();
    pid = started->child.pid();
    auto status = started->child.wait(10s);
    ASSERT_TRUE(status.ok());
    EXPECT_EQ(status->kind, Kind::exited);
    EXPECT_FALSE(stockade::testing::process_alive(pid));
  }
  EXPECT_EQ(stockade::testing::open_fds(), before);
  EXPECT_FALSE(std::filesystem::exists("/proc/" + std::to_string(pid)))
      << "a zombie (or a recycled pid) at " << pid;
}

TEST(SandboxProcess, DestroyingChildKillsWholeTreeWithoutZombies) {
  auto before = stockade::testing::open_fds();
  std::optional<stockade::testing::HeldPidNamespace> ns;
  pid_t pid = 0;
  {
    auto started = start_sandboxed(policy_for({"probe", "tree", "3"}));
    ASSERT_TRUE(started.ok()) << started.error().message();
    ASSERT_EQ(started->read_line(), "ready");
    pid = started->child.pid();
    ns = stockade::testing::hold_pid_namespace(pid);
    ASSERT_TRUE(ns.has_value());
    // stockade-init, the probe, 3 children, 3 grandchildren.
    EXPECT_EQ(stockade::testing::processes_in_pid_namespace(ns->name).size(), 8u);
  }
  EXPECT_TRUE(stockade::testing::processes_in_pid_namespace(ns->name).empty());
  EXPECT_FALSE(std::filesystem::exists("/proc/" + std::to_string(pid)));
  ns.reset();  // the test's own descriptor, held for the check above
  EXPECT_EQ(stockade::testing::open_fds(), before);
}

TEST(SandboxProcess, WaitTimeoutKillsAndReportsKilled) {
  auto started = start_sandboxed(policy_for({"probe", "sleep", "30"}));
  ASSERT_TRUE(started.ok()) << started.error().message();
  auto status = started->child.wait(200ms);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->kind, Kind::killed);
  EXPECT_EQ(status->shell_code(), 128 + SIGKILL);
}

TEST(SandboxProcess, KillEndsTheSandbox) {
  auto started = start_sandboxed(policy_for({"probe", "tree", "2"}));
  ASSERT_TRUE(started.ok()) << started.error().message();
  ASSERT_EQ(started->read_line(), "ready");
  EXPECT_FALSE(started->child.try_wait().has_value());
  started->child.kill();
  auto status = started->child.wait();
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->kind, Kind::killed);
  EXPECT_EQ(status->describe(), "killed by the supervisor");
}

// The supervisor is a forked helper here; SIGKILLing it must take the sandbox
// with it (PR_SET_PDEATHSIG, then the pid namespace).
TEST(SandboxProcess, SupervisorDeathKillsThePlugin) {
  // Orphans come to us, so we can reap what the dead helper leaves.
  ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  int report[2];
  ASSERT_EQ(pipe2(report, O_CLOEXEC), 0);
  UniqueFd report_read(report[0]), report_write(report[1]);
  pid_t helper = fork();
  ASSERT_GE(helper, 0);
  if (helper == 0) {
    auto started = start_sandboxed(policy_for({"probe", "wait-parent-death"}));
    if (!started.ok() || started->read_line() != "ready") _exit(1);
    pid_t sandboxed = started->child.pid();
    (void)!write(report_write.get(), &sandboxed, sizeof(sandboxed));
    for (;;) pause();
  }
  report_write.reset();
  pid_t sandboxed = 0;
  ASSERT_EQ(read(report_read.get(), &sandboxed, sizeof(sandboxed)),
            static_cast<ssize_t>(sizeof(sandboxed)));
  ASSERT_TRUE(stockade::testing::process_alive(sandboxed));
  ASSERT_EQ(kill(helper, SIGKILL), 0);
  ASSERT_EQ(waitpid(helper, nullptr, 0), helper);
  // Reparented to us (subreaper) and killed: reap it.
  int status = 0;
  ASSERT_EQ(waitpid(sandboxed, &status, 0), sandboxed);
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
  ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 0), 0);
}

TEST(SandboxProcess, PythonRuns) {
  Policy policy = policy_for({"python3", "-c", "import json, os, threading; print(json.dumps([1, os.getuid()]))"});
  SandboxRun run = run_sandboxed(policy, python_path());
  ASSERT_TRUE(run.status.ok()) << run.status.error().message();
  EXPECT_EQ(run.status->kind, Kind::exited) << run.status->describe() << "\n" << run.output;
  EXPECT_EQ(run.output, "[1, 1000]\n");
}

TEST(SandboxProcess, PythonSubprocessRuns) {
  Policy policy = policy_for(
      {"python3", "-c", "import subprocess; print(subprocess.run(['/usr/bin/true']).returncode)"});
  policy.allow_exec = true;  // running /usr/bin/true is an exec of an unpinned program
  SandboxRun run = run_sandboxed(policy, python_path());
  ASSERT_TRUE(run.status.ok()) << run.status.error().message();
  EXPECT_EQ(run.status->kind, Kind::exited) << run.status->describe() << "\n" << run.output;
  EXPECT_EQ(run.output, "0\n");
}

TEST(SandboxProcess, CxxThreadsRun) {
  SandboxRun run = run_sandboxed(policy_for({"probe", "threads", "16"}));
  ASSERT_TRUE(run.status.ok()) << run.status.error().message();
  EXPECT_EQ(run.status->kind, Kind::exited) << run.status->describe();
  EXPECT_EQ(run.output, "threads 16 sum 120\n");
}

TEST(SandboxProcess, CoreutilsRun) {
  SandboxRun run = run_sandboxed(policy_for({"ls", "-a", "/"}), "/usr/bin/ls");
  ASSERT_TRUE(run.status.ok()) << run.status.error().message();
  EXPECT_EQ(run.status->kind, Kind::exited) << run.status->describe() << run.output;
  EXPECT_NE(run.output.find("usr\n"), std::string::npos) << run.output;
  EXPECT_EQ(run.output.find("home\n"), std::string::npos) << run.output;
}

TEST(SandboxProcess, FailingChildStepIsReportedWithStepAndErrno) {
  Policy policy = policy_for({"probe", "exit", "0"});
  policy.cwd = "/no/such/dir";
  SandboxRun run = run_sandboxed(policy);
  ASSERT_FALSE(run.status.ok());
  EXPECT_EQ(run.status.error().sys_errno, ENOENT);
  EXPECT_EQ(run.status.error().message(), "sandbox step chdir: No such file or directory");
}

TEST(SandboxProcess, MissingReadonlyPathIsReportedWithStepAndErrno) {
  Policy policy = policy_for({"probe", "exit", "0"});
  policy.readonly_paths = {"/no/such/path"};
  SandboxRun run = run_sandboxed(policy);
  ASSERT_FALSE(run.status.ok());
  EXPECT_EQ(run.status.error().sys_errno, ENOENT);
  EXPECT_EQ(run.status.error().message(),
            "sandbox step bind /no/such/path: No such file or directory");
}

TEST(SandboxProcess, BadPolicyIsRefusedBeforeAnyProcess) {
  Policy policy = policy_for({"probe"});
  policy.readonly_paths = {"relative/path"};
  EXPECT_EQ(run_sandboxed(policy).status.error().code, Errc::invalid_input);
  policy = policy_for({"probe"});
  policy.inner_uid = 0;
  EXPECT_EQ(run_sandboxed(policy).status.error().code, Errc::invalid_input);
  policy = policy_for({"probe"});
  policy.extra_syscalls = {"ptrace"};
  EXPECT_EQ(run_sandboxed(policy).status.error().code, Errc::refused);
}

}  // namespace
}  // namespace stockade::sandbox::test
