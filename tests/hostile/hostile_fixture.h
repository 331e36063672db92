// The hostile suite's fixture: each test runs one attack (a probe in probes/)
// through the real sandbox, asserts exactly how it ended, and asserts that the
// host was not touched (HostCanaries), that no process of the sandbox outlived
// it and that no descriptor leaked into the test. The same binary runs as root
// and as uid 65534 (ctest: hostile, hostile_unprivileged); where the two
// differ, each test asserts what that case promises.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/hostile/host_canaries.h"
#include "tests/hostile/probe_runner.h"

namespace stockade::hostile {

using Kind = sandbox::ExitStatus::Kind;

inline bool privileged() { return geteuid() == 0; }

inline std::string own_pid_namespace() {
  char target[256] = {};
  ssize_t n = readlink("/proc/self/ns/pid", target, sizeof target - 1);
  return n > 0 ? std::string(target, static_cast<size_t>(n)) : std::string();
}

// A number printed by a probe after `label` ("forked 12 processes" → 12).
inline long number_after(const std::string& output, const std::string& label) {
  std::smatch match;
  if (!std::regex_search(output, match, std::regex(label + " (-?[0-9]+)"))) return -1;
  return std::stol(match[1]);
}

class Hostile : public ::testing::Test {
 protected:
  // Every test ends by checking the host, whatever its own assertions were.
  void TearDown() override {
    for (const std::string& change : canaries_.changes()) ADD_FAILURE() << "host touched: " << change;
  }

  ProbeRun run(ProbeRequest request) {
    ProbeRun result = run_probe(request);
    EXPECT_TRUE(result.spawned) << result.summary();
    EXPECT_TRUE(result.leftover_processes.empty()) << result.summary();
    EXPECT_TRUE(result.leaked_host_fds.empty()) << result.summary();
    if (result.pid_namespace) {
      EXPECT_NE(*result.pid_namespace, own_pid_namespace()) << "no new pid namespace";
    }
    return result;
  }
  ProbeRun run(const std::string& probe, std::vector<std::string> args = {}) {
    ProbeRequest request;
    request.probe = probe;
    request.args = std::move(args);
    return run(std::move(request));
  }

  // When the sandbox could not even start, run() has said so once: the
  // outcome checks below would only repeat it.
  static void expect_exit(const ProbeRun& result, int code) {
    if (!result.spawned) return;
    EXPECT_EQ(result.status.kind, Kind::exited) << result.summary();
    EXPECT_EQ(result.status.code, code) << result.summary();
  }
  static void expect_blocked(const ProbeRun& result, const std::string& line) {
    if (!result.spawned) return;
    expect_exit(result, kBlocked);
    EXPECT_EQ(result.output, line + "\n") << result.summary();
  }
  static void expect_violation(const ProbeRun& result, const std::string& syscall) {
    if (!result.spawned) return;
    EXPECT_EQ(result.status.kind, Kind::seccomp_violation) << result.summary();
    EXPECT_EQ(result.status.syscall, syscall) << result.summary();
    EXPECT_EQ(result.status.signal, SIGSYS) << result.summary();
  }

  std::string victim() const { return std::to_string(canaries_.victim_pid()); }
  std::string self() const { return std::to_string(getpid()); }

  HostCanaries canaries_;
};

}  // namespace stockade::hostile
