// The manifest requests, the operator grants: each refusal names the manifest
// field and the ceiling; nothing is silently lowered.
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/effective_policy.h"
#include "tests/support/temp_dir.h"

namespace stockade::supervisor {
namespace {

Manifest calc() {
  Manifest m;
  m.name = "calc";
  m.source = "plugins/calc/plugin.json";
  return m;
}

std::vector<std::string> refusals(const Manifest& m, const Ceilings& c = {}) {
  Problems problems;
  auto policy = effective_policy(m, c, SandboxIdentity{}, LaunchRequest{}, &problems);
  EXPECT_EQ(policy.ok(), problems.empty());
  std::vector<std::string> out;
  for (const auto& p : problems) out.push_back(p.message());
  return out;
}

std::string only_refusal(const Manifest& m, const Ceilings& c = {}) {
  auto all = refusals(m, c);
  EXPECT_EQ(all.size(), 1u) << ::testing::PrintToString(all);
  return all.empty() ? "" : all.front();
}

TEST(EffectivePolicy, DefaultManifestFitsDefaultCeilings) {
  auto policy = effective_policy(calc(), Ceilings{}, SandboxIdentity{}, LaunchRequest{});
  ASSERT_TRUE(policy) << policy.error().message();
  EXPECT_EQ(policy->limits.memory_bytes, 256 * sandbox::kMiB);
  EXPECT_EQ(policy->limits.cpu_cores, 1.0);
  EXPECT_EQ(policy->limits.cpu_seconds, 600u);
  EXPECT_EQ(policy->limits.processes, 32u);
  EXPECT_EQ(policy->limits.open_files, 256u);
  EXPECT_EQ(policy->limits.file_size_bytes, 16 * sandbox::kMiB);
  EXPECT_EQ(policy->tmp_bytes, 16 * sandbox::kMiB);
  EXPECT_EQ(policy->network, sandbox::Network::none);
  EXPECT_TRUE(policy->readonly_paths.empty());
  EXPECT_TRUE(policy->extra_syscalls.empty());
  EXPECT_EQ(policy->argv, std::vector<std::string>{"calc"});
  EXPECT_TRUE(policy->env.empty());
  EXPECT_EQ(policy->outer_uid, 65534u);
  EXPECT_EQ(policy->outer_gid, 65534u);
}

TEST(EffectivePolicy, RequestsWithinCeilingsAreCarriedOver) {
  Manifest m = calc();
  m.args = {"--fast"};
  m.env = {{"LANG", "C"}};
  m.resources = {512, 1.5, 30, 8, 64, 2};
  m.sandbox.tmpfs_mb = 4;
  m.sandbox.network = sandbox::Network::host;
  m.sandbox.extra_syscalls = {"sched_getattr"};
  Ceilings c;
  c.allow_network = true;
  c.allowed_syscalls = {"sched_getattr"};
  LaunchRequest launch{"/opt/calc", {"extra"}, {{"STOCKADE_COOKIE", "k"}}};
  auto policy = effective_policy(m, c, SandboxIdentity{4000, 4001}, launch);
  ASSERT_TRUE(policy) << policy.error().message();
  EXPECT_EQ(policy->argv, (std::vector<std::string>{"/opt/calc", "--fast", "extra"}));
  EXPECT_EQ(policy->env, (std::vector<std::string>{"LANG=C", "STOCKADE_COOKIE=k"}));
  EXPECT_EQ(policy->limits.memory_bytes, 512 * sandbox::kMiB);
  EXPECT_EQ(policy->limits.cpu_cores, 1.5);
  EXPECT_EQ(policy->limits.cpu_seconds, 30u);
  EXPECT_EQ(policy->limits.processes, 8u);
  EXPECT_EQ(policy->limits.open_files, 64u);
  EXPECT_EQ(policy->limits.file_size_bytes, 2 * sandbox::kMiB);
  EXPECT_EQ(policy->tmp_bytes, 4 * sandbox::kMiB);
  EXPECT_EQ(policy->network, sandbox::Network::host);
  EXPECT_EQ(policy->extra_syscalls, std::vector<std::string>{"sched_getattr"});
  EXPECT_EQ(policy->outer_uid, 4000u);
  EXPECT_EQ(policy->outer_gid, 4001u);
}

TEST(EffectivePolicy, NothingOfTheSupervisorsEnvironmentIsInherited) {
  ::setenv("STOCKADE_TEST_SECRET", "hunter2", 1);
  auto policy = effective_policy(calc(), Ceilings{}, SandboxIdentity{}, LaunchRequest{});
  ::unsetenv("STOCKADE_TEST_SECRET");
  ASSERT_TRUE(policy);
  EXPECT_TRUE(policy->env.empty());
}

TEST(EffectivePolicy, EachResourceBeyondItsCeilingIsRefusedByName) {
  Ceilings c;
  Manifest m = calc();
  m.resources.max_memory_mb = 2048;
  EXPECT_EQ(only_refusal(m, c),
            "plugins/calc/plugin.json: resources.max_memory_mb: requests 2048 MiB, above the "
            "operator's ceiling of 1024 MiB (ceilings.max_memory_mb)");
  m = calc();
  m.resources.max_cpu_cores = 2.5;
  EXPECT_EQ(only_refusal(m, c),
            "plugins/calc/plugin.json: resources.max_cpu_cores: requests 2.5 cores, above the "
            "operator's ceiling of 2 cores (ceilings.max_cpu_cores)");
  m = calc();
  m.resources.max_cpu_seconds = 3601;
  EXPECT_EQ(only_refusal(m, c),
            "plugins/calc/plugin.json: resources.max_cpu_seconds: requests 3601 s, above the "
            "operator's ceiling of 3600 s (ceilings.max_cpu_seconds)");
  m = calc();
  m.resources.max_processes = 257;
  EXPECT_EQ(only_refusal(m, c),
            "plugins/calc/plugin.json: resources.max_processes: requests 257, above the "
            "operator's ceiling of 256 (ceilings.max_processes)");
  m = calc();
  m.resources.max_open_files = 1025;
  EXPECT_EQ(only_refusal(m, c),
            "plugins/calc/plugin.json: resources.max_open_files: requests 1025, above the "
            "operator's ceiling of 1024 (ceilings.max_open_files)");
  m = calc();
  m.resources.max_file_size_mb = 1025;
  EXPECT_EQ(only_refusal(m, c),
            "plugins/calc/plugin.json: resources.max_file_size_mb: requests 1025 MiB, above the "
            "operator's ceiling of 1024 MiB (ceilings.max_file_size_mb)");
  m = calc();
  m.sandbox.tmpfs_mb = 257;
  EXPECT_EQ(only_refusal(m, c),
            "plugins/calc/plugin.json: sandbox.tmpfs_mb: requests 257 MiB, above the operator's "
            "ceiling of 256 MiB (ceilings.max_tmpfs_mb)");
}

TEST(EffectivePolicy, RequestAtExactlyTheCeilingIsGranted) {
  Manifest m = calc();
  m.resources.max_memory_mb = 1024;
  m.resources.max_cpu_cores = 2.0;
  EXPECT_TRUE(refusals(m).empty());
}

TEST(EffectivePolicy, NetworkNeedsTheOperatorsGrant) {
  Manifest m = calc();
  m.sandbox.network = sandbox::Network::host;
  EXPECT_EQ(only_refusal(m),
            "plugins/calc/plugin.json: sandbox.network: requests \"host\", but the operator does "
            "not allow network access (ceilings.allow_network)");
  Ceilings c;
  c.allow_network = true;
  EXPECT_TRUE(refusals(m, c).empty());
}

TEST(EffectivePolicy, LargePayloadsNeedTheOperatorsGrantAndAllowMemfds) {
  Manifest m = calc();
  m.execute.max_payload_mb = 16;
  EXPECT_EQ(refusals(m), (std::vector<std::string>{
                             "plugins/calc/plugin.json: execute.max_payload_mb: requests 16 MiB, above "
                             "the operator's ceiling of 0 MiB (ceilings.max_payload_mb)"}));
  Ceilings c;
  c.max_payload_mb = 16;
  auto policy = effective_policy(m, c, SandboxIdentity{}, LaunchRequest{});
  ASSERT_TRUE(policy) << policy.error().message();
  EXPECT_TRUE(policy->allow_payload_memfds);
  auto plain = effective_policy(calc(), c, SandboxIdentity{}, LaunchRequest{});
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->allow_payload_memfds);
}

TEST(EffectivePolicy, ExecAndJitNeedTheOperatorsGrant) {
  Manifest m = calc();
  m.sandbox.allow_exec = true;
  m.sandbox.allow_jit = true;
  EXPECT_EQ(refusals(m),
            (std::vector<std::string>{
                "plugins/calc/plugin.json: sandbox.allow_exec: requests running programs other "
                "than the pinned binary, but the operator does not allow it (ceilings.allow_exec)",
                "plugins/calc/plugin.json: sandbox.allow_jit: requests writable and executable "
                "memory, but the operator does not allow it (ceilings.allow_jit)"}));
  Ceilings c;
  c.allow_exec = true;
  c.allow_jit = true;
  auto policy = effective_policy(m, c, SandboxIdentity{}, LaunchRequest{});
  ASSERT_TRUE(policy) << policy.error().message();
  EXPECT_TRUE(policy->allow_exec);
  EXPECT_TRUE(policy->allow_jit);
  // Off unless asked for, even where the operator would grant it.
  auto plain = effective_policy(calc(), c, SandboxIdentity{}, LaunchRequest{});
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->allow_exec);
  EXPECT_FALSE(plain->allow_jit);
}

