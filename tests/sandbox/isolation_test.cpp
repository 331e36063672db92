// What the plugin sees: filesystem, identity, namespaces.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "tests/sandbox/sandbox_fixture.h"
#include "tests/support/temp_dir.h"

namespace stockade::sandbox::test {
namespace {

using Kind = ExitStatus::Kind;

std::string field(const std::string& text, const std::string& key) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(key + ":", 0) == 0) {
      std::string value = line.substr(key.size() + 1);
      value.erase(0, value.find_first_not_of(" \t"));
      return value;
    }
  }
  return "(missing " + key + ")";
}

std::string output_of(std::vector<std::string> argv) {
  SandboxRun run = run_sandboxed(policy_for(std::move(argv)));
  EXPECT_TRUE(run.status.ok()) << run.status.error().message();
  if (run.status.ok()) {
    EXPECT_EQ(run.status->kind, Kind::exited) << run.status->describe();
  }
  return run.output;
}

TEST(SandboxIsolation, RunsAsNonRootWithNoCapabilitiesUnderSeccomp) {
  std::string status = output_of({"probe", "cat", "/proc/self/status"});
  EXPECT_EQ(field(status, "Uid"), "1000\t1000\t1000\t1000");
  EXPECT_EQ(field(status, "Gid"), "1000\t1000\t1000\t1000");
  EXPECT_EQ(field(status, "Groups"), "");
  EXPECT_EQ(field(status, "CapEff"), "0000000000000000");
  EXPECT_EQ(field(status, "CapPrm"), "0000000000000000");
  EXPECT_EQ(field(status, "CapInh"), "0000000000000000");
  EXPECT_EQ(field(status, "CapBnd"), "0000000000000000");
  EXPECT_EQ(field(status, "CapAmb"), "0000000000000000");
  EXPECT_EQ(field(status, "NoNewPrivs"), "1");
  EXPECT_EQ(field(status, "Seccomp"), "2");
}

TEST(SandboxIsolation, OwnPidNamespaceHidesHostProcesses) {
  std::string ids = output_of({"probe", "ids"});
  // The plugin is pid 2, the child of stockade-init (pid 1).
  EXPECT_NE(ids.find("pid 2 ppid 1\n"), std::string::npos) << ids;
  std::string proc = output_of({"probe", "ls", "/proc"});
  // subset=pid: init's and our own pid directories, self, thread-self;
  // nothing of the host.
  EXPECT_NE(proc.find("\n1\n"), std::string::npos) << proc;
  EXPECT_NE(proc.find("\n2\n"), std::string::npos) << proc;
  EXPECT_EQ(proc.find("\n3\n"), std::string::npos) << proc;
  EXPECT_EQ(proc.find("sys\n"), std::string::npos) << proc;
  EXPECT_EQ(proc.find("kcore"), std::string::npos) << proc;
}

TEST(SandboxIsolation, HostnameAndWorkingDirectoryComeFromThePolicy) {
  Policy policy = policy_for({"probe", "ids"});
  policy.hostname = "plugin-host";
  policy.cwd = "/tmp";
  SandboxRun run = run_sandboxed(policy);
  ASSERT_TRUE(run.status.ok()) << run.status.error().message();
  EXPECT_NE(run.output.find("hostname plugin-host\ncwd /tmp\n"), std::string::npos) << run.output;
}

TEST(SandboxIsolation, RootContainsOnlyTheDefaultProfile) {
  std::string root = output_of({"probe", "ls", "/"});
  for (const char* expected : {"usr\n", "lib64\n", "dev\n", "proc\n", "tmp\n", "etc\n"})
    EXPECT_NE(root.find(expected), std::string::npos) << expected << " in\n" << root;
  for (const char* absent : {"home\n", "root\n", "work\n", "var\n", "sys\n", "boot\n"})
    EXPECT_EQ(root.find(absent), std::string::npos) << absent << " in\n" << root;
  // /run holds the verified binary alone (exec'd from there), nothing of the host's /run.
  for (const auto& [dir, only] : {std::pair{"/run", "stockade\n"}, {"/run/stockade", "plugin\n"}}) {
    std::string listed = output_of({"probe", "ls", dir});
    EXPECT_NE(listed.find(only), std::string::npos) << dir << ":\n" << listed;
    EXPECT_EQ(std::count(listed.begin(), listed.end(), '\n'), 3) << dir << ":\n" << listed;  // ., ..
  }
  std::string etc = output_of({"probe", "ls", "/etc"});
  EXPECT_EQ(etc.find("passwd"), std::string::npos) << etc;
  EXPECT_NE(etc.find("ld.so.cache"), std::string::npos) << etc;
}

