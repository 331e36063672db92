// Large payloads in sealed memfds, the SDK's half (PROTOCOL.md, "Large
// payloads"): it offers them in Hello, hands a handler the mapped request,
// answers from the threshold up in a sealed memfd of its own, keeps small
// answers inline, and refuses a host memfd that breaks the rules.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <span>
#include <string>

#include "base/payload_memfd.h"
#include "tests/sdk/plugin_host.h"

namespace stockade::testing {
namespace {

constexpr std::uint32_t kThreshold = 64 * 1024;
constexpr std::uint64_t kMaxPayload = 16u << 20;

std::span<const std::uint8_t> as_bytes(const std::string& text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

std::string pattern(std::size_t size) {
  std::string text(size, '\0');
  for (std::size_t i = 0; i < size; ++i) text[i] = static_cast<char>('a' + (i * 7 + (i >> 10)) % 26);
  return text;
}

TEST(SdkMemfd, HelloOffersMemfdPayloads) {
  PluginHost host(SDK_PROBE);
  auto hello = host.handshake(16, wire::kDefaultMaxFrame, kThreshold, kMaxPayload);
  ASSERT_TRUE(hello);
  EXPECT_TRUE((*hello)->body_as_Hello()->memfd_payloads());
}

TEST(SdkMemfd, AMappedRequestIsEchoedInASealedMemfdAndSmallAnswersStayInline) {
  PluginHost host(SDK_PROBE);
  ASSERT_TRUE(host.handshake(16, wire::kDefaultMaxFrame, kThreshold, kMaxPayload));
  // 6 MiB: beyond the 4 MiB frame, so only a memfd can carry it either way.
  const std::string large = pattern(6u << 20);
  auto memfd = make_payload_memfd(as_bytes(large));
  ASSERT_TRUE(memfd) << memfd.error().message();
  host.execute_memfd(7, "echo", memfd->get(), large.size());
  auto result = host.execute_result();
  ASSERT_TRUE(result);
  EXPECT_EQ(result->id, 7u);
  ASSERT_TRUE(result->ok) << result->message;
  EXPECT_TRUE(result->in_memfd);
  EXPECT_TRUE(result->payload == large);

  host.execute(8, "echo", "small");
  auto small = host.execute_result();
  ASSERT_TRUE(small);
  EXPECT_TRUE(small->ok);
  EXPECT_FALSE(small->in_memfd);
  EXPECT_EQ(small->payload, "small");
}

TEST(SdkMemfd, AnAnswerOverTheGrantedBoundIsAnError) {
  PluginHost host(SDK_PROBE);
  ASSERT_TRUE(host.handshake(16, wire::kDefaultMaxFrame, kThreshold, 1u << 20));
  const std::string request = pattern(2u << 20);
  // The request may come inline (it is under max_frame); the answer of the
  // same size is over the 1 MiB the host granted.
  host.execute(9, "echo", request);
  auto result = host.execute_result();
  ASSERT_TRUE(result);
  EXPECT_FALSE(result->ok);
  EXPECT_EQ(result->code, wire::fb::ErrorCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(result->message.find("execute.max_payload_mb"), std::string::npos) << result->message;
}

TEST(SdkMemfd, AnUnsealedHostMemfdIsAProtocolError) {
  PluginHost host(SDK_PROBE);
  ASSERT_TRUE(host.handshake(16, wire::kDefaultMaxFrame, kThreshold, kMaxPayload));
  UniqueFd fd(memfd_create("unsealed", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  ASSERT_TRUE(fd);
  ASSERT_EQ(write(fd.get(), "0123456789", 10), 10);
  host.execute_memfd(1, "echo", fd.get(), 10);
  EXPECT_EQ(host.wait_exit(), 1);
  EXPECT_NE(host.stderr_text().find("not sealed against writes"), std::string::npos) << host.stderr_text();
}

TEST(SdkMemfd, AThresholdWithoutABoundEndsTheHandshake) {
  PluginHost host(SDK_PROBE);
  ASSERT_TRUE(host.handshake(16, wire::kDefaultMaxFrame, kThreshold, 0));
  EXPECT_EQ(host.wait_exit(), 1);
  EXPECT_NE(host.stderr_text().find("memfd_threshold"), std::string::npos) << host.stderr_text();
}

}  // namespace
}  // namespace stockade::testing
