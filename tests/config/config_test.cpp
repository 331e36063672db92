// The operator config: defaults, every field, strictness, and the checks that
// keep an operator from granting what must never be granted.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/config.h"
#include "tests/support/temp_dir.h"

namespace stockade::supervisor {
namespace {

std::vector<std::string> problems_of(const std::string& text) {
  Problems problems;
  auto config = parse_config(text, "stockade.json", &problems);
  if (config) (void)validate_config(*config, &problems);
  std::vector<std::string> out;
  for (const auto& p : problems) out.push_back(p.message());
  return out;
}

TEST(Config, EmptyConfigGetsSafeDefaults) {
  auto c = parse_config("{}", "stockade.json");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_TRUE(validate_config(*c));
  EXPECT_EQ(c->plugins_dir, "");
  EXPECT_EQ(c->whitelist, "");
  EXPECT_EQ(c->ceilings.max_memory_mb, 1024u);
  EXPECT_EQ(c->ceilings.max_cpu_cores, 2.0);
  EXPECT_EQ(c->ceilings.max_cpu_seconds, 3600u);
  EXPECT_EQ(c->ceilings.max_processes, 256u);
  EXPECT_EQ(c->ceilings.max_open_files, 1024u);
  EXPECT_EQ(c->ceilings.max_file_size_mb, 1024u);
  EXPECT_EQ(c->ceilings.max_tmpfs_mb, 256u);
  EXPECT_FALSE(c->ceilings.allow_network);
  EXPECT_TRUE(c->ceilings.allowed_readonly_paths.empty());
  EXPECT_TRUE(c->ceilings.allowed_syscalls.empty());
  EXPECT_EQ(c->sandbox.uid, 65534u);
  EXPECT_EQ(c->sandbox.gid, 65534u);
}

TEST(Config, EveryFieldIsRead) {
  auto c = parse_config(R"({
    "plugins_dir": "/srv/plugins", "whitelist": "/etc/stockade/whitelist",
    "ceilings": {"max_memory_mb": 2048, "max_cpu_cores": 4, "max_cpu_seconds": 60,
                 "max_processes": 10, "max_open_files": 100, "max_file_size_mb": 5,
                 "max_tmpfs_mb": 64, "allow_network": true,
                 "allowed_readonly_paths": ["/opt/data"], "allowed_syscalls": ["sched_getattr"]},
    "sandbox": {"uid": 12345, "gid": 23456}
  })", "stockade.json");
  ASSERT_TRUE(c) << c.error().message();
  ASSERT_TRUE(validate_config(*c));
  EXPECT_EQ(c->plugins_dir, "/srv/plugins");
  EXPECT_EQ(c->whitelist, "/etc/stockade/whitelist");
  EXPECT_EQ(c->ceilings.max_memory_mb, 2048u);
  EXPECT_EQ(c->ceilings.max_cpu_cores, 4.0);
  EXPECT_EQ(c->ceilings.max_cpu_seconds, 60u);
  EXPECT_EQ(c->ceilings.max_processes, 10u);
  EXPECT_EQ(c->ceilings.max_open_files, 100u);
  EXPECT_EQ(c->ceilings.max_file_size_mb, 5u);
  EXPECT_EQ(c->ceilings.max_tmpfs_mb, 64u);
  EXPECT_TRUE(c->ceilings.allow_network);
  EXPECT_EQ(c->ceilings.allowed_readonly_paths, (std::vector<std::string>{"/opt/data"}));
  EXPECT_EQ(c->ceilings.allowed_syscalls, (std::vector<std::string>{"sched_getattr"}));
  EXPECT_EQ(c->sandbox.uid, 12345u);
  EXPECT_EQ(c->sandbox.gid, 23456u);
}

TEST(Config, MistakesNameTheFileAndKeyPath) {
  EXPECT_EQ(problems_of(R"({"ceilings": {"max_memory_mb": "lots"}})"),
            std::vector<std::string>{"stockade.json: ceilings.max_memory_mb: must be an integer "
                                     "from 1 to 65536 (got \"lots\")"});
  EXPECT_EQ(problems_of(R"({"ceilings": {"allow_network": 1}})"),
            std::vector<std::string>{
                "stockade.json: ceilings.allow_network: must be true or false (got 1)"});
  EXPECT_EQ(problems_of(R"({"plugin_dir": "/x"})"),
            std::vector<std::string>{"stockade.json: plugin_dir: unknown key (known here: "
                                     "plugins_dir, whitelist, max_plugins, cache_digests, spin_wait, ceilings, sandbox, "
                                     "control, "
                                     "clients, autostart, metrics)"});
}

// A switch that is on unless the config says false, and only a bool.
void expect_switch_on_by_default(const std::string& key, bool Config::*field) {
  auto defaults = parse_config("{}", "stockade.json");
  ASSERT_TRUE(defaults) << defaults.error().message();
  EXPECT_TRUE((*defaults).*field) << key;
  auto off = parse_config("{\"" + key + "\": false}", "stockade.json");
  ASSERT_TRUE(off) << off.error().message();
  EXPECT_FALSE((*off).*field) << key;
  EXPECT_EQ(problems_of("{\"" + key + "\": \"no\"}"),
            std::vector<std::string>{"stockade.json: " + key + ": must be true or false (got \"no\")"});
}

TEST(Config, CacheDigestsAndSpinWaitAreOnByDefaultAndCanBeTurnedOff) {
  expect_switch_on_by_default("cache_digests", &Config::cache_digests);
  expect_switch_on_by_default("spin_wait", &Config::spin_wait);
}

TEST(Config, MaxPluginsBoundsThePluginsFolderAndARangeMistakeNamesIt) {
  auto defaults = parse_config("{}", "stockade.json");
  ASSERT_TRUE(defaults) << defaults.error().message();
  EXPECT_EQ(defaults->max_plugins, 100000u);
  auto c = parse_config(R"({"max_plugins": 20000})", "stockade.json");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->max_plugins, 20000u);
  EXPECT_EQ(problems_of(R"({"max_plugins": 0})"),
            std::vector<std::string>{"stockade.json: max_plugins: must be an integer from 1 to 1000000 (got 0)"});
  EXPECT_EQ(problems_of(R"({"max_plugins": 2000000})"),
            std::vector<std::string>{
                "stockade.json: max_plugins: must be an integer from 1 to 1000000 (got 2000000)"});
}

