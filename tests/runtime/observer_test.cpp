// The observer (SupervisorOptions::observer) against real sandboxed plugins:
// one call_started and one call_ended for every Execute accepted, whatever
// its end; plugin events with the kind of end the sandbox saw.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <mutex>
#include <optional>

#include "tests/runtime/runtime_fixture.h"

namespace stockade::testing {
namespace {

using namespace std::chrono_literals;
using supervisor::ExecuteOptions;
using supervisor::ExitKind;
using supervisor::PluginEvent;
using supervisor::StatusCode;

struct Ended {
  std::string plugin, method;
  std::optional<StatusCode> error;
  std::chrono::nanoseconds latency;
};
struct Event {
  std::string plugin;
  PluginEvent::Type type;
  ExitKind exit;
  std::string syscall, detail;
  pid_t pid;
};

// Copies of every event (the observer's views live only for the callback).
class Recorder {
 public:
  supervisor::SupervisorObserver observer() {
    return {.call_started =
                [this](const supervisor::CallStarted& c) {
                  std::lock_guard lock(mutex_);
                  started_.emplace_back(std::string(c.plugin), std::string(c.method));
                },
            .call_ended =
                [this](const supervisor::CallEnded& c) {
                  std::lock_guard lock(mutex_);
                  ended_.push_back({std::string(c.plugin), std::string(c.method), c.error, c.latency});
                },
            .plugin_event =
                [this](const PluginEvent& e) {
                  std::lock_guard lock(mutex_);
                  events_.push_back({std::string(e.plugin), e.type, e.exit, std::string(e.syscall),
                                     std::string(e.detail), e.pid});
                }};
  }
  std::vector<std::pair<std::string, std::string>> started() {
    std::lock_guard lock(mutex_);
    return started_;
  }
  std::vector<Ended> ended() {
    std::lock_guard lock(mutex_);
    return ended_;
  }
  std::vector<Event> events(const std::string& plugin, PluginEvent::Type type) {
    std::lock_guard lock(mutex_);
    std::vector<Event> found;
    for (const auto& e : events_) {
      if (e.plugin == plugin && e.type == type) found.push_back(e);
    }
    return found;
  }

 private:
  std::mutex mutex_;
  std::vector<std::pair<std::string, std::string>> started_;
  std::vector<Ended> ended_;
  std::vector<Event> events_;
};

std::string describe(const Event& e) {
  return e.plugin + ": " + supervisor::exit_kind_name(e.exit) + " " + e.syscall + " (" + e.detail + ")";
}

TEST(Observer, CountsMatchTheCallsMadeIncludingErrors) {
  PluginsDir dir;
  dir.add("echo");
  dir.add("slow");
  dir.add("crash_on_request");
  Recorder recorder;
  auto sup = make_supervisor(dir, [&](auto& o) { o.observer = recorder.observer(); });

  constexpr int kEchoes = 20;
  for (int i = 0; i < kEchoes; ++i) {
    auto reply = sup->execute("echo", "echo", to_bytes("e" + std::to_string(i)));
    ASSERT_TRUE(reply) << reply.error().describe();
  }
  std::atomic<int> async_done{0};
  for (int i = 0; i < kEchoes; ++i) {
    sup->execute_async("echo", "echo", to_bytes("a"), {}, [&](supervisor::CallResult<supervisor::Bytes>) {
      ++async_done;
    });
  }
  auto unknown = sup->execute("nope", "echo", {});
  ASSERT_FALSE(unknown);
  auto late = sup->execute("slow", "sleep", to_bytes("3000"), ExecuteOptions{200ms, std::nullopt});
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, StatusCode::deadline_exceeded) << late.error().describe();
  auto crash = sup->execute("crash_on_request", "crash", {}, ExecuteOptions{5s, false});
  ASSERT_FALSE(crash);
  EXPECT_EQ(crash.error().code, StatusCode::unavailable) << crash.error().describe();
  ASSERT_TRUE(eventually([&] { return async_done == kEchoes; }));

  const int total = 2 * kEchoes + 3;
  auto started = recorder.started();
  auto ended = recorder.ended();
  ASSERT_EQ(started.size(), static_cast<size_t>(total));
  ASSERT_EQ(ended.size(), static_cast<size_t>(total));
  std::map<std::string, int> ok, failed;
  std::map<std::string, StatusCode> code;
  for (const auto& e : ended) {
    EXPECT_GT(e.latency.count(), 0);
    if (e.error) {
      ++failed[e.plugin];
      code[e.plugin] = *e.error;
    } else {
      ++ok[e.plugin];
    }
  }
  EXPECT_EQ(ok["echo"], 2 * kEchoes);
  EXPECT_EQ(failed["echo"], 0);
  EXPECT_EQ(failed["nope"], 1);
  EXPECT_EQ(code["nope"], StatusCode::not_found);
  EXPECT_EQ(failed["slow"], 1);
  EXPECT_EQ(code["slow"], StatusCode::deadline_exceeded);
  EXPECT_EQ(failed["crash_on_request"], 1);
  EXPECT_EQ(code["crash_on_request"], StatusCode::unavailable);
  // The deadline's call took at least its deadline.
  for (const auto& e : ended) {
    if (e.plugin == "slow") {
      EXPECT_GE(e.latency, 200ms);
    }
  }

