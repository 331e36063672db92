// Execute end to end through real sandboxed plugins: answers, concurrency,
// retries, the circuit breaker, deadlines with Cancel, refusals.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>

#include "supervisor/outcome.h"
#include "tests/runtime/runtime_fixture.h"

namespace stockade::testing {
namespace {

using namespace std::chrono_literals;
using supervisor::Delivery;
using supervisor::ExecuteOptions;
using supervisor::StatusCode;

TEST(RuntimeExecute, EchoAnswersExecuteInfoAndHealth) {
  PluginsDir dir;
  dir.add("echo");
  auto sup = make_supervisor(dir);
  ASSERT_TRUE(sup->start("echo")) << sup->start("echo").error().message();
  auto reply = sup->execute("echo", "echo", to_bytes("hello"));
  ASSERT_TRUE(reply) << reply.error().describe();
  EXPECT_EQ(to_text(*reply), "hello");
  auto info = sup->info("echo");
  ASSERT_TRUE(info) << info.error().describe();
  EXPECT_EQ(info->name, "echo");
  auto health = sup->health("echo");
  ASSERT_TRUE(health) << health.error().describe();
  EXPECT_TRUE(health->serving);
  EXPECT_EQ(status_of(*sup, "echo").state, supervisor::PluginState::ready);
}

TEST(RuntimeExecute, AThousandConcurrentCallsAreAllAnsweredCorrectly) {
  PluginsDir dir;
  dir.add("echo");
  auto sup = make_supervisor(dir);
  ASSERT_TRUE(sup->start("echo"));
  constexpr int kCalls = 1000;
  std::mutex mutex;
  std::condition_variable done;
  int finished = 0, correct = 0;
  std::string first_error;
  for (int i = 0; i < kCalls; ++i) {
    std::string payload = "call-" + std::to_string(i);
    sup->execute_async("echo", "echo", to_bytes(payload), ExecuteOptions{10s, std::nullopt},
                       [&, payload](supervisor::CallResult<supervisor::Bytes> r) {
                         std::lock_guard lock(mutex);
                         if (r && to_text(*r) == payload) ++correct;
                         if (!r && first_error.empty()) first_error = r.error().describe();
                         if (++finished == kCalls) done.notify_one();
                       });
  }
  std::unique_lock lock(mutex);
  ASSERT_TRUE(done.wait_for(lock, 30s, [&] { return finished == kCalls; }));
  EXPECT_EQ(correct, kCalls) << first_error;
}

TEST(RuntimeExecute, ARetrySucceedsAfterACrash) {
  PluginsDir dir;
  dir.add("crash_on_request");
  auto sup = make_supervisor(dir);
  auto reply = sup->execute("crash_on_request", "crash_once", to_bytes("survived"));
  ASSERT_TRUE(reply) << reply.error().describe();
  EXPECT_EQ(to_text(*reply), "survived");
  auto status = status_of(*sup, "crash_on_request");
  EXPECT_EQ(status.counters.crashes, 1u);
  EXPECT_EQ(status.retries, 1u);
  EXPECT_EQ(status.counters.restarts, 1u);
}

TEST(RuntimeExecute, ANonIdempotentCallIsNotRetriedOnceSent) {
  PluginsDir dir;
  dir.add("crash_on_request", [](auto& m) { m["execute"]["idempotent"] = false; });
  auto sup = make_supervisor(dir);
  auto reply = sup->execute("crash_on_request", "crash_once", to_bytes("x"));
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error().code, StatusCode::unavailable);
  EXPECT_EQ(reply.error().delivery, Delivery::unknown);
  EXPECT_EQ(reply.error().attempts, 1u);
  EXPECT_NE(reply.error().message.find("plugin crashed"), std::string::npos) << reply.error().message;
  ASSERT_TRUE(reply.error().plugin_exit.has_value());
  EXPECT_GT(*reply.error().plugin_exit, 128);  // ended by a signal
  EXPECT_EQ(status_of(*sup, "crash_on_request").retries, 0u);
  // The same call marked idempotent by the caller is retried and succeeds.
  auto again = sup->execute("crash_on_request", "crash_once", to_bytes("y"), ExecuteOptions{5s, true});
  ASSERT_TRUE(again) << again.error().describe();
}

TEST(RuntimeExecute, BreakerOpensAfterNFailuresFailsFastAndClosesAfterAGoodProbe) {
  PluginsDir dir;
  // Failures without a crash (a crash is one event, and the restarted
  // plugin's handshake would move the breaker to half-open at once): calls
  // that outlive their deadline, each one failure.
  dir.add("slow", [](auto& m) {
    m["retry"]["max_attempts"] = 1;
    m["circuit_breaker"] = {{"failure_threshold", 2}, {"open_ms", 300}, {"half_open_probes", 1}};
  });
  auto sup = make_supervisor(dir);
  ASSERT_TRUE(sup->start("slow"));
  for (int i = 0; i < 2; ++i) {
    auto r = sup->execute("slow", "sleep", to_bytes("2000"), ExecuteOptions{100ms, std::nullopt});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, StatusCode::deadline_exceeded);
  }
  EXPECT_EQ(status_of(*sup, "slow").breaker, "open");
  auto start = std::chrono::steady_clock::now();
  auto fast = sup->execute("slow", "sleep", to_bytes("1"));
  ASSERT_FALSE(fast);
  EXPECT_EQ(fast.error().message, "circuit open");
  EXPECT_EQ(fast.error().delivery, Delivery::not_sent);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 200ms);  // no attempt was made
  std::this_thread::sleep_for(350ms);
  auto probe = sup->execute("slow", "sleep", to_bytes("1"));
  ASSERT_TRUE(probe) << probe.error().describe();
  EXPECT_EQ(status_of(*sup, "slow").breaker, "closed");
}

