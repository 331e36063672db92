// ControlBuilder holds its output to the decoder's rules: it refuses what the
// peer would refuse, before sending, with the limit or field named.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "control/builder.h"

namespace stockade::control {
namespace {

TEST(ControlBuilder, RefusesAPayloadBeyondMaxFrameBeforeBuildingIt) {
  ControlBuilder builder({.max_frame = 1024});
  const std::vector<std::uint8_t> payload(2000, 1);
  auto frame = builder.encode_call_reply(1, payload);
  ASSERT_FALSE(frame);
  EXPECT_EQ(frame.error().code, Errc::limit);
  EXPECT_NE(frame.error().what.find("more than max_frame 1024"), std::string::npos);
}

TEST(ControlBuilder, RefusesAFrameThatEndsUpOverMaxFrame) {
  ControlBuilder builder({.max_frame = 64});
  auto frame = builder.encode(1, MetricsReplyInfo{std::string(60, 'x')});
  ASSERT_FALSE(frame);
  EXPECT_EQ(frame.error().code, Errc::limit);
  EXPECT_NE(frame.error().what.find("MetricsReply frame body has"), std::string::npos);
}

TEST(ControlBuilder, RefusesTooManyPluginsOrListItems) {
  ControlBuilder builder;
  StatusReplyInfo status;
  status.plugins.resize(1025, PluginStatusInfo{.name = "p"});
  auto frame = builder.encode(1, status);
  ASSERT_FALSE(frame);
  EXPECT_NE(frame.error().what.find("StatusReply.plugins has 1025 items (limit 1024)"),
            std::string::npos);
  InfoReplyInfo info;
  info.capabilities.assign(257, "c");
  frame = builder.encode(1, info);
  ASSERT_FALSE(frame);
  EXPECT_NE(frame.error().what.find("InfoReply.capabilities has 257 items"), std::string::npos);
}

TEST(ControlBuilder, RefusesMissingRequiredFieldsAsInvalidInput) {
  ControlBuilder builder;
  auto frame = builder.encode_call(1, "", "echo", {});
  ASSERT_FALSE(frame);
  EXPECT_EQ(frame.error().code, Errc::invalid_input);
  EXPECT_EQ(frame.error().where, "ControlBuilder");
  EXPECT_NE(frame.error().what.find("Call.plugin is empty"), std::string::npos);
  frame = builder.encode(1, RestartRequest{});
  ASSERT_FALSE(frame);
  EXPECT_NE(frame.error().what.find("Restart.plugin is empty"), std::string::npos);
  frame = builder.encode(1, StatusReplyInfo{{PluginStatusInfo{}}});
  ASSERT_FALSE(frame);
  EXPECT_NE(frame.error().what.find("StatusReply.plugins[0].name is empty"), std::string::npos);
}

TEST(ControlBuilder, IsReusableAfterARefusal) {
  ControlBuilder builder({.max_frame = 256});
  EXPECT_FALSE(builder.encode(1, MetricsReplyInfo{std::string(300, 'x')}));
  auto frame = builder.encode(2, MetricsReplyInfo{"ok"});
  EXPECT_TRUE(frame) << frame.error().message();
}

}  // namespace
}  // namespace stockade::control
