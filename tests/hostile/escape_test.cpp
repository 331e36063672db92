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

TEST_F(Hostile, HostFilesAreNotReadable) {
  expect_blocked(run("read_host_file", {canaries_.canary_path(), "/etc/shadow", "/etc/passwd", "/root/.ssh",
                                        "/home", "/run/systemd", "/var/run/docker.sock", "/work"}),
                 "open: ENOENT");
}

TEST_F(Hostile, ProcfsBeyondThePidDirectoriesIsHidden) {
  // Kernel memory and symbols, the key list (keys are not namespaced), the
  // scheduler's view of every host task, the host's mounts, the kernel knobs.
  expect_blocked(run("read_host_file", {"/proc/kcore", "/proc/kallsyms", "/proc/keys", "/proc/sched_debug",
                                        "/proc/timer_list", "/proc/mounts", "/proc/sys/kernel/core_pattern",
                                        "/proc/sysrq-trigger", "/proc/config.gz"}),
                 "open: ENOENT");
}

TEST_F(Hostile, ReadOnlyProfileCannotBeWritten) {
  // ld.so.cache is a file owned by the host's root: the permission check
  // (EACCES) comes before the mount's read-only flag there.
  expect_blocked(run("readonly_binds"),
                 "create /usr/bin/planted: EROFS, write /etc/ld.so.cache: EACCES, create /planted: EROFS, "
                 "mkdir /usr/lib/planted: EROFS, chmod /usr/bin/mount: EROFS, unlink /usr/bin/mount: EROFS");
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

TEST_F(Hostile, SetuidRootBinaryInsideRunsWithoutPrivilege) {
  // /usr/bin/mount is setuid root on the host and bound into the jail.
  // With allow_exec: what is tested is the nosuid layer beneath it.
  ProbeRequest request;
  request.probe = "setuid_exec";
  request.args = {"/usr/bin/mount"};
  request.policy.allow_exec = true;
  ProbeRun result = run(request);
  expect_exit(result, 0);
  EXPECT_EQ(result.output.rfind("/usr/bin/mount is setuid\n", 0), 0u) << result.summary();
  // The loader obeyed LD_DEBUG: AT_SECURE was 0, the exec gained nothing.
  EXPECT_NE(result.output.find("find library=libmount.so.1"), std::string::npos) << result.summary();
  EXPECT_NE(result.output.find("mount from util-linux"), std::string::npos) << result.summary();
}

TEST_F(Hostile, PayloadDroppedInTmpCannotBeExecuted) {
  // Without allow_exec the execve itself is a violation; with it, the
  // noexec mount still refuses the payload.
  expect_violation(run("tmp_exec"), "execve");
  ProbeRequest request;
  request.probe = "tmp_exec";
  request.policy.allow_exec = true;
  expect_blocked(run(request), "execve /tmp/payload: EACCES");
}

TEST_F(Hostile, TmpInodesAreBounded) {
  // The sandbox mounts /tmp with nr_inodes=16384 (the root directory takes one).
  constexpr long kInodes = 16384;
  ProbeRun result = run("tmp_inode_fill", {std::to_string(kInodes)});
  expect_blocked(result, "create failed after " + std::to_string(kInodes - 1) + " files: ENOSPC");
}

// --- Network ----------------------------------------------------------------

TEST_F(Hostile, HostLoopbackListenerIsUnreachable) {
  expect_blocked(run("tcp_to_host", {std::to_string(canaries_.tcp_port())}), "connect: ENETUNREACH");
}

TEST_F(Hostile, HostAbstractUnixSocketIsUnreachable) {
  expect_blocked(run("abstract_unix", {canaries_.abstract_name()}), "connect: ECONNREFUSED");
}

TEST_F(Hostile, RawInetSocketNeedsACapabilityThePluginLacks) {
  // AF_INET passes the filter (plugins may speak TCP when granted a network);
  // SOCK_RAW then needs CAP_NET_RAW, dropped with the rest.
  expect_blocked(run("raw_socket", {"raw"}), "socket: EPERM");
}

// --- Processes, signals, /proc ---------------------------------------------

TEST_F(Hostile, HostProcessesCannotBeSignalled) {
  ProbeRun result = run("kill_host", {victim(), self()});
  expect_exit(result, kBlocked);
  EXPECT_EQ(result.output, "kill: ESRCH, kill -1: ESRCH\n") << result.summary();
}

TEST_F(Hostile, HostProcessesAreInvisibleInProc) {
  expect_blocked(run("proc_visibility", {victim(), self()}), "2 processes visible, own pid 2");
}

TEST_F(Hostile, InitCanBeNeitherWrittenNorKilledByThePlugin) {
  expect_blocked(run("attack_init"), "open /proc/1/mem: EACCES, init survives its signals");
}

TEST_F(Hostile, DaemonDoesNotOutliveThePlugin) {
  // The fixture's leftover check is the assertion: nothing may remain in the
  // sandbox's pid namespace once the Child is gone.
  expect_blocked(run("daemonize"), "daemon started, plugin exiting");
}

TEST_F(Hostile, HangIsKilledAtTheOwnersDeadline) {
  ProbeRequest request;
  request.probe = "hang";
  request.timeout = std::chrono::milliseconds(300);
  ProbeRun result = run(request);
  EXPECT_EQ(result.status.kind, Kind::killed) << result.summary();
  EXPECT_EQ(result.status.signal, SIGKILL) << result.summary();
}

TEST_F(Hostile, PluginDiesWithItsSupervisor) {
  SupervisorDeath death = run_and_kill_supervisor("pdeathsig_clear", {"keep"}, "pdeathsig now");
  ASSERT_EQ(death.error, "");
  // The parent-death signal is stockade-init's (pid 1): a fork clears it, so
  // the plugin has none of its own. Init's death ends the whole namespace.
  EXPECT_EQ(death.line, "pdeathsig now 0");
  EXPECT_TRUE(death.plugin_died) << "the plugin outlived its supervisor";
  EXPECT_TRUE(death.leftovers.empty()) << death.leftovers.size() << " processes left in its pid namespace";
}

TEST_F(Hostile, PluginDiesWithItsSupervisorEvenAfterClearingPdeathsig) {
  // Clearing the parent-death signal, or swapping in one the plugin ignores,
  // is a violation: the sandbox is killed at the attempt. Before the fix the
  // probe printed "pdeathsig now 0" and idled until the deadline.
  for (const char* mode : {"clear", "swap"}) {
    ProbeRequest request;
    request.probe = "pdeathsig_clear";
    request.args = {mode};
    request.timeout = std::chrono::seconds(2);
    ProbeRun result = run(request);
    expect_violation(result, "prctl");
    EXPECT_EQ(result.output, "") << mode << ": the prctl must never return";
  }
  // Setting SIGKILL again is allowed (a runtime may), and the guarantee holds.
  SupervisorDeath death = run_and_kill_supervisor("pdeathsig_clear", {"rearm"}, "pdeathsig now");
  ASSERT_EQ(death.error, "");
  EXPECT_EQ(death.line, "pdeathsig now 9");
  EXPECT_TRUE(death.plugin_died) << "the plugin outlived its supervisor";
  EXPECT_TRUE(death.leftovers.empty()) << death.leftovers.size() << " processes left in its pid namespace";
}

TEST_F(Hostile, CpuAffinityCannotBeWidened) {
  // cpu_cores 1.0 is one CPU of affinity; sched_setaffinity answers EPERM.
  expect_blocked(run("cpu_affinity_widen"), "1 CPU allowed, sched_setaffinity: EPERM");
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

TEST_F(Hostile, FlagsOfAPassedDescriptorStayTheHosts) {
  // The plugin may change its own view of stdin, never the host's: the host
  // end keeps its flags (and a terminal its blocking reads).
  int pipe_fds[2];
  ASSERT_EQ(pipe2(pipe_fds, O_CLOEXEC), 0);
  int host_flags = fcntl(pipe_fds[0], F_GETFL);
  ProbeRequest request;
  request.probe = "shared_stdin_flags";
  request.fds = {{pipe_fds[0], 0}};
  ProbeRun result = run(request);
  int after = fcntl(pipe_fds[0], F_GETFL);
  close(pipe_fds[0]);
  close(pipe_fds[1]);
  expect_blocked(result, "stdin set to O_NONBLOCK");
  EXPECT_EQ(after, host_flags) << "the plugin changed the host's open file description";
}

TEST_F(Hostile, NoCapabilitiesNoNewPrivsAndSeccompOnAndSetuidIsKilled) {
  ProbeRun result = run("capabilities");
  expect_violation(result, "setuid");
  EXPECT_EQ(result.output, "no capabilities, no_new_privs, seccomp on\n") << result.summary();
}

TEST_F(Hostile, OomScoreAdjCannotBeLowered) {
  // Landlock refuses the open for writing already; without it the write
  // would fail for want of CAP_SYS_RESOURCE.
  expect_blocked(run("oom_score_adj"), "open: EACCES");
}

TEST_F(Hostile, CoreDumpsAreOffAndStayOff) {
  ProbeRun result = run("core_dump");
  // abort() ends in SIGABRT (no core: RLIMIT_CORE 0 cannot be raised). The
  // plugin is pid 2, so its own signals reach it; as pid 1 the kernel dropped
  // the SIGABRT and glibc's fallback faulted (SIGSEGV).
  EXPECT_EQ(result.status.kind, Kind::signaled) << result.summary();
  EXPECT_EQ(result.status.signal, SIGABRT) << result.summary();
  EXPECT_EQ(result.output, "RLIMIT_CORE 0/0, raise: EPERM\n") << result.summary();
}

TEST_F(Hostile, ChrootEscapeIsKilledAtChroot) {
  ProbeRun result = run("chroot_escape");
  expect_violation(result, "chroot");
  EXPECT_EQ(result.output, "") << result.summary();
}

TEST_F(Hostile, SeccompFilterCannotBeLifted) {
  // no_new_privs cannot be cleared (EINVAL); installing another filter is
  // itself a violation, before the probe reaches ptrace.
  ProbeRun result = run("seccomp_override");
  expect_violation(result, "seccomp");
  EXPECT_EQ(result.output, "clear no_new_privs: EINVAL\n") << result.summary();
}

}  // namespace
}  // namespace stockade::hostile
