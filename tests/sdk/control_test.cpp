// Health and Info: answered from their own thread, so a saturated worker pool
// or a hung call never makes the plugin look dead.
#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "tests/sdk/plugin_host.h"

namespace stockade::testing {
namespace {

TEST(SdkControl, HealthAnswersServingWithThePluginsMessage) {
  PluginHost host(SDK_PROBE);
  ASSERT_TRUE(host.handshake());
  host.health(11);
  auto frame = host.receive();
  ASSERT_TRUE(frame);
  EXPECT_EQ((*frame)->id(), 11u);
  ASSERT_EQ((*frame)->body_type(), wire::fb::Body::HealthResponse);
  EXPECT_EQ((*frame)->body_as_HealthResponse()->status(), wire::fb::ServingStatus::SERVING);
  EXPECT_EQ(wire::view((*frame)->body_as_HealthResponse()->message()), "probe ok");
}

TEST(SdkControl, HealthIsAnsweredWhileEveryWorkerIsBusy) {
  PluginHost host(SDK_PROBE);
  ASSERT_TRUE(host.handshake(1));
  host.execute(1, "sleep", "30000");
  host.health(2);
  auto frame = host.receive(3000ms);
  ASSERT_TRUE(frame);
  EXPECT_EQ((*frame)->id(), 2u);
  EXPECT_EQ((*frame)->body_type(), wire::fb::Body::HealthResponse);
}

TEST(SdkControl, InfoCarriesEveryField) {
  PluginHost host(SDK_PROBE);
  ASSERT_TRUE(host.handshake());
  host.info(3);
  auto frame = host.receive();
  ASSERT_TRUE(frame);
  ASSERT_EQ((*frame)->body_type(), wire::fb::Body::InfoResponse);
  const auto* info = (*frame)->body_as_InfoResponse();
  EXPECT_EQ(wire::view(info->name()), "sdk_probe");
  EXPECT_EQ(wire::view(info->version()), "0.1.0");
  EXPECT_EQ(wire::view(info->description()), "SDK test probe");
  ASSERT_EQ(info->capabilities()->size(), 1u);
  EXPECT_EQ(wire::view(info->capabilities()->Get(0)), "probe");
  EXPECT_EQ(info->methods()->size(), 8u);  // the probe lists 8 methods
  EXPECT_EQ(wire::view(info->methods()->Get(0)), "echo");
  ASSERT_EQ(info->metadata()->size(), 1u);
  EXPECT_EQ(wire::view(info->metadata()->Get(0)->key()), "purpose");
  EXPECT_EQ(wire::view(info->metadata()->Get(0)->value()), "tests");
}

TEST(SdkControl, UnhealthyPluginSaysNotServingAndStillExecutes) {
  PluginHost host(plugin_binary("unhealthy"));
  ASSERT_TRUE(host.handshake());
  host.health(1);
  auto frame = host.receive();
  ASSERT_TRUE(frame);
  EXPECT_EQ((*frame)->body_as_HealthResponse()->status(), wire::fb::ServingStatus::NOT_SERVING);
  EXPECT_EQ(wire::view((*frame)->body_as_HealthResponse()->message()),
            "backend unreachable (simulated)");
  host.execute(2, "echo", "fine");
  auto result = host.execute_result();
  ASSERT_TRUE(result);
  EXPECT_EQ(result->payload, "fine");
}

TEST(SdkControl, HungHealthLeavesExecuteWorkingAndBacklogIsBounded) {
  PluginHost host(plugin_binary("unhealthy"));
  ASSERT_TRUE(host.handshake());
  host.execute(1, "hang_health", "");
  ASSERT_TRUE(host.execute_result());
  // The first check hangs in health() and 16 wait behind it (15 if the
  // control thread had not yet taken the first off the queue); the rest are
  // answered NOT_SERVING at once instead of piling up.
  for (std::uint64_t id = 100; id < 140; ++id) host.health(id);
  int backlog = 0;
  while (auto frame = host.receive(500ms)) {
    ASSERT_EQ((*frame)->body_type(), wire::fb::Body::HealthResponse);
    EXPECT_EQ(wire::view((*frame)->body_as_HealthResponse()->message()),
              "health backlog: earlier checks have not returned");
    ++backlog;
  }
  EXPECT_GE(backlog, 40 - 1 - 16);
  EXPECT_LE(backlog, 40 - 16);
  host.execute(2, "echo", "still serving");
  auto result = host.execute_result();
  ASSERT_TRUE(result);
  EXPECT_EQ(result->payload, "still serving");
}

}  // namespace
}  // namespace stockade::testing
