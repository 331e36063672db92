// The echo plugin returns any payload unchanged, under any method.
#include <gtest/gtest.h>

#include <string>

#include "tests/sdk/plugin_host.h"

namespace stockade::testing {
namespace {

TEST(Echo, PayloadComesBackUnchangedUnderAnyMethod) {
  PluginHost host(plugin_binary("echo"));
  ASSERT_TRUE(host.handshake());
  std::string binary;
  for (int i = 0; i < 256; ++i) binary.push_back(static_cast<char>(i));
  const std::pair<const char*, std::string> cases[] = {
      {"echo", "hello"}, {"echo", ""}, {"anything", binary}, {"echo", std::string(3 << 20, 'q')}};
  std::uint64_t id = 0;
  for (const auto& [method, payload] : cases) {
    host.execute(++id, method, payload);
    auto result = host.execute_result();
    ASSERT_TRUE(result);
    EXPECT_TRUE(result->ok);
    EXPECT_EQ(result->payload, payload);
  }
  host.close_request(1000);
  EXPECT_EQ(host.wait_exit(), 0);
}

}  // namespace
}  // namespace stockade::testing
