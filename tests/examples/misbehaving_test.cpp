// Each misbehaving plugin misbehaves exactly as documented (docs/plugin-authors.md, "Writing a plugin"), so
// the runtime's tests can rely on it.
#include <gtest/gtest.h>
#include <signal.h>

#include <stdexcept>
#include <string>

#include "tests/sdk/plugin_host.h"

namespace stockade::testing {
namespace {

using wire::fb::Body;
using wire::fb::ErrorCode;

TEST(Misbehaving, CrashOnRequestAbortsAndCrashOnceSucceedsOnTheSecondAttempt) {
  {
    PluginHost host(plugin_binary("crash_on_request"));
    ASSERT_TRUE(host.handshake());
    host.execute(1, "crash_once", "x", 0, 1);
    EXPECT_EQ(host.wait_exit(), 128 + SIGABRT);
  }
  {
    PluginHost host(plugin_binary("crash_on_request"));
    ASSERT_TRUE(host.handshake());
    host.execute(1, "crash_once", "retried", 0, 2);
    auto result = host.execute_result();
    ASSERT_TRUE(result);
    EXPECT_EQ(result->payload, "retried");
    host.execute(2, "segv", "");
    EXPECT_EQ(host.wait_exit(), 128 + SIGSEGV);
  }
}

TEST(Misbehaving, HangNeverAnswersButHealthDoes) {
  PluginHost host(plugin_binary("hang"));
  ASSERT_TRUE(host.handshake());
  host.execute(1, "x", "");
  host.health(2);
  auto frame = host.receive();
  ASSERT_TRUE(frame);
  EXPECT_EQ((*frame)->body_type(), Body::HealthResponse);
  EXPECT_FALSE(host.receive(300ms));
}

TEST(Misbehaving, SlowSleepsAndHonoursCancel) {
  PluginHost host(plugin_binary("slow"));
  ASSERT_TRUE(host.handshake());
  host.execute(1, "sleep", "50");
  auto done = host.execute_result();
  ASSERT_TRUE(done);
  EXPECT_EQ(done->payload, "slept 50 ms");
  host.execute(2, "sleep", "60000");
  host.cancel(2);
  auto cancelled = host.execute_result();
  ASSERT_TRUE(cancelled);
  EXPECT_EQ(cancelled->code, ErrorCode::CANCELLED);
  host.execute(3, "sleep", "60000", 100);
  auto late = host.execute_result();
  ASSERT_TRUE(late);
  EXPECT_EQ(late->code, ErrorCode::DEADLINE_EXCEEDED);
}

TEST(Misbehaving, ExitInHandshakeExits3WithoutHello) {
  PluginHost host(plugin_binary("exit_in_handshake"));
  EXPECT_FALSE(host.receive(1000ms));
  EXPECT_EQ(host.wait_exit(), 3);
}

TEST(Misbehaving, WrongVersionOffersOnly99AndExits1WhenRefused) {
  PluginHost host(plugin_binary("wrong_version"));
  auto hello = host.receive();
  ASSERT_TRUE(hello);
  const auto* versions = (*hello)->body_as_Hello()->versions();
  ASSERT_EQ(versions->size(), 1u);
  EXPECT_EQ(versions->Get(0), 99u);
  auto refusal = host.builder().encode_error(0, {ErrorCode::UNIMPLEMENTED, "no common version", false});
  ASSERT_TRUE(refusal);
  host.send(*refusal);
  EXPECT_EQ(host.wait_exit(), 1);
}

TEST(Misbehaving, GarbageFrameIsRefusedByTheDecoder) {
  PluginHost host(plugin_binary("garbage_frame"));
  ASSERT_TRUE(host.handshake());
  host.execute(1, "x", "");
  EXPECT_THROW(host.receive(), std::runtime_error);
}

TEST(Misbehaving, OversizedFrameIsRefusedOnItsLengthPrefix) {
  PluginHost host(plugin_binary("oversized_frame"));
  ASSERT_TRUE(host.handshake(4, 64 * 1024));
  host.execute(1, "x", "");
  try {
    host.receive();
    ADD_FAILURE() << "an oversized frame was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("malformed"), std::string::npos) << e.what();
  }
}

TEST(Misbehaving, StallMidFrameSendsHalfAFrameAndStops) {
  PluginHost host(plugin_binary("stall_mid_frame"));
  ASSERT_TRUE(host.handshake());
  host.execute(1, "x", "some payload to answer");
  EXPECT_FALSE(host.receive(300ms));
  EXPECT_FALSE(host.wait_exit(10ms));
}

TEST(Misbehaving, UnknownIdsPrecedeTheRealAnswer) {
  PluginHost host(plugin_binary("unknown_ids"));
  ASSERT_TRUE(host.handshake());
  host.execute(7, "x", "real");
  const std::uint64_t expected_ids[] = {1000007, 0, 7};
  for (const auto id : expected_ids) {
    auto result = host.execute_result();
    ASSERT_TRUE(result);
    EXPECT_EQ(result->id, id);
    EXPECT_EQ(result->payload, id == 7 ? "real" : "unknown");
  }
}

TEST(Misbehaving, StderrFloodWritesMegabytesOfControlCharacters) {
  PluginHost host(plugin_binary("stderr_flood"));
  ASSERT_TRUE(host.handshake());
  host.execute(1, "flood", "2");
  auto result = host.execute_result(20000ms);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->payload, "flooded 2097152 bytes");
  const auto text = host.stderr_text();
  EXPECT_GE(text.size(), 2u * 1024 * 1024 + 256 * 1024);
  EXPECT_NE(text.find("\x1b[2J"), std::string::npos);
}

TEST(Misbehaving, IgnoreCloseSurvivesCloseSigtermAndHangUp) {
  PluginHost host(plugin_binary("ignore_close"));
  ASSERT_TRUE(host.handshake());
  host.execute(1, "x", "alive");
  auto result = host.execute_result();
  ASSERT_TRUE(result);
  EXPECT_EQ(result->payload, "alive");
  host.close_request(0);
  EXPECT_FALSE(host.wait_exit(200ms));
  kill(host.pid(), SIGTERM);
  EXPECT_FALSE(host.wait_exit(200ms));
  host.hang_up();
  EXPECT_FALSE(host.wait_exit(200ms));
  kill(host.pid(), SIGKILL);
  EXPECT_EQ(host.wait_exit(), 128 + SIGKILL);
}

}  // namespace
}  // namespace stockade::testing
