// Hostile: files, devices, network, processes, privileges.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/hostile/hostile_fixture.h"
#include "tests/support/temp_dir.h"

namespace stockade::hostile {
namespace {

// --- Files and devices outside the jail -----------------------------------

TEST_F(Hostile, HostFileIsNotReadable) {
  expect_blocked(run("read_host_file", {canaries_.canary_path()}), "open: ENOENT");
}

TEST_F(Hostile, HostFileCanBeNeitherOverwrittenNorCreated) {
  expect_blocked(run("write_host_file", {canaries_.canary_path(), canaries_.absent_path()}),
                 "open: ENOENT create: ENOENT");
}

TEST_F(Hostile, HostDeviceNodesAreAbsent) {
  expect_blocked(run("device_nodes", {"/dev/mem", "/dev/kmem", "/dev/port", "/dev/kmsg", "/dev/sda", "/dev/vda",
                                      "/dev/console", "/dev/tty0", "/dev/fuse", "/dev/kvm"}),
                 "no host device node: ENOENT");
}

TEST_F(Hostile, SysIsAbsent) { expect_blocked(run("sys_access"), "no /sys: ENOENT"); }

TEST_F(Hostile, KernelKnobsInProcAreNotWritable) {
  expect_blocked(run("proc_sys_write", {"/proc/sys/kernel/core_pattern", "/proc/sysrq-trigger",
                                        "/proc/sys/kernel/hostname", "/proc/sys/vm/drop_caches",
                                        "/proc/sys/kernel/modprobe"}),
                 "no kernel knob is writable");
}

TEST_F(Hostile, SetuidBinaryInsideGivesNoPrivilege) {
  // A setuid copy of the probe, bound read-only into the jail. As root it is
  // setuid root, the real threat; unprivileged it can only be setuid to the
  // test's own uid, and must still change nothing.
  testing::TempDir dir("stockade-setuid-", 0755, "/var/tmp");
  std::string helper = dir.file("setuid_helper");
  std::filesystem::copy_file(probe_path("setuid_exec"), helper);
  if (privileged()) ASSERT_EQ(chown(helper.c_str(), 0, 0), 0);
  ASSERT_EQ(chmod(helper.c_str(), 04755), 0);
  ProbeRequest request;
  request.probe = "setuid_exec";
  request.args = {helper};
  request.policy.readonly_paths = {dir.path()};
  expect_blocked(run(request), "setuid ignored: uid 1000 euid 1000");
}

TEST_F(Hostile, PayloadDroppedInTmpCannotBeExecuted) {
  expect_blocked(run("tmp_exec"), "execve /tmp/payload: EACCES");
}

// --- Network ----------------------------------------------------------------

TEST_F(Hostile, HostLoopbackListenerIsUnreachable) {
  expect_blocked(run("tcp_to_host", {std::to_string(canaries_.tcp_port())}), "connect: ENETUNREACH");
}

TEST_F(Hostile, HostAbstractUnixSocketIsUnreachable) {
  expect_blocked(run("abstract_unix", {canaries_.abstract_name()}), "connect: ECONNREFUSED");
}

// --- Processes, signals, /proc ---------------------------------------------

TEST_F(Hostile, HostProcessesCannotBeSignalled) {
  ProbeRun result = run("kill_host", {victim(), self()});
  expect_exit(result, kBlocked);
  EXPECT_EQ(result.output, "kill: ESRCH, kill -1: ESRCH\n") << result.summary();
}

TEST_F(Hostile, HostProcessesAreInvisibleInProc) {
  expect_blocked(run("proc_visibility", {victim(), self()}), "1 process visible, own pid 1");
}

TEST_F(Hostile, HostEnvironmentDoesNotReachThePlugin) {
  ASSERT_EQ(setenv("STOCKADE_HOST_SECRET", "hunter2", 1), 0);
  ProbeRun result = run("host_environment", {kProbeEnvironment});
  unsetenv("STOCKADE_HOST_SECRET");
  expect_blocked(result, "environment is exactly the policy's 1 variables");
}

TEST_F(Hostile, HostDescriptorsDoNotLeakIn) {
  // Descriptors without O_CLOEXEC, the careless host's: a host directory, a
  // listening socket, the canary file.
  int dir = open(std::filesystem::path(canaries_.canary_path()).parent_path().c_str(), O_RDONLY | O_DIRECTORY);
  int file = open(canaries_.canary_path().c_str(), O_RDWR);
  ASSERT_GE(dir, 0);
  ASSERT_GE(file, 0);
  ProbeRun result = run("leaked_fds", {"0", "1", "2"});
  close(dir);
  close(file);
  expect_blocked(result, "only the mapped descriptors are open");
}

TEST_F(Hostile, NoCapabilitiesNoNewPrivsAndSeccompOn) {
  expect_blocked(run("capabilities"), "no capabilities, no_new_privs, seccomp on, setuid(0): EPERM");
}

TEST_F(Hostile, OomScoreAdjCannotBeLowered) {
  expect_blocked(run("oom_score_adj"), "write -1000: EACCES");
}

TEST_F(Hostile, CoreDumpsAreOffAndStayOff) {
  ProbeRun result = run("core_dump");
  EXPECT_EQ(result.status.kind, Kind::signaled) << result.summary();
  EXPECT_EQ(result.status.signal, SIGABRT) << result.summary();
  EXPECT_EQ(result.output, "RLIMIT_CORE 0/0, raise: EPERM\n") << result.summary();
}

TEST_F(Hostile, ChrootEscapeIsRefused) {
  expect_blocked(run("chroot_escape"), "chroot: EPERM");
}

TEST_F(Hostile, SeccompFilterCannotBeLifted) {
  ProbeRun result = run("seccomp_override");
  expect_violation(result, "ptrace");
  EXPECT_EQ(result.output, "clear no_new_privs: EINVAL\npermissive filter: stacked\n") << result.summary();
}

}  // namespace
}  // namespace stockade::hostile
