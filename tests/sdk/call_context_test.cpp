// CallContext in-process: the flag, the deadline and sleep_for.
#include <gtest/gtest.h>

#include <thread>

#include <stockade/sdk.h>

namespace stockade::sdk {
namespace {

using namespace std::chrono_literals;
using Clock = CallContext::Clock;

TEST(SdkCallContext, WithoutDeadlineIsNeverCancelledByTime) {
  CallContext call(1, "m", 1, Clock::time_point::max());
  EXPECT_FALSE(call.has_deadline());
  EXPECT_FALSE(call.cancelled());
  EXPECT_EQ(call.remaining(), Clock::duration::max());
  EXPECT_TRUE(call.sleep_for(1ms));
}

TEST(SdkCallContext, PastDeadlineReadsAsCancelledButNotAsCancelRequested) {
  CallContext call(1, "m", 1, Clock::now() - 1ms);
  EXPECT_TRUE(call.cancelled());
  EXPECT_FALSE(call.cancel_requested());
  EXPECT_EQ(call.remaining(), Clock::duration::zero());
  EXPECT_FALSE(call.sleep_for(1h));
}

TEST(SdkCallContext, CancelWakesASleeper) {
  CallContext call(1, "m", 1, Clock::time_point::max());
  std::thread canceller([&] {
    std::this_thread::sleep_for(20ms);
    call.cancel();
  });
  EXPECT_FALSE(call.sleep_for(1h));
  canceller.join();
  EXPECT_TRUE(call.cancelled());
  EXPECT_TRUE(call.cancel_requested());
}

TEST(SdkCallContext, SleepEndsAtTheDeadline) {
  CallContext call(1, "m", 1, Clock::now() + 30ms);
  EXPECT_FALSE(call.sleep_for(1h));
  EXPECT_TRUE(call.cancelled());
}

TEST(SdkReply, OkAndErrorKeepTheirContent) {
  const auto ok = Reply::ok(std::string_view("abc"));
  EXPECT_TRUE(ok.is_ok());
  EXPECT_EQ(ok.payload().size(), 3u);
  const auto error = Reply::error(Code::unavailable, "down", true);
  EXPECT_FALSE(error.is_ok());
  EXPECT_EQ(error.failure().code, Code::unavailable);
  EXPECT_EQ(error.failure().message, "down");
  EXPECT_TRUE(error.failure().retryable);
  EXPECT_STREQ(code_name(Code::invalid_argument), "INVALID_ARGUMENT");
}

}  // namespace
}  // namespace stockade::sdk