TEST(EffectivePolicy, WallClockLimitIsCappedByItsCeiling) {
  Manifest m = calc();
  m.resources.max_wall_seconds = 7200;
  EXPECT_EQ(only_refusal(m), "plugins/calc/plugin.json: resources.max_wall_seconds: requests "
                             "7200 s, above the operator's ceiling of 3600 s "
                             "(ceilings.max_wall_seconds)");
}

TEST(EffectivePolicy, WritablePathsAreNeverGranted) {
  Manifest m = calc();
  m.sandbox.writable_paths = {"/var/lib/calc"};
  Ceilings c;
  c.allowed_readonly_paths = {"/"};
  EXPECT_EQ(only_refusal(m, c),
            "plugins/calc/plugin.json: sandbox.writable_paths[0]: requests write access to "
            "/var/lib/calc; writable host paths are never granted (write to /tmp, sized by "
            "sandbox.tmpfs_mb)");
}

TEST(EffectivePolicy, ReadonlyPathsMustBeUnderAGrantedPrefix) {
  testing::TempDir dir;
  testing::write_file(dir.file("data"), "x");
  Manifest m = calc();
  m.sandbox.readonly_paths = {dir.file("data")};
  EXPECT_EQ(only_refusal(m),
            "plugins/calc/plugin.json: sandbox.readonly_paths[0]: requests read-only access to " +
                dir.file("data") +
                ", which is not under a prefix the operator allows "
                "(ceilings.allowed_readonly_paths)");
  Ceilings c;
  c.allowed_readonly_paths = {dir.path()};
  EXPECT_TRUE(refusals(m, c).empty());
  // A prefix is matched by whole components, not by characters.
  c.allowed_readonly_paths = {dir.path() + "/da"};
  EXPECT_EQ(refusals(m, c).size(), 1u);
}