TEST(SandboxIsolation, NothingOfTheHostIsWritable) {
  for (const char* path : {"/usr/stockade-test", "/stockade-test", "/etc/ld.so.cache",
                           "/dev/stockade-test", "/proc/stockade-test"}) {
    std::string out = output_of({"probe", "write", path});
    EXPECT_EQ(out.rfind("open ", 0), 0u) << path << ": " << out;
  }
  EXPECT_EQ(output_of({"probe", "write", "/usr/stockade-test"}),
            "open /usr/stockade-test: Read-only file system\n");
}

TEST(SandboxIsolation, DeviceNodesWork) {
  EXPECT_EQ(output_of({"probe", "write", "/dev/null", "1000"}), "wrote /dev/null 1000\n");
  EXPECT_EQ(output_of({"probe", "write", "/dev/full", "10"}),
            "write /dev/full: No space left on device after 0\n");
}

TEST(SandboxIsolation, TmpIsWritableAndSizeLimited) {
  Policy policy = policy_for({"probe", "write", "/tmp/big", std::to_string(4 * kMiB)});
  policy.tmp_bytes = 1 * kMiB;
  SandboxRun run = run_sandboxed(policy);
  ASSERT_TRUE(run.status.ok()) << run.status.error().message();
  EXPECT_EQ(run.output.rfind("write /tmp/big: No space left on device", 0), 0u) << run.output;
  EXPECT_EQ(output_of({"probe", "write", "/tmp/small", "1000"}), "wrote /tmp/small 1000\n");
}

TEST(SandboxIsolation, ExtraReadonlyPathIsVisibleAndReadOnly) {
  // World-readable: the unprivileged run reads it as uid 65534.
  stockade::testing::TempDir dir("stockade-sandbox-ro-", 0755);
  stockade::testing::write_file(dir.file("data.txt"), "hello from the host\n", 0644);
  Policy policy = policy_for({"probe", "cat", dir.file("data.txt")});
  policy.readonly_paths = {dir.path()};
  SandboxRun run = run_sandboxed(policy);
  ASSERT_TRUE(run.status.ok()) << run.status.error().message();
  EXPECT_EQ(run.output, "hello from the host\n");

  policy.argv = {"probe", "write", dir.file("new.txt")};
  run = run_sandboxed(policy);
  ASSERT_TRUE(run.status.ok()) << run.status.error().message();
  EXPECT_EQ(run.output, "open " + dir.file("new.txt") + ": Read-only file system\n");
}

// A read-only path is opened with no symlink followed, at any component:
// a symlink anywhere on the way refuses the launch, naming the path.
TEST(SandboxIsolation, ReadonlyPathWithASymlinkIsRefused) {
  stockade::testing::TempDir dir("stockade-sandbox-ro-", 0755);
  ASSERT_EQ(::mkdir(dir.file("real").c_str(), 0755), 0);
  ASSERT_EQ(::symlink("real", dir.file("alias").c_str()), 0);
  Policy policy = policy_for({"probe", "exit", "0"});
  policy.readonly_paths = {dir.file("alias")};
  SandboxRun run = run_sandboxed(policy);
  ASSERT_FALSE(run.status.ok());
  EXPECT_EQ(run.status.error().message().rfind("sandbox step bind " + dir.file("alias") +
                                                   ": contains a symbolic link",
                                               0),
            0u)
      << run.status.error().message();
  // Beneath a granted prefix, the prefix itself may not be a link either.
  policy.readonly_paths = {dir.file("alias")};
  policy.readonly_prefixes = {dir.file("alias")};
  run = run_sandboxed(policy);
  ASSERT_FALSE(run.status.ok());
  EXPECT_NE(run.status.error().message().find("the granted prefix " + dir.file("alias") +
                                              " contains a symbolic link"),
            std::string::npos)
      << run.status.error().message();
  policy.readonly_paths = {dir.file("real")};
  policy.readonly_prefixes = {dir.path()};
  run = run_sandboxed(policy);
  EXPECT_TRUE(run.status.ok()) << run.status.error().message();
}

