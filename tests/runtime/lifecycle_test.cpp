// The plugin lifecycle end to end: handshake failures, crash loops, health
// restarts, and a shutdown that leaves no process, zombie or fd behind.
#include <gtest/gtest.h>

#include <algorithm>

#include "tests/runtime/runtime_fixture.h"
#include "tests/support/host_processes.h"

namespace stockade::testing {
namespace {

using namespace std::chrono_literals;
using supervisor::PluginState;

TEST(RuntimeLifecycle, HandshakeTimeoutKillsAndParksWhenNoRestartIsAllowed) {
  PluginsDir dir;
  // A program that never speaks the protocol: it just sleeps.
  dir.add_binary("sleeper", "/usr/bin/sleep",
                 {{"name", "sleeper"}, {"endpoint", "sleep"}, {"args", {"30"}},
                  {"restart", {{"max_restarts", 0}, {"window_ms", 1000}, {"backoff_ms", 10}}}});
  auto sup = make_supervisor(dir, [](auto& o) { o.handshake_timeout = 300ms; });
  auto start = std::chrono::steady_clock::now();
  auto started = sup->start("sleeper");
  ASSERT_FALSE(started);
  EXPECT_NE(started.error().message().find("handshake timed out after 300 ms"), std::string::npos)
      << started.error().message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  ASSERT_TRUE(eventually([&] { return status_of(*sup, "sleeper").state == PluginState::failed; }));
  EXPECT_NE(status_of(*sup, "sleeper").reason.find("crash loop"), std::string::npos);
}

TEST(RuntimeLifecycle, ExitInHandshakeRestartsThenParksAsACrashLoop) {
  PluginsDir dir;
  dir.add("exit_in_handshake");
  auto sup = make_supervisor(dir);
  auto started = sup->start("exit_in_handshake");
  ASSERT_FALSE(started);
  EXPECT_NE(started.error().message().find("exited with code 3"), std::string::npos)
      << started.error().message();
  ASSERT_TRUE(eventually([&] { return status_of(*sup, "exit_in_handshake").state == PluginState::failed; }));
  auto status = status_of(*sup, "exit_in_handshake");
  EXPECT_EQ(status.counters.launches, 4u);  // the first start + max_restarts (3)
  EXPECT_NE(status.reason.find("crash loop: 3 restarts within 10000 ms"), std::string::npos) << status.reason;
  auto r = sup->execute("exit_in_handshake", "echo", to_bytes("x"));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("plugin failed: crash loop"), std::string::npos);
}

TEST(RuntimeLifecycle, WrongProtocolVersionIsRefusedWithoutRestarts) {
  PluginsDir dir;
  dir.add("wrong_version");
  auto sup = make_supervisor(dir);
  auto started = sup->start("wrong_version");
  ASSERT_FALSE(started);
  EXPECT_NE(started.error().message().find("protocol versions [99]"), std::string::npos)
      << started.error().message();
  ASSERT_TRUE(eventually([&] { return status_of(*sup, "wrong_version").state == PluginState::failed; }));
  EXPECT_EQ(status_of(*sup, "wrong_version").counters.launches, 1u);
}

TEST(RuntimeLifecycle, FailedHealthChecksRestartThePlugin) {
  PluginsDir dir;
  dir.add("unhealthy", [](auto& m) {
    m["health"] = {{"interval_ms", 100}, {"timeout_ms", 50}, {"failure_threshold", 2}};
  });
  auto sup = make_supervisor(dir, [](auto& o) { o.health_checks = true; });
  ASSERT_TRUE(sup->start("unhealthy"));
  pid_t first = status_of(*sup, "unhealthy").counters.pid;
  ASSERT_TRUE(eventually([&] { return status_of(*sup, "unhealthy").counters.restarts >= 1; }));
  ASSERT_TRUE(eventually([&] { return status_of(*sup, "unhealthy").state == PluginState::ready; }));
  EXPECT_NE(status_of(*sup, "unhealthy").counters.pid, first);
  EXPECT_FALSE(process_alive(first));
}

TEST(RuntimeLifecycle, ShutdownLeavesNoProcessZombieOrFdBehind) {
  auto fds_before = open_fds();
  std::vector<pid_t> pids;
  std::vector<HeldPidNamespace> namespaces;
  {
    PluginsDir dir;
    for (const char* name : {"echo", "ignore_close", "hang", "slow"}) dir.add(name);
    auto sup = make_supervisor(dir, [](auto& o) { o.shutdown_grace = 200ms; });
    for (const char* name : {"echo", "ignore_close", "hang", "slow"}) {
      ASSERT_TRUE(sup->start(name)) << name;
      pid_t pid = status_of(*sup, name).counters.pid;
      ASSERT_GT(pid, 0);
      pids.push_back(pid);
      auto ns = hold_pid_namespace(pid);
      ASSERT_TRUE(ns.has_value());
      namespaces.push_back(std::move(*ns));
    }
    // Calls in flight at shutdown (the hang plugin never answers).
    sup->execute_async("hang", "hang", to_bytes("x"), {}, [](auto) {});
    auto start = std::chrono::steady_clock::now();
    sup->stop();
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
    for (const auto& s : sup->status()) EXPECT_EQ(s.state, PluginState::stopped) << s.name;
  }
  for (pid_t pid : pids) EXPECT_FALSE(process_alive(pid)) << pid;
  for (const auto& ns : namespaces) EXPECT_TRUE(processes_in_pid_namespace(ns.name).empty()) << ns.name;
  for (pid_t pid : pids) {
    // Not even a zombie: /proc/<pid> is gone (reaped).
    EXPECT_FALSE(std::filesystem::exists("/proc/" + std::to_string(pid))) << pid;
  }
  namespaces.clear();  // the test's own descriptors, held for the check above
  EXPECT_EQ(open_fds(), fds_before);
}

TEST(RuntimeLifecycle, IgnoringCloseRequestEndsInSigkill) {
  PluginsDir dir;
  dir.add("ignore_close");
  auto sup = make_supervisor(dir, [](auto& o) { o.shutdown_grace = 100ms; });
  ASSERT_TRUE(sup->start("ignore_close"));
  pid_t pid = status_of(*sup, "ignore_close").counters.pid;
  sup->stop();
  EXPECT_FALSE(process_alive(pid));
}

}  // namespace
}  // namespace stockade::testing
