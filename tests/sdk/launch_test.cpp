// A plugin started by hand says what it is and exits 1, whatever is missing.
#include <gtest/gtest.h>

#include "tests/sdk/plugin_host.h"

namespace stockade::testing {
namespace {

constexpr char kHandMessage[] =
    "echo: this is a stockade plugin; it is started by the stockade supervisor (see `stockade "
    "call --help`), not by hand.";

TEST(SdkLaunch, WithoutSocketOnFd3PrintsStartedByHandAndExits1) {
  PluginHost host(plugin_binary("echo"), {.socket_on_fd3 = false});
  EXPECT_EQ(host.wait_exit(), 1);
  EXPECT_NE(host.stderr_text().find(kHandMessage), std::string::npos) << host.stderr_text();
  EXPECT_NE(host.stderr_text().find("fd 3 is not open"), std::string::npos);
}

TEST(SdkLaunch, WithAFileOnFd3PrintsStartedByHandAndExits1) {
  PluginHost host(plugin_binary("echo"), {.socket_on_fd3 = false, .dev_null_on_fd3 = true});
  EXPECT_EQ(host.wait_exit(), 1);
  EXPECT_NE(host.stderr_text().find(kHandMessage), std::string::npos);
  EXPECT_NE(host.stderr_text().find("fd 3 is not a socket"), std::string::npos);
}

TEST(SdkLaunch, WithoutCookiePrintsStartedByHandAndExits1) {
  PluginHost host(plugin_binary("echo"), {.cookie = false});
  EXPECT_EQ(host.wait_exit(), 1);
  EXPECT_NE(host.stderr_text().find(kHandMessage), std::string::npos);
  EXPECT_NE(host.stderr_text().find("STOCKADE_PLUGIN_COOKIE is not set"), std::string::npos);
}

TEST(SdkLaunch, StartedByHandWritesNothingToTheSocket) {
  PluginHost host(plugin_binary("echo"), {.cookie = false});
  EXPECT_EQ(host.wait_exit(), 1);
  EXPECT_FALSE(host.receive(100ms).has_value());
}

}  // namespace
}  // namespace stockade::testing