TEST(SandboxIsolation, NetworkNoneHasOnlyLoopback) {
  std::string dev = output_of({"probe", "cat", "/proc/self/net/dev"});
  // Two header lines and lo.
  EXPECT_NE(dev.find(" lo:"), std::string::npos) << dev;
  EXPECT_EQ(std::count(dev.begin(), dev.end(), '\n'), 3) << dev;
}

// Spare namespaces (sandbox/spare_netns.h) are made ahead, but each serves
// one sandbox: two sandboxes alive at once and one started after the first
// ended are three namespaces, none of them the host's.
TEST(SandboxIsolation, EverySandboxHasANetworkNamespaceOfItsOwn) {
  warm_spare_netns();
  // /proc/PID/ns of a sandbox (not dumpable) is readable by root only; as
  // another user the pool is off (no CAP_SYS_ADMIN) and the rest is checked.
  auto netns_of = [](pid_t pid) {
    struct stat st {};
    const std::string path = "/proc/" + std::to_string(pid) + "/ns/net";
    return stat(path.c_str(), &st) == 0 ? st.st_ino : ino_t{0};
  };
  struct stat host {};
  ASSERT_EQ(stat("/proc/self/ns/net", &host), 0);
  Policy policy = policy_for({"probe", "sleep", "30"});
  auto first = start_sandboxed(policy);
  ASSERT_TRUE(first.ok()) << first.error().message();
  auto second = start_sandboxed(policy);
  ASSERT_TRUE(second.ok()) << second.error().message();
  // The launching thread went back to the host's namespace.
  struct stat after {};
  ASSERT_EQ(stat("/proc/thread-self/ns/net", &after), 0);
  EXPECT_EQ(after.st_ino, host.st_ino);
  const ino_t a = netns_of(first->child.pid());
  const ino_t b = netns_of(second->child.pid());
  { Child gone = std::move(first->child); }
  auto third = start_sandboxed(policy);
  ASSERT_TRUE(third.ok()) << third.error().message();
  const ino_t c = netns_of(third->child.pid());
  if (running_as_root()) {
    for (ino_t ns : {a, b, c}) {
      EXPECT_NE(ns, ino_t{0});
      EXPECT_NE(ns, host.st_ino);
    }
    EXPECT_NE(a, b);
    EXPECT_NE(b, c);
    EXPECT_NE(a, c);
  }
  // Still empty: two header lines and lo, however the namespace was made.
  std::string dev = output_of({"probe", "cat", "/proc/self/net/dev"});
  EXPECT_EQ(std::count(dev.begin(), dev.end(), '\n'), 3) << dev;
}

TEST(SandboxIsolation, NetworkHostSeesTheHostsInterfaces) {
  std::ifstream host_dev("/proc/self/net/dev");
  std::string host((std::istreambuf_iterator<char>(host_dev)), {});
  Policy policy = policy_for({"probe", "cat", "/proc/self/net/dev"});
  policy.network = Network::host;
  SandboxRun run = run_sandboxed(policy);
  ASSERT_TRUE(run.status.ok()) << run.status.error().message();
  EXPECT_EQ(std::count(run.output.begin(), run.output.end(), '\n'),
            std::count(host.begin(), host.end(), '\n'))
      << run.output;
}

TEST(SandboxIsolation, NewSessionWithoutControllingTerminal) {
  std::string stat = output_of({"probe", "cat", "/proc/self/stat"});
  // Fields after "(comm)": state ppid pgrp session tty_nr ...
  std::istringstream in(stat.substr(stat.rfind(')') + 2));
  std::string state, ppid, pgrp, session, tty;
  in >> state >> ppid >> pgrp >> session >> tty;
  EXPECT_EQ(session, "1");
  EXPECT_EQ(tty, "0");
}

}  // namespace
}  // namespace stockade::sandbox::test