TEST(EffectivePolicy, ASymlinkCannotLeadOutOfAGrantedPrefix) {
  testing::TempDir dir;
  ASSERT_EQ(::symlink("/etc", dir.file("escape").c_str()), 0);
  Manifest m = calc();
  m.sandbox.readonly_paths = {dir.file("escape")};
  Ceilings c;
  c.allowed_readonly_paths = {dir.path()};
  EXPECT_EQ(only_refusal(m, c),
            "plugins/calc/plugin.json: sandbox.readonly_paths[0]: " + dir.file("escape") +
                " contains a symbolic link (granted paths are opened without following any; "
                "grant the path the link points to)");
}

// Not only the last component: a symlink anywhere below the prefix is
// refused, even one that stays inside it (the sandbox opens with no symlink
// followed at all, so what was checked is what is bound).
TEST(EffectivePolicy, ASymlinkOnTheWayIsRefusedEvenInsideThePrefix) {
  testing::TempDir dir;
  ASSERT_EQ(::mkdir(dir.file("real").c_str(), 0755), 0);
  testing::write_file(dir.file("real/data"), "x");
  ASSERT_EQ(::symlink("real", dir.file("alias").c_str()), 0);
  Manifest m = calc();
  m.sandbox.readonly_paths = {dir.file("alias/data")};
  Ceilings c;
  c.allowed_readonly_paths = {dir.path()};
  EXPECT_EQ(only_refusal(m, c), "plugins/calc/plugin.json: sandbox.readonly_paths[0]: " +
                                    dir.file("alias/data") + " contains a symbolic link "
                                    "(granted paths are opened without following any; grant "
                                    "the path the link points to)");
  m.sandbox.readonly_paths = {dir.file("real/data")};
  EXPECT_TRUE(refusals(m, c).empty());
}