  // One launch each; the crash is an end of kind crashed (SIGABRT), then
  // the restart policy launches it again.
  EXPECT_EQ(recorder.events("echo", PluginEvent::Type::launched).size(), 1u);
  auto crashed = recorder.events("crash_on_request", PluginEvent::Type::ended);
  ASSERT_EQ(crashed.size(), 1u);
  EXPECT_EQ(crashed[0].exit, ExitKind::crashed) << describe(crashed[0]);
  EXPECT_GT(crashed[0].pid, 0);
  ASSERT_TRUE(eventually([&] { return !recorder.events("crash_on_request", PluginEvent::Type::restarted).empty(); }));
  EXPECT_EQ(recorder.events("echo", PluginEvent::Type::ended).size(), 0u);

  // stop(): each running plugin closes on request and exits by itself.
  sup->stop();
  auto echo_end = recorder.events("echo", PluginEvent::Type::ended);
  ASSERT_EQ(echo_end.size(), 1u);
  EXPECT_EQ(echo_end[0].exit, ExitKind::exited) << describe(echo_end[0]);
  // A call after stop() is accepted and ends: counted too.
  auto after = sup->execute("echo", "echo", {});
  ASSERT_FALSE(after);
  EXPECT_EQ(recorder.started().size(), static_cast<size_t>(total + 1));
  EXPECT_EQ(recorder.ended().size(), static_cast<size_t>(total + 1));
}

TEST(Observer, SeccompViolationNamesTheSyscall) {
  PluginsDir dir;
  dir.add("forbidden_syscall");
  Recorder recorder;
  auto sup = make_supervisor(dir, [&](auto& o) { o.observer = recorder.observer(); });
  auto reply = sup->execute("forbidden_syscall", "ptrace", {}, ExecuteOptions{5s, false});
  ASSERT_FALSE(reply);
  auto ends = recorder.events("forbidden_syscall", PluginEvent::Type::ended);
  ASSERT_EQ(ends.size(), 1u);
  EXPECT_EQ(ends[0].exit, ExitKind::seccomp_violation) << describe(ends[0]);
  EXPECT_EQ(ends[0].syscall, "ptrace") << describe(ends[0]);
}

TEST(Observer, MemoryLimitEnd) {
  // The hostile suite's memory bomb as a "plugin": it allocates at once,
  // before any handshake.
  PluginsDir dir;
  dir.add_binary("memory_bomb", STOCKADE_HOSTILE_PROBES_DIR "/memory_bomb",
                 nlohmann::json::parse(R"({"name": "memory_bomb", "version": "1", "args": ["67108864"],
                                           "resources": {"max_memory_mb": 64},
                                           "restart": {"max_restarts": 0}})"));
  Recorder recorder;
  auto sup = make_supervisor(dir, [&](auto& o) { o.observer = recorder.observer(); });
  EXPECT_FALSE(sup->start("memory_bomb"));
  auto ends = recorder.events("memory_bomb", PluginEvent::Type::ended);
  ASSERT_GE(ends.size(), 1u);
  if (::geteuid() == 0) {
    // As root the cgroup is the limit: the OOM killer ends it.
    EXPECT_EQ(ends[0].exit, ExitKind::memory_limit) << describe(ends[0]);
  } else {
    // Unprivileged: RLIMIT_AS makes mmap fail; the probe exits (status 0,
    // "blocked") before it ever says Hello.
    EXPECT_EQ(ends[0].exit, ExitKind::handshake_failed) << describe(ends[0]);
    EXPECT_NE(ends[0].detail.find("exited with code"), std::string::npos) << describe(ends[0]);
  }
}

TEST(Observer, HandshakeFailureAndSupervisorKill) {
  PluginsDir dir;
  dir.add("exit_in_handshake");
  dir.add("slow");
  Recorder recorder;
  auto sup = make_supervisor(dir, [&](auto& o) { o.observer = recorder.observer(); });
  EXPECT_FALSE(sup->start("exit_in_handshake"));
  auto ends = recorder.events("exit_in_handshake", PluginEvent::Type::ended);
  ASSERT_GE(ends.size(), 1u);
  EXPECT_EQ(ends[0].exit, ExitKind::handshake_failed) << describe(ends[0]);

  // restart() of a running plugin kills it: the supervisor's doing.
  ASSERT_TRUE(sup->start("slow"));
  ASSERT_TRUE(sup->restart("slow"));
  auto slow_ends = recorder.events("slow", PluginEvent::Type::ended);
  ASSERT_EQ(slow_ends.size(), 1u);
  EXPECT_EQ(slow_ends[0].exit, ExitKind::killed_by_supervisor) << describe(slow_ends[0]);
  EXPECT_EQ(recorder.events("slow", PluginEvent::Type::restarted).size(), 1u);
}

}  // namespace
}  // namespace stockade::testing
