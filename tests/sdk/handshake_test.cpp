// The plugin's half of the handshake: Hello contents, version negotiation,
// refusal, and what comes right behind HelloAck.
#include <gtest/gtest.h>

#include <string>

#include "tests/sdk/plugin_host.h"

namespace stockade::testing {
namespace {

TEST(SdkHandshake, HelloCarriesVersionOneNameVersionAndCookie) {
  PluginHost host(SDK_PROBE);
  auto hello = host.receive();
  ASSERT_TRUE(hello);
  ASSERT_EQ((*hello)->body_type(), wire::fb::Body::Hello);
  const auto* body = (*hello)->body_as_Hello();
  ASSERT_NE(body->versions(), nullptr);
  ASSERT_EQ(body->versions()->size(), 1u);
  EXPECT_EQ(body->versions()->Get(0), wire::kProtocolVersion);
  EXPECT_EQ(wire::view(body->name()), "sdk_probe");
  EXPECT_EQ(wire::view(body->version()), "0.1.0");
  EXPECT_EQ(wire::view(body->cookie()), PluginHost::kCookie);
}

TEST(SdkHandshake, HostErrorEndsThePluginWithExit1AndTheReason) {
  PluginHost host(SDK_PROBE);
  ASSERT_TRUE(host.receive());
  auto refusal = host.builder().encode_error(
      0, {wire::fb::ErrorCode::INVALID_ARGUMENT, "no common protocol version", false});
  ASSERT_TRUE(refusal);
  host.send(*refusal);
  EXPECT_EQ(host.wait_exit(), 1);
  EXPECT_NE(host.stderr_text().find("no common protocol version"), std::string::npos)
      << host.stderr_text();
}

TEST(SdkHandshake, AckWithAnotherVersionEndsThePluginWithExit1) {
  PluginHost host(SDK_PROBE);
  ASSERT_TRUE(host.receive());
  auto ack = host.builder().encode_hello_ack(0, {2, wire::kDefaultMaxFrame, 4});
  ASSERT_TRUE(ack);
  host.send(*ack);
  EXPECT_EQ(host.wait_exit(), 1);
  EXPECT_NE(host.stderr_text().find("protocol version 2"), std::string::npos) << host.stderr_text();
}

TEST(SdkHandshake, AnswerOtherThanAckOrErrorEndsThePluginWithExit1) {
  PluginHost host(SDK_PROBE);
  ASSERT_TRUE(host.receive());
  auto wrong = host.builder().encode_health_request(0);
  ASSERT_TRUE(wrong);
  host.send(*wrong);
  EXPECT_EQ(host.wait_exit(), 1);
  EXPECT_NE(host.stderr_text().find("expected HelloAck"), std::string::npos);
}

TEST(SdkHandshake, HostHangingUpBeforeAckEndsThePluginWithExit1) {
  PluginHost host(SDK_PROBE);
  ASSERT_TRUE(host.receive());
  host.hang_up();
  EXPECT_EQ(host.wait_exit(), 1);
}

TEST(SdkHandshake, GarbageAnswerEndsThePluginWithExit1) {
  PluginHost host(SDK_PROBE);
  ASSERT_TRUE(host.receive());
  const std::uint8_t junk[] = {8, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8};
  host.send(junk);
  EXPECT_EQ(host.wait_exit(), 1);
  EXPECT_NE(host.stderr_text().find("malformed"), std::string::npos) << host.stderr_text();
}

TEST(SdkHandshake, RequestSentInTheSameWriteAsTheAckIsServed) {
  PluginHost host(SDK_PROBE);
  ASSERT_TRUE(host.receive());
  std::string both;
  auto ack = host.builder().encode_hello_ack(0, {1, wire::kDefaultMaxFrame, 4});
  ASSERT_TRUE(ack);
  both.append(reinterpret_cast<const char*>(ack->data()), ack->size());
  auto request = host.builder().encode_execute_request(
      7, "echo", std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>("hi"), 2), 0, 1);
  ASSERT_TRUE(request);
  both.append(reinterpret_cast<const char*>(request->data()), request->size());
  host.send({reinterpret_cast<const std::uint8_t*>(both.data()), both.size()});
  auto result = host.execute_result();
  ASSERT_TRUE(result);
  EXPECT_EQ(result->id, 7u);
  EXPECT_TRUE(result->ok);
  EXPECT_EQ(result->payload, "hi");
}

}  // namespace
}  // namespace stockade::testing
