// The runtime under faults (issue 9): every call ends exactly once, on every
// path (stop, destructor, parked, restarting, stopped); a callback that
// issues the next call never grows the stack; a crash is one failure for the
// breaker; a plugin dying on every call is parked; restart() brings a parked
// plugin back; an outside SIGKILL is not blamed on the supervisor; running
// out of descriptors is resource exhaustion.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <mutex>
#include <thread>

#include <fcntl.h>

#include "base/unique_fd.h"
#include "tests/runtime/runtime_fixture.h"

namespace stockade::testing {
namespace {

using namespace std::chrono_literals;
using supervisor::Bytes;
using supervisor::CallResult;
using supervisor::ExecuteOptions;
using supervisor::PluginState;
using supervisor::StatusCode;

// Counts completions per call; a second completion of one call is recorded.
class Completions {
 public:
  explicit Completions(int calls) : counts_(calls, 0) {}
  std::function<void(CallResult<Bytes>)> slot(int i) {
    return [this, i](CallResult<Bytes> r) {
      std::lock_guard lock(mutex_);
      if (++counts_[i] == 1) ++ended_;
      if (!r) last_error_ = r.error().describe();
      done_.notify_all();
    };
  }
  int ended() {
    std::lock_guard lock(mutex_);
    return ended_;
  }
  bool each_exactly_once() {
    std::lock_guard lock(mutex_);
    for (int c : counts_) {
      if (c != 1) return false;
    }
    return true;
  }
  std::string last_error() {
    std::lock_guard lock(mutex_);
    return last_error_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable done_;
  std::vector<int> counts_;
  int ended_ = 0;
  std::string last_error_;
};

// Every call crashes the plugin; a retry waits a long, jittered backoff.
void add_crasher_with_long_backoff(PluginsDir& dir) {
  dir.add("crash_on_request", [](auto& m) {
    m["execute"]["max_concurrency"] = 16;
    m["retry"] = {{"max_attempts", 3},      {"initial_backoff_ms", 3000}, {"max_backoff_ms", 3000},
                  {"multiplier", 1.0},      {"budget_percent", 100}};
    m["restart"] = {{"max_restarts", 100}, {"window_ms", 1000}, {"backoff_ms", 10}};
    m["circuit_breaker"] = {{"failure_threshold", 1000}, {"open_ms", 1000}, {"half_open_probes", 1}};
  });
}

TEST(RuntimeFaults, StopEndsCallsWaitingOutARetryBackoff) {
  PluginsDir dir;
  add_crasher_with_long_backoff(dir);
  auto sup = make_supervisor(dir);
  ASSERT_TRUE(sup->start("crash_on_request"));
  constexpr int kCalls = 16;
  Completions calls(kCalls);
  for (int i = 0; i < kCalls; ++i) {
    sup->execute_async("crash_on_request", "crash", to_bytes("x"), ExecuteOptions{20s, true}, calls.slot(i));
  }
  // A synchronous caller too: it must not stay blocked inside execute().
  auto sync = std::async(std::launch::async, [&] {
    return sup->execute("crash_on_request", "crash", to_bytes("y"), ExecuteOptions{20s, true});
  });
  ASSERT_TRUE(eventually([&] { return status_of(*sup, "crash_on_request").retries >= 4; }));
  sup->stop();
  // stop() returns only once every call has ended.
  EXPECT_EQ(calls.ended(), kCalls);
  EXPECT_TRUE(calls.each_exactly_once());
  ASSERT_EQ(sync.wait_for(10s), std::future_status::ready);
  auto r = sync.get();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, StatusCode::unavailable) << r.error().describe();
  // After stop(): refused, through the callback, exactly once.
  Completions late(1);
  sup->execute_async("crash_on_request", "echo", to_bytes("z"), {}, late.slot(0));
  ASSERT_TRUE(eventually([&] { return late.ended() == 1; }));
  EXPECT_NE(late.last_error().find("supervisor stopped"), std::string::npos) << late.last_error();
  // The status still tells the truth after stop().
  EXPECT_EQ(status_of(*sup, "crash_on_request").state, PluginState::stopped);
}

TEST(RuntimeFaults, TheDestructorEndsCallsWaitingOutARetryBackoff) {
  PluginsDir dir;
  add_crasher_with_long_backoff(dir);
  constexpr int kCalls = 16;
  Completions calls(kCalls);
  {
    auto sup = make_supervisor(dir);
    ASSERT_TRUE(sup->start("crash_on_request"));
    for (int i = 0; i < kCalls; ++i) {
      sup->execute_async("crash_on_request", "crash", to_bytes("x"), ExecuteOptions{20s, true}, calls.slot(i));
    }
    ASSERT_TRUE(eventually([&] { return status_of(*sup, "crash_on_request").retries >= 4; }));
  }
  EXPECT_EQ(calls.ended(), kCalls);
  EXPECT_TRUE(calls.each_exactly_once());
}

// Chains `count` execute_async calls, each issued by the previous one's
// callback; returns how many ended with `message` in their error.
size_t chain(supervisor::Supervisor& sup, size_t count, const std::string& message) {
  struct Chain {
    supervisor::Supervisor* sup;
    size_t left;
    size_t matched = 0;
    std::string message;
    std::promise<void> finished;
    void next() {
      sup->execute_async("crash_on_request", "echo", {}, {}, [this](CallResult<Bytes> r) {
        if (!r && r.error().message.find(message) != std::string::npos) ++matched;
        if (--left == 0) return finished.set_value();
        next();
      });
    }
  } state{&sup, count, 0, message, {}};
  auto done = state.finished.get_future();
  state.next();
  done.wait();
  return state.matched;
}

TEST(RuntimeFaults, AMillionChainedCallsAgainstAnOpenCircuitOrAStoppedSupervisorKeepTheStackFlat) {
  PluginsDir dir;
  dir.add("crash_on_request", [](auto& m) {
    m["retry"]["max_attempts"] = 1;
    m["circuit_breaker"] = {{"failure_threshold", 1}, {"open_ms", 600000}, {"half_open_probes", 1}};
    m["restart"] = {{"max_restarts", 0}, {"window_ms", 1000}, {"backoff_ms", 10}};
  });
  auto sup = make_supervisor(dir);
  ASSERT_FALSE(sup->execute("crash_on_request", "crash", to_bytes("x")));
  ASSERT_EQ(status_of(*sup, "crash_on_request").breaker, "open");
  constexpr size_t kChain = 1000000;
  // Every call fails at once (circuit open, or the plugin parked): before
  // the fix each completion ran inside the execute_async that issued it.
  EXPECT_EQ(chain(*sup, kChain, ""), kChain);
  sup->stop();
  EXPECT_EQ(chain(*sup, kChain, "supervisor stopped"), kChain);
}

TEST(RuntimeFaults, OneCrashWithManyCallsInFlightIsOneBreakerFailure) {
  PluginsDir dir;
  dir.add("slow", [](auto& m) {
    m["execute"]["max_concurrency"] = 8;
    m["resources"]["max_processes"] = 32;
    m["circuit_breaker"] = {{"failure_threshold", 3}, {"open_ms", 600000}, {"half_open_probes", 1}};
    m["retry"]["max_attempts"] = 1;
  });
  auto sup = make_supervisor(dir);
  ASSERT_TRUE(sup->start("slow"));
  pid_t pid = status_of(*sup, "slow").counters.pid;
  constexpr int kCalls = 8;
  Completions calls(kCalls);
  for (int i = 0; i < kCalls; ++i) {
    sup->execute_async("slow", "sleep", to_bytes("20000"), ExecuteOptions{30s, false}, calls.slot(i));
  }
  ASSERT_TRUE(eventually([&] { return status_of(*sup, "slow").counters.calls_sent == kCalls; }));
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  ASSERT_TRUE(eventually([&] { return calls.ended() == kCalls; }));
  auto status = status_of(*sup, "slow");
  EXPECT_EQ(status.breaker, "closed");
  EXPECT_EQ(status.breaker_opened, 0u);
  // The restarted plugin gets calls at once.
  auto r = sup->execute("slow", "sleep", to_bytes("1"), ExecuteOptions{10s, std::nullopt});
  EXPECT_TRUE(r) << r.error().describe();
}

TEST(RuntimeFaults, AHandshakeAfterARestartMovesAnOpenBreakerToHalfOpen) {
  PluginsDir dir;
  dir.add("crash_on_request", [](auto& m) {
    m["retry"]["max_attempts"] = 1;
    m["circuit_breaker"] = {{"failure_threshold", 1}, {"open_ms", 600000}, {"half_open_probes", 1}};
    m["restart"] = {{"max_restarts", 10}, {"window_ms", 10000}, {"backoff_ms", 10}};
  });
  auto sup = make_supervisor(dir);
  ASSERT_FALSE(sup->execute("crash_on_request", "crash", to_bytes("x")));
  ASSERT_TRUE(eventually([&] {
    auto s = status_of(*sup, "crash_on_request");
    return s.state == PluginState::ready && s.counters.restarts >= 1;
  }));
  EXPECT_EQ(status_of(*sup, "crash_on_request").breaker, "half-open");
  auto probe = sup->execute("crash_on_request", "echo", to_bytes("probe"));
  ASSERT_TRUE(probe) << probe.error().describe();
  EXPECT_EQ(status_of(*sup, "crash_on_request").breaker, "closed");
}

TEST(RuntimeFaults, APluginCrashingOnEveryCallIsParkedWhateverTheBreaker) {
  PluginsDir dir;
  dir.add("crash_on_request", [](auto& m) {
    m["retry"]["max_attempts"] = 1;
    m["circuit_breaker"] = {{"failure_threshold", 1}, {"open_ms", 100}, {"half_open_probes", 1}};
    // Calls come 400 ms apart: at most 3 restarts fall in any 1000 ms, so the window alone
    // never sees a crash loop.
    m["restart"] = {{"max_restarts", 3}, {"window_ms", 1000}, {"backoff_ms", 10}};
  });
  auto sup = make_supervisor(dir);
  for (int i = 0; i < 10 && status_of(*sup, "crash_on_request").state != PluginState::failed; ++i) {
    (void)sup->execute("crash_on_request", "crash", to_bytes("x"));
    std::this_thread::sleep_for(400ms);
  }
  auto status = status_of(*sup, "crash_on_request");
  EXPECT_EQ(status.state, PluginState::failed);
  EXPECT_NE(status.reason.find("crash loop: 4 crashes in a row"), std::string::npos) << status.reason;
  EXPECT_NE(status.last_failure.find("plugin crashed"), std::string::npos) << status.last_failure;
  EXPECT_FALSE(status.breaker.empty());
}

TEST(RuntimeFaults, RestartBringsBackAParkedPlugin) {
  PluginsDir dir;
  dir.add("crash_on_request", [](auto& m) {
    m["retry"]["max_attempts"] = 1;
    m["circuit_breaker"] = {{"failure_threshold", 1}, {"open_ms", 600000}, {"half_open_probes", 1}};
    m["restart"] = {{"max_restarts", 0}, {"window_ms", 10000}, {"backoff_ms", 10}};
  });
  auto sup = make_supervisor(dir);
  ASSERT_FALSE(sup->execute("crash_on_request", "crash", to_bytes("x")));
  ASSERT_TRUE(eventually([&] { return status_of(*sup, "crash_on_request").state == PluginState::failed; }));
  ASSERT_FALSE(sup->execute("crash_on_request", "echo", to_bytes("x")));
  auto restarted = sup->restart("crash_on_request");
  ASSERT_TRUE(restarted) << restarted.error().message();
  auto status = status_of(*sup, "crash_on_request");
  EXPECT_EQ(status.state, PluginState::ready);
  EXPECT_EQ(status.breaker, "closed");
  auto r = sup->execute("crash_on_request", "echo", to_bytes("back"));
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(to_text(*r), "back");
  // A running plugin is replaced by a new process.
  pid_t before = status_of(*sup, "crash_on_request").counters.pid;
  ASSERT_TRUE(sup->restart("crash_on_request"));
  EXPECT_NE(status_of(*sup, "crash_on_request").counters.pid, before);
  EXPECT_EQ(sup->restart("nope").error().code, Errc::not_found);
}

TEST(RuntimeFaults, AnOutsideSigkillOfTheSandboxInitIsNotBlamedOnTheSupervisor) {
  PluginsDir dir;
  dir.add("echo");
  auto sup = make_supervisor(dir);
  ASSERT_TRUE(sup->start("echo"));
  pid_t init = status_of(*sup, "echo").counters.pid;
  ASSERT_EQ(::kill(init, SIGKILL), 0);
  ASSERT_TRUE(eventually([&] { return status_of(*sup, "echo").counters.crashes == 1; }));
  auto status = status_of(*sup, "echo");
  EXPECT_EQ(status.last_failure.find("killed by the supervisor"), std::string::npos) << status.last_failure;
  EXPECT_NE(status.last_failure.find("killed by signal 9 (SIGKILL) from outside the sandbox"), std::string::npos)
      << status.last_failure;
}

TEST(RuntimeFaults, TheSoftOpenFileLimitIsRaisedAndExhaustionIsNotACrash) {
  rlimit original{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &original), 0);
  if (original.rlim_max > 64) {
    rlimit low = original;
    low.rlim_cur = 64;
    ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  }
  PluginsDir dir;
  dir.add("echo");
  auto sup = make_supervisor(dir);
  rlimit now{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &now), 0);
  EXPECT_EQ(now.rlim_cur, original.rlim_max);
  // Now leave no room for a launch.
  std::vector<UniqueFd> hog;
  rlimit tight = original;
  tight.rlim_cur = 64;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &tight), 0);
  while (true) {
    UniqueFd fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!fd) break;
    hog.push_back(std::move(fd));
  }
  hog.pop_back();  // one free: the launch gets past its first open
  auto started = sup->start("echo");
  hog.clear();
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &original), 0);
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code, Errc::limit) << started.error().message();
  EXPECT_NE(started.error().message().find("RLIMIT_NOFILE"), std::string::npos) << started.error().message();
  auto status = status_of(*sup, "echo");
  EXPECT_EQ(status.state, PluginState::stopped);
  EXPECT_EQ(status.counters.crashes, 0u);
  // Room again: the next start works.
  auto again = sup->start("echo");
  EXPECT_TRUE(again) << again.error().message();
}

TEST(RuntimeFaults, MoreThanAThousandPluginFoldersAreScannedAndTheBoundIsConfigurable) {
  PluginsDir dir;
  dir.add("echo");
  for (int i = 0; i < 1100; ++i) std::filesystem::create_directory(dir.path() + "/empty-" + std::to_string(i));
  auto sup = make_supervisor(dir);
  EXPECT_EQ(sup->plugins().size(), 1u);
  supervisor::SupervisorOptions options;
  options.plugins_dir = dir.path();
  options.whitelist = dir.whitelist_path();
  options.max_plugin_folders = 100;
  auto refused = supervisor::Supervisor::create(options);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::limit);
  EXPECT_NE(refused.error().message().find("max_plugin_folders"), std::string::npos) << refused.error().message();
}

}  // namespace
}  // namespace stockade::testing
