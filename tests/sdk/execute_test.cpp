// Execute calls: payloads and errors cross intact, calls run concurrently,
// Cancel and deadlines reach plugin code, queues are bounded.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <thread>

#include "tests/sdk/plugin_host.h"

namespace stockade::testing {
namespace {

using wire::fb::ErrorCode;

class SdkExecute : public ::testing::Test {
 protected:
  void start(std::uint32_t max_concurrency = 16, const LaunchOptions& options = {}) {
    host_ = std::make_unique<PluginHost>(SDK_PROBE, options);
    ASSERT_TRUE(host_->handshake(max_concurrency));
  }
  ExecuteResult call(std::uint64_t id, std::string_view method, std::string_view payload,
                     std::uint64_t deadline_ms = 0, std::uint32_t attempt = 1) {
    host_->execute(id, method, payload, deadline_ms, attempt);
    auto result = host_->execute_result();
    if (!result) {
      throw std::runtime_error("no answer to call " + std::to_string(id) + "; the plugin said: " +
                               host_->stderr_text());
    }
    return *result;
  }
  std::unique_ptr<PluginHost> host_;
};

TEST_F(SdkExecute, EchoReturnsThePayloadUnderTheRequestId) {
  start();
  const auto result = call(42, "echo", "hello");
  EXPECT_EQ(result.id, 42u);
  EXPECT_TRUE(result.ok);
  EXPECT_EQ(result.payload, "hello");
}

TEST_F(SdkExecute, EmptyAndLargePayloadsRoundTrip) {
  start();
  EXPECT_EQ(call(1, "echo", "").payload, "");
  const std::string large(1024 * 1024, 'z');
  EXPECT_EQ(call(2, "echo", large).payload, large);
}

TEST_F(SdkExecute, EveryErrorCodeCrossesWithMessageAndRetryable) {
  start();
  const std::pair<const char*, ErrorCode> codes[] = {
      {"CANCELLED", ErrorCode::CANCELLED},
      {"INVALID_ARGUMENT", ErrorCode::INVALID_ARGUMENT},
      {"DEADLINE_EXCEEDED", ErrorCode::DEADLINE_EXCEEDED},
      {"NOT_FOUND", ErrorCode::NOT_FOUND},
      {"RESOURCE_EXHAUSTED", ErrorCode::RESOURCE_EXHAUSTED},
      {"UNAVAILABLE", ErrorCode::UNAVAILABLE},
      {"INTERNAL", ErrorCode::INTERNAL},
      {"UNIMPLEMENTED", ErrorCode::UNIMPLEMENTED}};
  std::uint64_t id = 1;
  for (const auto& [name, code] : codes) {
    for (const char* retryable : {"0", "1"}) {
      const auto result =
          call(id++, "fail", std::string(name) + " " + retryable + " went wrong: " + name);
      EXPECT_FALSE(result.ok);
      EXPECT_EQ(result.code, code) << name;
      EXPECT_EQ(result.message, std::string("went wrong: ") + name);
      EXPECT_EQ(result.retryable, std::string(retryable) == "1");
      EXPECT_TRUE(result.payload.empty());
    }
  }
}

TEST_F(SdkExecute, UnknownMethodIsThePluginsNotFound) {
  start();
  const auto result = call(1, "no-such-method", "");
  EXPECT_EQ(result.code, ErrorCode::NOT_FOUND);
  EXPECT_EQ(result.message, "no method no-such-method");
}

TEST_F(SdkExecute, ExceptionFromExecuteBecomesInternal) {
  start();
  const auto result = call(1, "throw", "");
  EXPECT_EQ(result.code, ErrorCode::INTERNAL);
  EXPECT_EQ(result.message, "execute() threw: probe exception");
  // The plugin keeps serving.
  EXPECT_EQ(call(2, "echo", "still here").payload, "still here");
}

TEST_F(SdkExecute, AttemptNumberReachesThePlugin) {
  start();
  EXPECT_EQ(call(1, "attempt", "", 0, 1).payload, "1");
  EXPECT_EQ(call(2, "attempt", "", 0, 3).payload, "3");
}

TEST_F(SdkExecute, HundredCallsInFlightAreAllAnsweredCorrectly) {
  start(16);
  for (std::uint64_t id = 1; id <= 100; ++id) host_->execute(id, "echo", "payload " + std::to_string(id));
  std::set<std::uint64_t> seen;
  for (int i = 0; i < 100; ++i) {
    auto result = host_->execute_result();
    ASSERT_TRUE(result) << "after " << i << " answers";
    EXPECT_TRUE(result->ok);
    EXPECT_EQ(result->payload, "payload " + std::to_string(result->id));
    EXPECT_TRUE(seen.insert(result->id).second) << "id " << result->id << " answered twice";
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST_F(SdkExecute, CallsRunConcurrentlyUpToMaxConcurrency) {
  // Eight calls that each wait for all eight to be inside execute() at once:
  // they all succeed only if the SDK runs them concurrently.
  start(8);
  for (std::uint64_t id = 1; id <= 8; ++id) host_->execute(id, "rendezvous", "8 10000");
  for (int i = 0; i < 8; ++i) {
    auto result = host_->execute_result(15000ms);
    ASSERT_TRUE(result);
    EXPECT_EQ(result->payload, "met") << result->message;
  }
}

TEST_F(SdkExecute, CancelSetsTheFlagAndTheSleepingCallReturnsCancelled) {
  start();
  host_->execute(5, "sleep", "30000");
  std::this_thread::sleep_for(100ms);
  host_->cancel(5);
  auto result = host_->execute_result(3000ms);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->id, 5u);
  EXPECT_EQ(result->code, ErrorCode::CANCELLED);
  // Normally the call is asleep when Cancel lands; on a loaded machine the
  // Cancel may win and the call is refused before it starts.
  EXPECT_TRUE(result->message == "cancelled while sleeping" ||
              result->message == "cancelled before it started")
      << result->message;
}

TEST_F(SdkExecute, CancelOfAnUnknownIdIsIgnored) {
  start();
  host_->cancel(999);
  EXPECT_EQ(call(1, "echo", "ok").payload, "ok");
}

TEST_F(SdkExecute, PluginSeesItsDeadline) {
  start();
  const auto with = call(1, "deadline", "", 5000);
  const auto left = std::stoll(with.payload);
  EXPECT_GT(left, 3000);
  EXPECT_LE(left, 5000);
  EXPECT_EQ(call(2, "deadline", "", 0).payload, "none");
}

TEST_F(SdkExecute, DeadlinePassingDuringTheCallCancelsIt) {
  start();
  const auto result = call(1, "sleep", "30000", 200);
  EXPECT_EQ(result.code, ErrorCode::DEADLINE_EXCEEDED);
  EXPECT_EQ(result.message, "deadline passed while sleeping");
}

TEST_F(SdkExecute, CallWhoseDeadlinePassedWhileQueuedIsNotRun) {
  start(1);
  host_->execute(1, "sleep", "500");
  host_->execute(2, "echo", "late", 50);
  auto first = host_->execute_result();
  auto second = host_->execute_result();
  ASSERT_TRUE(first && second);
  const auto& late = first->id == 2 ? *first : *second;
  EXPECT_EQ(late.code, ErrorCode::DEADLINE_EXCEEDED);
  EXPECT_EQ(late.message, "the deadline passed before the call started");
}

TEST_F(SdkExecute, CallsBeyondTheQueueBoundAreRefusedNotBuffered) {
  start(1, {.args = {"--max-queued", "2"}});
  host_->execute(1, "sleep", "1000");
  std::this_thread::sleep_for(100ms);  // call 1 is running, the queue is empty
  for (std::uint64_t id = 2; id <= 6; ++id) host_->execute(id, "echo", "x");
  int refused = 0;
  int answered = 0;
  for (int i = 0; i < 6; ++i) {
    auto result = host_->execute_result();
    ASSERT_TRUE(result);
    if (result->ok) {
      ++answered;
    } else {
      EXPECT_EQ(result->code, ErrorCode::RESOURCE_EXHAUSTED);
      EXPECT_TRUE(result->retryable);
      ++refused;
    }
  }
  // One running and two queued at most: ids 4, 5 and 6 are refused (and 3
  // too if the sleeper had not left the queue yet).
  EXPECT_GE(refused, 3);
  EXPECT_GE(answered, 2);
}

TEST_F(SdkExecute, ResponseOverMaxFrameBecomesResourceExhausted) {
  host_ = std::make_unique<PluginHost>(SDK_PROBE);
  ASSERT_TRUE(host_->handshake(4, 64 * 1024));
  const auto result = call(1, "big", std::to_string(128 * 1024));
  EXPECT_EQ(result.code, ErrorCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(result.message.find("cannot be sent"), std::string::npos) << result.message;
  EXPECT_EQ(call(2, "big", "10").payload, "xxxxxxxxxx");
}

TEST_F(SdkExecute, WorkerPoolIsCappedByServeOptions) {
  // HelloAck grants 16, the plugin caps itself at 2 workers: three calls that
  // wait for each other can never all be inside execute() at once.
  start(16, {.args = {"--max-workers", "2"}});
  for (std::uint64_t id = 1; id <= 3; ++id) host_->execute(id, "rendezvous", "3 300");
  int timed_out = 0;
  for (int i = 0; i < 3; ++i) {
    auto result = host_->execute_result();
    ASSERT_TRUE(result);
    if (result->code == ErrorCode::DEADLINE_EXCEEDED) ++timed_out;
  }
  EXPECT_EQ(timed_out, 3);
}

TEST_F(SdkExecute, WorkersAreStartedOnDemandAndConcurrencyIsKept) {
  // One thread at the handshake, more as calls wait for each other.
  start(16);
  for (std::uint64_t id = 1; id <= 8; ++id) host_->execute(id, "rendezvous", "8 5000");
  for (int i = 0; i < 8; ++i) {
    auto result = host_->execute_result();
    ASSERT_TRUE(result);
    EXPECT_EQ(result->payload, "met");
  }
}

TEST_F(SdkExecute, NoThreadAtAllStillServesOneCallAtATimeAndSaysWhyOnce) {
  // A process limit below what the pool wants must not kill the plugin.
  start(64, {.args = {"--no-new-threads", "1"}});
  for (std::uint64_t id = 1; id <= 20; ++id) host_->execute(id, "echo", std::to_string(id));
  for (int i = 0; i < 20; ++i) {
    auto result = host_->execute_result();
    ASSERT_TRUE(result);
    EXPECT_TRUE(result->ok);
    EXPECT_EQ(result->payload, std::to_string(result->id));
  }
  host_->health(100);
  host_->close_request(5000);
  EXPECT_EQ(host_->wait_exit(), 0);
  const std::string err = host_->stderr_text();
  EXPECT_NE(err.find("probe: close() called"), std::string::npos) << err;
  const auto first = err.find("cannot start the call monitor thread");
  EXPECT_NE(first, std::string::npos) << err;
  EXPECT_EQ(err.find("cannot start the call monitor thread", first + 1), std::string::npos) << err;
}

}  // namespace
}  // namespace stockade::testing
