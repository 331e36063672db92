// Many plugins on one supervisor (issue 13, target 5): what each idle plugin
// costs the supervisor in descriptors, counted for real in /proc/self/fd,
// and the bound on plugin folders refused with the option that sets it.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "stockade/config.h"
#include "tests/runtime/runtime_fixture.h"
#include "tests/support/host_processes.h"

namespace stockade::testing {
namespace {

namespace fs = std::filesystem;

// The echo example under another name (its manifest's name changed).
void add_echo_named(PluginsDir& dir, const std::string& name) {
  std::ifstream in(example_plugins_dir() + "/echo/plugin.json");
  auto manifest = nlohmann::json::parse(in);
  manifest["name"] = name;
  dir.add_binary(name, example_plugins_dir() + "/echo/echo", manifest);
}

TEST(RuntimeScale, AnIdlePluginHoldsAtMostFourOfTheSupervisorsDescriptors) {
  constexpr int kPlugins = 5;
  PluginsDir dir;
  for (int i = 0; i < kPlugins; ++i) add_echo_named(dir, "echo" + std::to_string(i));
  auto sup = make_supervisor(dir);
  // The first plugin brings the loop's own descriptors (epoll, its timer,
  // the sandbox's helpers): the baseline, not a plugin's cost.
  ASSERT_TRUE(sup->start("echo0"));
  ASSERT_TRUE(sup->execute("echo0", "echo", to_bytes("x")));
  const size_t before = open_fds().size();
  for (int i = 1; i < kPlugins; ++i) {
    const std::string name = "echo" + std::to_string(i);
    ASSERT_TRUE(sup->start(name));
    auto answer = sup->execute(name, "echo", to_bytes("hello"));
    ASSERT_TRUE(answer) << answer.error().describe();
    EXPECT_EQ(to_text(*answer), "hello");
  }
  // The protocol socket, the output pipe (stdout and stderr together), the
  // pidfd and the seccomp listener (was 9: two output pipes, dups of the
  // pidfd and the listener, the v2 cgroup directory, then 5 with
  // stockade-init's report pipe, now a mapped page: sandbox/report_page.h).
  // Transient fds of a launch are gone once it is over.
  constexpr size_t kBudget = 4;
  size_t held = 0;
  EXPECT_TRUE(eventually([&] {
    held = open_fds().size() - before;
    return held <= kBudget * (kPlugins - 1);
  })) << "fds per plugin: " << static_cast<double>(held) / (kPlugins - 1);
  sup.reset();
  EXPECT_TRUE(eventually([&] { return open_fds().size() < before; })) << "fds left behind";
}

TEST(RuntimeScale, TheFolderBoundIsRefusedNamingTheOperatorsField) {
  PluginsDir dir;
  dir.add("echo");
  for (int i = 0; i < 20; ++i) fs::create_directory(dir.path() + "/empty-" + std::to_string(i));
  supervisor::SupervisorOptions options;
  options.plugins_dir = dir.path();
  options.whitelist = dir.write_whitelist();
  options.max_plugin_folders = 20;
  auto refused = supervisor::Supervisor::create(options);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::limit);
  EXPECT_NE(refused.error().message().find("max_plugins"), std::string::npos) << refused.error().message();
  options.max_plugin_folders = 21;
  auto accepted = supervisor::Supervisor::create(options);
  ASSERT_TRUE(accepted) << accepted.error().message();
  EXPECT_EQ((*accepted)->plugins().size(), 1u);
}

}  // namespace
}  // namespace stockade::testing