TEST(RuntimeExecute, CallerErrorsDoNotOpenTheBreaker) {
  PluginsDir dir;
  dir.add("calculator", [](auto& m) {
    m["circuit_breaker"] = {{"failure_threshold", 1}, {"open_ms", 60000}, {"half_open_probes", 1}};
  });
  auto sup = make_supervisor(dir);
  for (int i = 0; i < 3; ++i) {
    auto r = sup->execute("calculator", "no-such-method", to_bytes("garbage"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().delivery, Delivery::answered);
    EXPECT_EQ(supervisor::fault_of(r.error()), supervisor::Fault::caller) << r.error().describe();
  }
  EXPECT_EQ(status_of(*sup, "calculator").breaker, "closed");
}

TEST(RuntimeExecute, DeadlineExceededSendsCancelAndReturnsDeadlineExceeded) {
  PluginsDir dir;
  dir.add("hang");  // never answers, Cancel or not
  auto sup = make_supervisor(dir);
  ASSERT_TRUE(sup->start("hang"));
  auto start = std::chrono::steady_clock::now();
  auto r = sup->execute("hang", "hang", to_bytes("x"), ExecuteOptions{200ms, std::nullopt});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, StatusCode::deadline_exceeded);
  EXPECT_EQ(r.error().delivery, Delivery::unknown);
  EXPECT_NE(r.error().message.find("Cancel sent"), std::string::npos) << r.error().message;
  EXPECT_GE(std::chrono::steady_clock::now() - start, 200ms);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_EQ(status_of(*sup, "hang").counters.cancels_sent, 1u);
}

TEST(RuntimeExecute, APluginHonouringTheDeadlineItWasSentStopsInTime) {
  PluginsDir dir;
  dir.add("slow");
  auto sup = make_supervisor(dir);
  ASSERT_TRUE(sup->start("slow"));
  auto start = std::chrono::steady_clock::now();
  // The request carries the time left; the plugin (or, if it is late, our
  // Cancel) ends a 10 s sleep at the 200 ms deadline.
  auto r = sup->execute("slow", "sleep", to_bytes("10000"), ExecuteOptions{200ms, std::nullopt});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, StatusCode::deadline_exceeded);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  // The slow call is over in the plugin too: the next one is answered at once.
  auto ok = sup->execute("slow", "sleep", to_bytes("1"), ExecuteOptions{2s, std::nullopt});
  EXPECT_TRUE(ok) << ok.error().describe();
}

TEST(RuntimeExecute, UnknownPluginIsNotFound) {
  PluginsDir dir;
  dir.add("echo");
  auto sup = make_supervisor(dir);
  auto started = sup->start("nope");
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code, Errc::not_found);
  auto r = sup->execute("nope", "echo", to_bytes("x"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, StatusCode::not_found);
}

TEST(RuntimeExecute, ABinaryNotInTheWhitelistIsRefusedAndParked) {
  PluginsDir dir;
  dir.add("echo");
  dir.write_whitelist(false);
  supervisor::SupervisorOptions options;
  options.plugins_dir = dir.path();
  options.whitelist = dir.whitelist_path();
  auto sup = supervisor::Supervisor::create(options);
  ASSERT_TRUE(sup);
  auto started = (*sup)->start("echo");
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code, Errc::refused) << started.error().message();
  EXPECT_EQ(status_of(**sup, "echo").state, supervisor::PluginState::failed);
  auto r = (*sup)->execute("echo", "echo", to_bytes("x"));
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().hopeless);
}

}  // namespace
}  // namespace stockade::testing