TEST(Config, NeverGrantableSyscallsCannotBeListed) {
  auto problems = problems_of(R"({"ceilings": {"allowed_syscalls": ["sched_getattr", "ptrace"]}})");
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].rfind("stockade.json: ceilings.allowed_syscalls[1]: syscall ptrace can "
                              "never be granted",
                              0),
            0u)
      << problems[0];
  EXPECT_EQ(problems_of(R"({"ceilings": {"allowed_syscalls": ["no_such_call"]}})"),
            std::vector<std::string>{"stockade.json: ceilings.allowed_syscalls[0]: unknown "
                                     "syscall no_such_call on this architecture"});
}

TEST(Config, ReadonlyPrefixesMustBeNormalizedAbsolutePaths) {
  EXPECT_EQ(problems_of(R"({"ceilings": {"allowed_readonly_paths": ["/opt/../etc"]}})"),
            std::vector<std::string>{"stockade.json: ceilings.allowed_readonly_paths[0]: must be "
                                     "an absolute path without \".\", \"..\" or empty components "
                                     "(got \"/opt/../etc\")"});
}

TEST(Config, SandboxIdsMustNotBeRoot) {
  EXPECT_EQ(problems_of(R"({"sandbox": {"uid": 0, "gid": 0}})"),
            (std::vector<std::string>{
                "stockade.json: sandbox.uid: must not be 0: the plugin would own root's files",
                "stockade.json: sandbox.gid: must not be 0: the plugin would own root's files"}));
}

TEST(Config, RelativePathsAreResolvedAgainstTheConfigFolder) {
  testing::TempDir dir;
  testing::write_file(dir.file("stockade.json"),
                      R"({"plugins_dir": "plugins", "whitelist": "/etc/wl"})");
  auto c = load_config(dir.file("stockade.json"));
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->plugins_dir, dir.file("plugins"));
  EXPECT_EQ(c->whitelist, "/etc/wl");
  EXPECT_EQ(c->source, dir.file("stockade.json"));
}

}  // namespace
}  // namespace stockade::supervisor
