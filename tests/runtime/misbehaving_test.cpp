// Each misbehaving example plugin against the runtime: the supervisor neither
// crashes nor hangs nor grows without bound, and says what happened.
#include <gtest/gtest.h>

#include "tests/runtime/runtime_fixture.h"

namespace stockade::testing {
namespace {

using namespace std::chrono_literals;
using supervisor::ExecuteOptions;
using supervisor::StatusCode;

void expect_protocol_violation(const char* plugin, const char* detail) {
  PluginsDir dir;
  dir.add(plugin, [](auto& m) { m["retry"]["max_attempts"] = 1; });
  auto sup = make_supervisor(dir);
  ASSERT_TRUE(sup->start(plugin));
  auto r = sup->execute(plugin, "echo", to_bytes("x"), ExecuteOptions{3s, std::nullopt});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, StatusCode::unavailable);
  EXPECT_NE(r.error().message.find("protocol violation"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find(detail), std::string::npos) << r.error().message;
  EXPECT_EQ(status_of(*sup, plugin).counters.protocol_violations, 1u);
  // Restarted and serving again (Health runs on the SDK's control thread).
  ASSERT_TRUE(eventually([&] { return status_of(*sup, plugin).state == supervisor::PluginState::ready; }));
  EXPECT_TRUE(sup->health(plugin));
}

TEST(RuntimeMisbehaving, GarbageFrameIsAProtocolViolation) {
  expect_protocol_violation("garbage_frame", "");
}

TEST(RuntimeMisbehaving, OversizedFrameIsRefusedOnItsLengthPrefix) {
  expect_protocol_violation("oversized_frame", "");
}

TEST(RuntimeMisbehaving, StallMidFrameEndsAtTheDeadline) {
  PluginsDir dir;
  dir.add("stall_mid_frame");
  auto sup = make_supervisor(dir);
  auto r = sup->execute("stall_mid_frame", "echo", to_bytes("x"), ExecuteOptions{300ms, std::nullopt});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, StatusCode::deadline_exceeded);
}

TEST(RuntimeMisbehaving, HangingCallEndsAtTheDeadlineAndThePluginStaysUsable) {
  PluginsDir dir;
  dir.add("hang");
  auto sup = make_supervisor(dir);
  auto r = sup->execute("hang", "hang", to_bytes("x"), ExecuteOptions{200ms, std::nullopt});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, StatusCode::deadline_exceeded);
  EXPECT_EQ(r.error().attempts, 1u);  // not idempotent, and no time left anyway
  EXPECT_TRUE(sup->health("hang"));
}

TEST(RuntimeMisbehaving, AnswersToUnknownIdsAreDroppedAndCounted) {
  PluginsDir dir;
  dir.add("unknown_ids");
  auto sup = make_supervisor(dir);
  for (int i = 0; i < 3; ++i) {
    auto r = sup->execute("unknown_ids", "echo", to_bytes("real"));
    ASSERT_TRUE(r) << r.error().describe();
    EXPECT_EQ(to_text(*r), "real");
  }
  auto status = status_of(*sup, "unknown_ids");
  EXPECT_EQ(status.counters.stray_answers, 6u);
  EXPECT_EQ(status.counters.protocol_violations, 0u);
}

TEST(RuntimeMisbehaving, StderrFloodIsReadAndBoundedWhileCallsGoOn) {
  PluginsDir dir;
  dir.add("stderr_flood");
  auto sup = make_supervisor(dir);
  for (int i = 0; i < 3; ++i) {
    auto r = sup->execute("stderr_flood", "flood", to_bytes("2"), ExecuteOptions{10s, std::nullopt});
    ASSERT_TRUE(r) << r.error().describe();
    EXPECT_EQ(to_text(*r).rfind("flooded ", 0), 0u);
  }
  EXPECT_TRUE(sup->health("stderr_flood"));
}

TEST(RuntimeMisbehaving, AbortAndRaisedSegvAreReportedByTheirOwnSignals) {
  // The plugin is pid 2 under stockade-init: abort() ends in SIGABRT (not
  // glibc's SIGSEGV fallback) and raise(SIGSEGV) is not dropped.
  PluginsDir dir;
  dir.add("crash_on_request", [](auto& m) {
    m["retry"]["max_attempts"] = 1;
    m["circuit_breaker"]["failure_threshold"] = 100;
  });
  auto sup = make_supervisor(dir);
  auto aborted = sup->execute("crash_on_request", "crash", to_bytes("x"), ExecuteOptions{5s, std::nullopt});
  ASSERT_FALSE(aborted);
  EXPECT_NE(aborted.error().message.find("SIGABRT"), std::string::npos) << aborted.error().message;
  auto segv = sup->execute("crash_on_request", "segv", to_bytes("x"), ExecuteOptions{5s, std::nullopt});
  ASSERT_FALSE(segv);
  EXPECT_NE(segv.error().message.find("SIGSEGV"), std::string::npos) << segv.error().message;
}

TEST(RuntimeMisbehaving, ForbiddenSyscallIsASeccompViolationNamedAndThePluginRestarts) {
  PluginsDir dir;
  dir.add("forbidden_syscall", [](auto& m) { m["retry"]["max_attempts"] = 1; });
  auto sup = make_supervisor(dir);
  ASSERT_TRUE(sup->start("forbidden_syscall"));
  auto r = sup->execute("forbidden_syscall", "ptrace", to_bytes("x"), ExecuteOptions{5s, std::nullopt});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, StatusCode::unavailable) << r.error().message;
  EXPECT_NE(r.error().message.find("seccomp violation"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("ptrace"), std::string::npos) << r.error().message;
  auto after = sup->execute("forbidden_syscall", "echo", to_bytes("after"), ExecuteOptions{5s, std::nullopt});
  ASSERT_TRUE(after) << after.error().describe();
  EXPECT_EQ(to_text(*after), "after");
  auto status = status_of(*sup, "forbidden_syscall");
  EXPECT_EQ(status.counters.crashes, 1u);
  EXPECT_EQ(status.counters.restarts, 1u);
}

TEST(RuntimeMisbehaving, CrashLoopOnEveryRequestParksThePlugin) {
  PluginsDir dir;
  dir.add("crash_on_request", [](auto& m) {
    m["retry"]["max_attempts"] = 1;
    m["circuit_breaker"]["failure_threshold"] = 100;
    m["restart"] = {{"max_restarts", 2}, {"window_ms", 10000}, {"backoff_ms", 10}};
  });
  auto sup = make_supervisor(dir);
  for (int i = 0; i < 3; ++i) {
    auto r = sup->execute("crash_on_request", "exit", to_bytes("x"));
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("exited with code 3"), std::string::npos) << r.error().message;
  }
  ASSERT_TRUE(eventually(
      [&] { return status_of(*sup, "crash_on_request").state == supervisor::PluginState::failed; }));
  auto r = sup->execute("crash_on_request", "echo", to_bytes("x"));
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().hopeless);
  EXPECT_NE(r.error().message.find("crash loop"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace stockade::testing
