// CloseRequest: refuse new calls, drain, close(), exit 0; the grace bounds
// the drain. End of stream and protocol errors end the plugin too.
#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "tests/sdk/plugin_host.h"

namespace stockade::testing {
namespace {

using wire::fb::ErrorCode;

TEST(SdkClose, IdlePluginCallsCloseAndExits0) {
  PluginHost host(SDK_PROBE);
  ASSERT_TRUE(host.handshake());
  host.close_request(5000);
  EXPECT_EQ(host.wait_exit(), 0);
  EXPECT_NE(host.stderr_text().find("probe: close() called"), std::string::npos);
  EXPECT_TRUE(host.at_eof());
}

TEST(SdkClose, InFlightCallsFinishBeforeCloseAndNewOnesAreRefused) {
  PluginHost host(SDK_PROBE);
  ASSERT_TRUE(host.handshake());
  host.execute(1, "sleep", "300");
  std::this_thread::sleep_for(50ms);
  host.close_request(5000);
  host.execute(2, "echo", "too late");
  auto refused = host.execute_result();
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->id, 2u);
  EXPECT_EQ(refused->code, ErrorCode::UNAVAILABLE);
  EXPECT_EQ(refused->message, "closing: the plugin is shutting down");
  EXPECT_TRUE(refused->retryable);
  auto drained = host.execute_result();
  ASSERT_TRUE(drained);
  EXPECT_EQ(drained->id, 1u);
  EXPECT_EQ(drained->payload, "slept");
  EXPECT_EQ(host.wait_exit(), 0);
  EXPECT_NE(host.stderr_text().find("probe: close() called"), std::string::npos);
}

TEST(SdkClose, CallsStillRunningAtTheGraceAreCancelled) {
  PluginHost host(SDK_PROBE);
  ASSERT_TRUE(host.handshake());
  host.execute(1, "sleep", "60000");
  std::this_thread::sleep_for(50ms);
  host.close_request(100);
  auto result = host.execute_result();
  ASSERT_TRUE(result);
  EXPECT_EQ(result->code, ErrorCode::CANCELLED);
  EXPECT_EQ(host.wait_exit(), 0);
}

TEST(SdkClose, HealthIsStillAnsweredWhileDraining) {
  PluginHost host(SDK_PROBE);
  ASSERT_TRUE(host.handshake());
  host.execute(1, "sleep", "500");
  std::this_thread::sleep_for(50ms);
  host.close_request(5000);
  host.health(2);
  auto frame = host.receive();
  ASSERT_TRUE(frame);
  EXPECT_EQ((*frame)->body_type(), wire::fb::Body::HealthResponse);
  EXPECT_EQ(host.wait_exit(), 0);
}

TEST(SdkClose, CallThatIgnoresCancelDoesNotKeepThePluginAlive) {
  // hang never returns from execute(): after the grace and the cancel wait,
  // the SDK ends the process itself, without close().
  PluginHost host(plugin_binary("hang"));
  ASSERT_TRUE(host.handshake());
  host.execute(1, "anything", "");
  std::this_thread::sleep_for(50ms);
  host.close_request(100);
  EXPECT_EQ(host.wait_exit(5000ms), 0);
  EXPECT_NE(host.stderr_text().find("still running"), std::string::npos) << host.stderr_text();
}

TEST(SdkClose, HostHangingUpBetweenFramesEndsThePluginWith0) {
  PluginHost host(SDK_PROBE);
  ASSERT_TRUE(host.handshake());
  host.hang_up();
  EXPECT_EQ(host.wait_exit(), 0);
  // close() is for CloseRequest only.
  EXPECT_EQ(host.stderr_text().find("close() called"), std::string::npos);
}

TEST(SdkClose, HostHangingUpMidFrameEndsThePluginWith1) {
  PluginHost host(SDK_PROBE);
  ASSERT_TRUE(host.handshake());
  const std::uint8_t half[] = {100, 0, 0, 0, 1, 2, 3};
  host.send(half);
  host.hang_up();
  EXPECT_EQ(host.wait_exit(), 1);
  EXPECT_NE(host.stderr_text().find("middle of a frame"), std::string::npos);
}

TEST(SdkClose, MalformedFrameFromTheHostEndsThePluginWith1) {
  PluginHost host(SDK_PROBE);
  ASSERT_TRUE(host.handshake());
  const std::uint8_t junk[] = {8, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4};
  host.send(junk);
  EXPECT_EQ(host.wait_exit(), 1);
  EXPECT_NE(host.stderr_text().find("protocol error from the host"), std::string::npos)
      << host.stderr_text();
}

TEST(SdkClose, OversizedLengthFromTheHostEndsThePluginWith1) {
  PluginHost host(SDK_PROBE);
  ASSERT_TRUE(host.handshake(4, 64 * 1024));
  const std::uint32_t length = 64 * 1024 + 1;
  const std::uint8_t prefix[] = {static_cast<std::uint8_t>(length),
                                 static_cast<std::uint8_t>(length >> 8),
                                 static_cast<std::uint8_t>(length >> 16), 0};
  host.send(prefix);
  EXPECT_EQ(host.wait_exit(), 1);
}

TEST(SdkClose, BodyMeantForThePluginToSendEndsItWith1) {
  PluginHost host(SDK_PROBE);
  ASSERT_TRUE(host.handshake());
  auto frame = host.builder().encode_health_response(1, wire::fb::ServingStatus::SERVING, "");
  ASSERT_TRUE(frame);
  host.send(*frame);
  EXPECT_EQ(host.wait_exit(), 1);
  EXPECT_NE(host.stderr_text().find("unexpected HealthResponse"), std::string::npos);
}

TEST(SdkClose, DuplicateIdInFlightIsAProtocolError) {
  PluginHost host(SDK_PROBE);
  ASSERT_TRUE(host.handshake());
  host.execute(1, "sleep", "500");
  host.execute(1, "echo", "again");
  EXPECT_EQ(host.wait_exit(), 1);
  EXPECT_NE(host.stderr_text().find("already in flight"), std::string::npos);
}

}  // namespace
}  // namespace stockade::testing
