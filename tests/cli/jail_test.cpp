// `stockade jail` end to end, run as a user runs it: real sandboxes, a real
// whitelist, exit codes and the one stderr line. Every test runs as root and
// as uid 65534 (through setpriv), with the binaries copied where that uid can
// reach them.
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <string>
#include <vector>

#include "tests/cli/jail_fixture.h"
#include "tests/support/temp_dir.h"

namespace stockade::jailtest {
namespace {

TEST_P(Jail, ExitCodeOfTheProgramPassesThrough) {
  auto ok = jail({}, {probe(), "exit", "0"});
  EXPECT_EQ(ok.code, 0) << ok.err;
  EXPECT_EQ(ok.err, "");
  auto three = jail({}, {probe(), "exit", "3"});
  EXPECT_EQ(three.code, 3) << three.err;
  EXPECT_EQ(three.err, "");
}

TEST_P(Jail, StdioIsAttachedAndNothingIsInherited) {
  auto cat = jail({}, {probe(), "cat"}, "hello through the sandbox\n");
  EXPECT_EQ(cat.code, 0) << cat.err;
  EXPECT_EQ(cat.out, "hello through the sandbox\n");
  // run_command() gives stockade PATH=...; the program sees only what --env sets.
  auto env = jail({"--env", "GREETING=hi"}, {probe(), "env"});
  EXPECT_EQ(env.code, 0) << env.err;
  EXPECT_EQ(env.out, "GREETING=hi\n");
}

TEST_P(Jail, ProgramCannotMakeTheOperatorsTerminalNonBlocking) {
  // A terminal of the operator's own (its slave owned by the uid running
  // stockade, as a login's is) on stdin.
  int master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  ASSERT_GE(master, 0);
  ASSERT_EQ(::grantpt(master), 0);
  ASSERT_EQ(::unlockpt(master), 0);
  const char* name = ::ptsname(master);
  ASSERT_NE(name, nullptr);
  int terminal = ::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  ASSERT_GE(terminal, 0);
  give_to_operator(terminal);
  const int before = ::fcntl(terminal, F_GETFL);
  Outcome r = jail({}, {probe(), "nonblock-stdin"}, {}, Stdio(terminal));
  const int after = ::fcntl(terminal, F_GETFL);
  ::close(terminal);
  ::close(master);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_FALSE(before & O_NONBLOCK);
  EXPECT_EQ(after, before) << "the program's O_NONBLOCK reached the operator's terminal";
}

TEST_P(Jail, MissingBinaryExits127) {
  auto r = jail({}, {dir_.file("no_such_binary")});
  EXPECT_EQ(r.code, 127) << r.err;
  EXPECT_NE(r.err.find("no_such_binary"), std::string::npos) << r.err;
}

TEST_P(Jail, BinaryNotPinnedExits126) {
  auto r = jail({}, {dir_.file("unpinned_probe"), "exit", "0"});
  EXPECT_EQ(r.code, 126) << r.err;
  EXPECT_NE(r.err.find("unpinned_probe"), std::string::npos) << r.err;
}

TEST_P(Jail, ManifestNameIsTheWhitelistName) {
  testing::write_file(dir_.file("calc.json"), R"({"name": "calc"})");
  auto pinned = jail({"--manifest", dir_.file("calc.json")}, {probe(), "exit", "4"});
  EXPECT_EQ(pinned.code, 4) << pinned.err;
  testing::write_file(dir_.file("other.json"), R"({"name": "other"})");
  auto other = jail({"--manifest", dir_.file("other.json")}, {probe(), "exit", "4"});
  EXPECT_EQ(other.code, 126) << other.err;
}

TEST_P(Jail, BadManifestExits125NamingFileAndKey) {
  testing::write_file(dir_.file("bad.json"),
                      R"({"name": "calc", "resources": {"max_memory_mb": "lots"}})");
  auto r = jail({"--manifest", dir_.file("bad.json")}, {probe(), "exit", "0"});
  EXPECT_EQ(r.code, 125);
  EXPECT_EQ(r.err, "stockade: " + dir_.file("bad.json") +
                       ": resources.max_memory_mb: must be an integer from 1 to 65536 (got "
                       "\"lots\")\n");
}

TEST_P(Jail, RequestBeyondACeilingExits126NamingTheOption) {
  auto r = jail({"--memory-mb", "4096"}, {probe(), "exit", "0"});
  EXPECT_EQ(r.code, 126);
  EXPECT_EQ(r.err, "stockade: resources.max_memory_mb: requests 4096 MiB, above the operator's "
                   "ceiling of 1024 MiB (ceilings.max_memory_mb) (set by --memory-mb)\n");
  auto net = jail({"--network", "host"}, {probe(), "exit", "0"});
  EXPECT_EQ(net.code, 126);
  EXPECT_NE(net.err.find("ceilings.allow_network"), std::string::npos) << net.err;
}

TEST_P(Jail, SignalEndsWith128PlusNAndSaysSo) {
  auto r = jail({}, {probe(), "fault", "0"});
  EXPECT_EQ(r.code, 128 + SIGSEGV) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_EQ(r.err, "stockade: killed by SIGSEGV\n");
}

TEST_P(Jail, AbortEndsWith134AndSaysSigabrt) {
  auto r = jail({}, {probe(), "abort"});
  EXPECT_EQ(r.code, 128 + SIGABRT) << r.err;
  EXPECT_EQ(r.err, "stockade: killed by SIGABRT\n");
}

TEST_P(Jail, SeccompViolationPrintsOneLineNamingTheSyscall) {
  auto r = jail({}, {probe(), "ptrace"});
  EXPECT_GE(r.code, 128) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find("seccomp"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("ptrace"), std::string::npos) << r.err;
}

// A chain of processes, each under the per-process limit, is still ended at
// the sandbox's budget (cgroup accounting as root, stockade-init's own
// account as uid 65534), long before the wall-clock limit.
TEST_P(Jail, CpuBudgetEndsAChainOfProcesses) {
  auto r = jail({"--cpu-seconds", "1", "--time-limit", "20"}, {probe(), "spin-chain"});
  EXPECT_EQ(r.code, 128 + SIGKILL) << r.err;
  EXPECT_NE(r.err.find("CPU time limit"), std::string::npos) << r.err;
}

TEST_P(Jail, TimeLimitKillsTheSandboxAndSaysSo) {
  auto r = jail({"--time-limit", "1"}, {probe(), "sleep"});
  EXPECT_EQ(r.code, 124) << r.err;
  EXPECT_EQ(r.err, "stockade: time limit of 1 s exceeded; the sandbox was killed\n");
}

TEST_P(Jail, UsageErrorsExit125) {
  auto both = run_command({dir_.file("stockade"), "jail", "--dev", "--whitelist", dir_.file("whitelist"),
                   "--", probe()});
  EXPECT_EQ(both.code, 125);
  EXPECT_EQ(both.err, "stockade: give exactly one of --whitelist FILE and --dev (see stockade "
                      "jail --help)\n");
  auto bad_option = jail({"--memory-mb", "lots"}, {probe()});
  EXPECT_EQ(bad_option.code, 125);
  auto help = run_command({dir_.file("stockade"), "jail", "--help"});
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.out.find("exit codes"), std::string::npos);
}

// The v1 pids hierarchy's stockade/ directory where there is one, else v2's
// (a group there is what stockade makes and prunes); "" when unknown.
std::string stockade_cgroup_base() {
  std::string self = testing::read_file("/proc/self/cgroup");
  std::string v1, v2;
  size_t start = 0;
  while (start < self.size()) {
    size_t end = self.find('\n', start);
    if (end == std::string::npos) end = self.size();
    std::string line = self.substr(start, end - start);
    start = end + 1;
    auto first = line.find(':'), second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    std::string controllers = "," + line.substr(first + 1, second - first - 1) + ",";
    std::string path = line.substr(second + 1);
    if (controllers.find(",pids,") != std::string::npos) v1 = "/sys/fs/cgroup/pids" + path;
    if (controllers == ",,") v2 = "/sys/fs/cgroup" + path;
  }
  std::string dir = !v1.empty() ? v1 : v2;
  return dir.empty() ? "" : dir + "/stockade";
}

TEST_P(Jail, StaleCgroupsOfDeadSupervisorsArePrunedAndLiveOnesKept) {
  const std::string base = stockade_cgroup_base();
  // A pid that is certainly gone: a child we made and reaped.
  pid_t dead = ::fork();
  if (dead == 0) ::_exit(0);
  ASSERT_GT(dead, 0);
  ASSERT_EQ(::waitpid(dead, nullptr, 0), dead);
  const std::string stale = base + "/sbx-" + std::to_string(dead) + "-0";
  const std::string live = base + "/sbx-" + std::to_string(::getpid()) + "-77";
  // Making them needs a writable cgroup hierarchy: root.
  const bool made = !base.empty() && (::mkdir(base.c_str(), 0755) == 0 || errno == EEXIST) &&
                    ::mkdir(stale.c_str(), 0755) == 0 && ::mkdir(live.c_str(), 0755) == 0;
  auto ok = jail({}, {probe(), "exit", "0"});
  EXPECT_EQ(ok.code, 0) << ok.err;
  if (made) {
    // Root removes the dead one. uid 65534 may not remove anything there, but
    // whether the stale group is still there says nothing about it: any root
    // supervisor on the host (this test's root run, under ctest -j) prunes it.
    if (!switches_to_nobody()) {
      EXPECT_NE(::access(stale.c_str(), F_OK), 0) << stale;
    }
    EXPECT_EQ(::access(live.c_str(), F_OK), 0) << "a live supervisor's group was removed";
    ::rmdir(stale.c_str());
    ::rmdir(live.c_str());
  } else {
    EXPECT_NE(::geteuid(), 0u) << "root could not make cgroups under " << base;
  }
}

INSTANTIATE_TEST_SUITE_P(AsRootAndNobody, Jail, ::testing::ValuesIn(identities()), identity_name);

}  // namespace
}  // namespace stockade::jailtest