TEST(EffectivePolicy, AGrantedPrefixThatIsASymlinkIsRefused) {
  testing::TempDir dir;
  ASSERT_EQ(::mkdir(dir.file("real").c_str(), 0755), 0);
  testing::write_file(dir.file("real/data"), "x");
  ASSERT_EQ(::symlink("real", dir.file("prefix").c_str()), 0);
  Manifest m = calc();
  m.sandbox.readonly_paths = {dir.file("prefix/data")};
  Ceilings c;
  c.allowed_readonly_paths = {dir.file("prefix")};
  EXPECT_EQ(only_refusal(m, c),
            "plugins/calc/plugin.json: sandbox.readonly_paths[0]: the granted prefix " +
                dir.file("prefix") + " contains a symbolic link (granted paths are opened "
                "without following any; grant the path the link points to)");
}

// A FIFO or a socket is a channel to whatever host process holds the other
// end, and writing one works on a read-only mount.
TEST(EffectivePolicy, AGrantedPathMustBeADirectoryOrARegularFile) {
  testing::TempDir dir;
  ASSERT_EQ(::mkfifo(dir.file("fifo").c_str(), 0644), 0);
  Manifest m = calc();
  m.sandbox.readonly_paths = {dir.file("fifo")};
  Ceilings c;
  c.allowed_readonly_paths = {dir.path()};
  auto found = refusals(m, c);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_NE(found[0].find(dir.file("fifo") + " is not of the type this bind needs"),
            std::string::npos)
      << found[0];
}

TEST(EffectivePolicy, TheGrantingPrefixGoesIntoThePolicy) {
  testing::TempDir dir;
  ASSERT_EQ(::mkdir(dir.file("sub").c_str(), 0755), 0);
  Manifest m = calc();
  m.sandbox.readonly_paths = {dir.file("sub")};
  Ceilings c;
  c.allowed_readonly_paths = {"/", dir.path()};  // the most specific one is used
  auto policy = effective_policy(m, c, SandboxIdentity{}, LaunchRequest{});
  ASSERT_TRUE(policy) << policy.error().message();
  EXPECT_EQ(policy->readonly_prefixes, (std::vector<std::string>{dir.path()}));
}

TEST(EffectivePolicy, ExtraSyscallNeedsTheOperatorsGrant) {
  Manifest m = calc();
  m.sandbox.extra_syscalls = {"sched_getattr"};
  EXPECT_EQ(only_refusal(m),
            "plugins/calc/plugin.json: sandbox.extra_syscalls[0]: requests syscall "
            "sched_getattr, which the operator does not grant (ceilings.allowed_syscalls)");
}

TEST(EffectivePolicy, NeverGrantableSyscallIsRefusedEvenIfTheOperatorListsIt) {
  for (const char* name : {"ptrace", "mount", "bpf", "io_uring_setup", "userfaultfd",
                           "perf_event_open", "kexec_load", "init_module", "keyctl", "unshare",
                           "setns", "process_vm_readv", "personality"}) {
    Manifest m = calc();
    m.sandbox.extra_syscalls = {name};
    Ceilings c;
    c.allowed_syscalls = {name};  // as if a bad config had slipped past validate_config
    Problems problems;
    auto policy = effective_policy(m, c, SandboxIdentity{}, LaunchRequest{}, &problems);
    ASSERT_FALSE(policy) << name;
    EXPECT_EQ(policy.error().code, Errc::refused) << name;
    EXPECT_EQ(policy.error().where, "plugins/calc/plugin.json: sandbox.extra_syscalls[0]");
    EXPECT_EQ(policy.error().what.rfind(std::string("syscall ") + name + " can never be granted", 0),
              0u)
        << policy.error().what;
  }
}

TEST(EffectivePolicy, EveryRefusalIsReported) {
  Manifest m = calc();
  m.resources.max_memory_mb = 4096;
  m.sandbox.network = sandbox::Network::host;
  m.sandbox.extra_syscalls = {"ptrace"};
  auto all = refusals(m);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_NE(all[0].find("resources.max_memory_mb"), std::string::npos);
  EXPECT_NE(all[1].find("sandbox.network"), std::string::npos);
  EXPECT_NE(all[2].find("sandbox.extra_syscalls[0]"), std::string::npos);
}

TEST(EffectivePolicy, RuntimeVariablesCannotBeOverriddenByTheManifest) {
  Manifest m = calc();
  m.env = {{"STOCKADE_COOKIE", "forged"}};
  LaunchRequest launch;
  launch.runtime_env = {{"STOCKADE_COOKIE", "real"}};
  auto policy = effective_policy(m, Ceilings{}, SandboxIdentity{}, launch);
  ASSERT_FALSE(policy);
  EXPECT_EQ(policy.error().message(),
            "plugins/calc/plugin.json: env.STOCKADE_COOKIE: is set by the supervisor and cannot "
            "be overridden");
}

}  // namespace
}  // namespace stockade::supervisor
