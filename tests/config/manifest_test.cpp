// plugin.json: every field read, defaults when absent, and every kind of
// mistake reported with the file and the exact key path.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/manifest.h"
#include "tests/support/temp_dir.h"

namespace stockade::supervisor {
namespace {

constexpr const char* kSource = "plugins/calc/plugin.json";

// The messages of every problem parse + validate find, in order.
std::vector<std::string> problems_of(const std::string& text) {
  Problems problems;
  auto manifest = parse_manifest(text, kSource, &problems);
  if (manifest) (void)validate_manifest(*manifest, &problems);
  std::vector<std::string> out;
  for (const auto& p : problems) out.push_back(p.message());
  return out;
}

std::string only_problem(const std::string& text) {
  auto all = problems_of(text);
  EXPECT_EQ(all.size(), 1u) << ::testing::PrintToString(all);
  return all.empty() ? "" : all.front();
}

TEST(Manifest, MinimalManifestGetsTheDocumentedDefaults) {
  auto m = parse_manifest(R"({"name": "calc"})", kSource);
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_TRUE(validate_manifest(*m));
  EXPECT_EQ(m->name, "calc");
  EXPECT_EQ(m->transport, "subprocess");
  EXPECT_EQ(m->endpoint, "");
  EXPECT_TRUE(m->args.empty());
  EXPECT_TRUE(m->env.empty());
  EXPECT_EQ(m->resources.max_memory_mb, 256u);
  EXPECT_EQ(m->resources.max_cpu_cores, 1.0);
  EXPECT_EQ(m->resources.max_cpu_seconds, 600u);
  EXPECT_EQ(m->resources.max_processes, 32u);
  EXPECT_EQ(m->resources.max_open_files, 256u);
  EXPECT_EQ(m->resources.max_file_size_mb, 16u);
  EXPECT_TRUE(m->sandbox.readonly_paths.empty());
  EXPECT_TRUE(m->sandbox.writable_paths.empty());
  EXPECT_EQ(m->sandbox.tmpfs_mb, 16u);
  EXPECT_EQ(m->sandbox.network, sandbox::Network::none);
  EXPECT_TRUE(m->sandbox.extra_syscalls.empty());
  EXPECT_FALSE(m->sandbox.allow_exec);
  EXPECT_FALSE(m->sandbox.allow_jit);
  EXPECT_EQ(m->resources.max_wall_seconds, 600u);
  EXPECT_EQ(m->execute.timeout_ms, 30000u);
  EXPECT_EQ(m->execute.max_concurrency, 16u);
  EXPECT_FALSE(m->execute.idempotent);
  EXPECT_EQ(m->execute.max_frame_kb, 4096u);
  EXPECT_EQ(m->retry.max_attempts, 3u);
  EXPECT_EQ(m->retry.initial_backoff_ms, 100u);
  EXPECT_EQ(m->retry.max_backoff_ms, 5000u);
  EXPECT_EQ(m->retry.multiplier, 2.0);
  EXPECT_EQ(m->retry.budget_percent, 20u);
  EXPECT_EQ(m->circuit_breaker.failure_threshold, 5u);
  EXPECT_EQ(m->circuit_breaker.open_ms, 30000u);
  EXPECT_EQ(m->circuit_breaker.half_open_probes, 1u);
  EXPECT_EQ(m->health.interval_ms, 10000u);
  EXPECT_EQ(m->health.timeout_ms, 2000u);
  EXPECT_EQ(m->health.failure_threshold, 3u);
  EXPECT_EQ(m->restart.max_restarts, 5u);
  EXPECT_EQ(m->restart.window_ms, 60000u);
  EXPECT_EQ(m->restart.backoff_ms, 1000u);
  EXPECT_TRUE(m->metadata.empty());
}

TEST(Manifest, EveryFieldIsRead) {
  auto m = parse_manifest(R"({
    "name": "calc", "version": "1.2.3", "description": "Calculator", "author": "team@x",
    "capabilities": ["arithmetic", "v1"], "transport": "subprocess", "endpoint": "bin/calc",
    "args": ["--mode", "fast"], "env": {"LANG": "C", "CALC_DEBUG": "1"},
    "resources": {"max_memory_mb": 128, "max_cpu_cores": 0.5, "max_cpu_seconds": 30,
                  "max_processes": 4, "max_open_files": 64, "max_file_size_mb": 0},
    "sandbox": {"readonly_paths": ["/opt/calc/data"], "writable_paths": ["/var/x"],
                "tmpfs_mb": 8, "network": "host", "extra_syscalls": ["sched_getattr"]},
    "execute": {"timeout_ms": 1000, "max_concurrency": 2, "idempotent": true, "max_frame_kb": 64},
    "retry": {"max_attempts": 5, "initial_backoff_ms": 10, "max_backoff_ms": 200,
              "multiplier": 1.5, "budget_percent": 10},
    "circuit_breaker": {"failure_threshold": 3, "open_ms": 1000, "half_open_probes": 2},
    "health": {"interval_ms": 500, "timeout_ms": 100, "failure_threshold": 2},
    "restart": {"max_restarts": 1, "window_ms": 5000, "backoff_ms": 50},
    "metadata": {"team": "platform"}
  })", kSource);
  ASSERT_TRUE(m) << m.error().message();
  ASSERT_TRUE(validate_manifest(*m));
  EXPECT_EQ(m->version, "1.2.3");
  EXPECT_EQ(m->description, "Calculator");
  EXPECT_EQ(m->author, "team@x");
  EXPECT_EQ(m->capabilities, (std::vector<std::string>{"arithmetic", "v1"}));
  EXPECT_EQ(m->endpoint, "bin/calc");
  EXPECT_EQ(m->args, (std::vector<std::string>{"--mode", "fast"}));
  EXPECT_EQ(m->env.at("LANG"), "C");
  EXPECT_EQ(m->env.at("CALC_DEBUG"), "1");
  EXPECT_EQ(m->resources.max_memory_mb, 128u);
  EXPECT_EQ(m->resources.max_cpu_cores, 0.5);
  EXPECT_EQ(m->resources.max_cpu_seconds, 30u);
  EXPECT_EQ(m->resources.max_processes, 4u);
  EXPECT_EQ(m->resources.max_open_files, 64u);
  EXPECT_EQ(m->resources.max_file_size_mb, 0u);
  EXPECT_EQ(m->sandbox.readonly_paths, (std::vector<std::string>{"/opt/calc/data"}));
  EXPECT_EQ(m->sandbox.writable_paths, (std::vector<std::string>{"/var/x"}));
  EXPECT_EQ(m->sandbox.tmpfs_mb, 8u);
  EXPECT_EQ(m->sandbox.network, sandbox::Network::host);
  EXPECT_EQ(m->sandbox.extra_syscalls, (std::vector<std::string>{"sched_getattr"}));
  EXPECT_EQ(m->execute.timeout_ms, 1000u);
  EXPECT_EQ(m->execute.max_concurrency, 2u);
  EXPECT_TRUE(m->execute.idempotent);
  EXPECT_EQ(m->execute.max_frame_kb, 64u);
  EXPECT_EQ(m->retry.max_attempts, 5u);
  EXPECT_EQ(m->retry.initial_backoff_ms, 10u);
  EXPECT_EQ(m->retry.max_backoff_ms, 200u);
  EXPECT_EQ(m->retry.multiplier, 1.5);
  EXPECT_EQ(m->retry.budget_percent, 10u);
  EXPECT_EQ(m->circuit_breaker.failure_threshold, 3u);
  EXPECT_EQ(m->circuit_breaker.open_ms, 1000u);
  EXPECT_EQ(m->circuit_breaker.half_open_probes, 2u);
  EXPECT_EQ(m->health.interval_ms, 500u);
  EXPECT_EQ(m->health.timeout_ms, 100u);
  EXPECT_EQ(m->health.failure_threshold, 2u);
  EXPECT_EQ(m->restart.max_restarts, 1u);
  EXPECT_EQ(m->restart.window_ms, 5000u);
  EXPECT_EQ(m->restart.backoff_ms, 50u);
  EXPECT_EQ(m->metadata.at("team"), "platform");
}

TEST(Manifest, WrongTypeNamesFileKeyPathRangeAndValue) {
  EXPECT_EQ(only_problem(R"({"name": "calc", "resources": {"max_memory_mb": "lots"}})"),
            "plugins/calc/plugin.json: resources.max_memory_mb: must be an integer from 1 to "
            "65536 (got \"lots\")");
  EXPECT_EQ(only_problem(R"({"name": "calc", "execute": {"idempotent": "yes"}})"),
            "plugins/calc/plugin.json: execute.idempotent: must be true or false (got \"yes\")");
  EXPECT_EQ(only_problem(R"({"name": 7})"),
            "plugins/calc/plugin.json: name: must be a string of 1 to 128 bytes (got 7)");
  EXPECT_EQ(only_problem(R"({"name": "calc", "sandbox": []})"),
            "plugins/calc/plugin.json: sandbox: must be an object (got [])");
  EXPECT_EQ(only_problem(R"({"name": "calc", "args": "a b"})"),
            "plugins/calc/plugin.json: args: must be an array of at most 256 strings (got \"a b\")");
  EXPECT_EQ(only_problem(R"({"name": "calc", "args": ["ok", 3]})"),
            "plugins/calc/plugin.json: args[1]: must be a string of at most 4096 bytes (got 3)");
  EXPECT_EQ(only_problem(R"({"name": "calc", "env": {"A": 1}})"),
            "plugins/calc/plugin.json: env.A: must be a string of at most 4096 bytes (got 1)");
}

TEST(Manifest, FloatsAreNotIntegersEvenWhenWhole) {
  EXPECT_EQ(only_problem(R"({"name": "calc", "resources": {"max_processes": 4.0}})"),
            "plugins/calc/plugin.json: resources.max_processes: must be an integer from 1 to "
            "65536 (got 4.0)");
}

TEST(Manifest, OutOfRangeValuesNameTheirKeyPath) {
  EXPECT_EQ(only_problem(R"({"name": "calc", "resources": {"max_memory_mb": 0}})"),
            "plugins/calc/plugin.json: resources.max_memory_mb: must be an integer from 1 to "
            "65536 (got 0)");
  EXPECT_EQ(only_problem(R"({"name": "calc", "resources": {"max_memory_mb": -5}})"),
            "plugins/calc/plugin.json: resources.max_memory_mb: must be an integer from 1 to "
            "65536 (got -5)");
  EXPECT_EQ(only_problem(R"({"name": "calc", "resources": {"max_cpu_cores": 2000}})"),
            "plugins/calc/plugin.json: resources.max_cpu_cores: must be a number from 0.01 to "
            "1024 (got 2000)");
  EXPECT_EQ(only_problem(R"({"name": "calc", "sandbox": {"tmpfs_mb": 0}})"),
            "plugins/calc/plugin.json: sandbox.tmpfs_mb: must be an integer from 1 to 65536 (got 0)");
  EXPECT_EQ(only_problem(R"({"name": "calc", "retry": {"max_attempts": 11}})"),
            "plugins/calc/plugin.json: retry.max_attempts: must be an integer from 1 to 10 (got 11)");
  EXPECT_EQ(only_problem(R"({"name": "calc", "retry": {"multiplier": 0.5}})"),
            "plugins/calc/plugin.json: retry.multiplier: must be a number from 1 to 10 (got 0.5)");
  EXPECT_EQ(only_problem(R"({"name": "calc", "circuit_breaker": {"open_ms": 5}})"),
            "plugins/calc/plugin.json: circuit_breaker.open_ms: must be an integer from 100 to "
            "3600000 (got 5)");
  EXPECT_EQ(only_problem(R"({"name": "calc", "health": {"failure_threshold": 0}})"),
            "plugins/calc/plugin.json: health.failure_threshold: must be an integer from 1 to 100 "
            "(got 0)");
  EXPECT_EQ(only_problem(R"({"name": "calc", "execute": {"max_frame_kb": 70000}})"),
            "plugins/calc/plugin.json: execute.max_frame_kb: must be an integer from 1 to 65536 "
            "(got 70000)");
  EXPECT_EQ(only_problem(R"({"name": "calc", "restart": {"window_ms": 10}})"),
            "plugins/calc/plugin.json: restart.window_ms: must be an integer from 1000 to "
            "86400000 (got 10)");
}

TEST(Manifest, UnknownKeysAreErrorsAtEveryLevel) {
  // The seeds' go-plugins manifest has "requirements"; stockade does not.
  EXPECT_EQ(only_problem(R"({"name": "calc", "requirements": {}})").substr(0, 63),
            "plugins/calc/plugin.json: requirements: unknown key (known here");
  EXPECT_EQ(only_problem(R"({"name": "calc", "resources": {"max_memory": 5}})"),
            "plugins/calc/plugin.json: resources.max_memory: unknown key (known here: "
            "max_memory_mb, max_cpu_cores, max_cpu_seconds, max_processes, max_open_files, "
            "max_file_size_mb, max_wall_seconds)");
  EXPECT_EQ(only_problem(R"({"name": "calc", "sandbox": {"odd key": 1}})").substr(0, 60),
            "plugins/calc/plugin.json: sandbox[\"odd key\"]: unknown key (k");
}

TEST(Manifest, NameIsRequiredAndFollowsTheWhitelistGrammar) {
  EXPECT_EQ(only_problem(R"({})"), "plugins/calc/plugin.json: name: missing required key");
  EXPECT_EQ(only_problem(R"({"name": "../etc"})"),
            "plugins/calc/plugin.json: name: must be 1 to 128 of [A-Za-z0-9._-], not starting "
            "with '.' or '-' (got \"../etc\")");
  EXPECT_EQ(only_problem(R"({"name": "-rf"})").substr(0, 32), "plugins/calc/plugin.json: name: ");
  EXPECT_EQ(only_problem(R"({"name": ")" + std::string(129, 'a') + R"("})").substr(0, 71),
            "plugins/calc/plugin.json: name: must be a string of 1 to 128 bytes (got");
  EXPECT_TRUE(problems_of(R"({"name": "calc-2.x_y"})").empty());
}

TEST(Manifest, TransportAndNetworkAreClosedChoices) {
  EXPECT_EQ(only_problem(R"({"name": "calc", "transport": "grpc"})"),
            "plugins/calc/plugin.json: transport: must be \"subprocess\" (got \"grpc\")");
  EXPECT_EQ(only_problem(R"({"name": "calc", "sandbox": {"network": "lan"}})"),
            "plugins/calc/plugin.json: sandbox.network: must be \"none\" or \"host\" (got \"lan\")");
}

TEST(Manifest, EndpointMustStayInsideTheManifestFolder) {
  EXPECT_EQ(only_problem(R"({"name": "calc", "endpoint": "/usr/bin/calc"})"),
            "plugins/calc/plugin.json: endpoint: must be a path relative to the manifest's "
            "folder, without \"..\" components (got \"/usr/bin/calc\")");
  EXPECT_EQ(problems_of(R"({"name": "calc", "endpoint": "bin/../../x"})").size(), 1u);
  EXPECT_EQ(problems_of(R"({"name": "calc", "endpoint": ".."})").size(), 1u);
  EXPECT_TRUE(problems_of(R"({"name": "calc", "endpoint": "./bin/calc"})").empty());
}

TEST(Manifest, EndpointIsResolvedAgainstTheManifestFolder) {
  Manifest m;
  m.name = "calc";
  m.folder = "/srv/plugins/calc";
  EXPECT_EQ(endpoint_path(m), "/srv/plugins/calc/calc");
  m.endpoint = "./bin/calc-plugin";
  EXPECT_EQ(endpoint_path(m), "/srv/plugins/calc/bin/calc-plugin");
}

TEST(Manifest, EnvNamesAreCheckedAndStockadeNamesReserved) {
  EXPECT_EQ(only_problem(R"({"name": "calc", "env": {"1X": "v"}})"),
            "plugins/calc/plugin.json: env.1X: variable names must match "
            "[A-Za-z_][A-Za-z0-9_]*");
  EXPECT_EQ(only_problem(R"({"name": "calc", "env": {"STOCKADE_COOKIE": "v"}})"),
            "plugins/calc/plugin.json: env.STOCKADE_COOKIE: names starting with STOCKADE_ are "
            "reserved for the supervisor");
}

TEST(Manifest, SandboxPathsAndSyscallNamesAreChecked) {
  EXPECT_EQ(only_problem(R"({"name": "calc", "sandbox": {"readonly_paths": ["/opt/../etc"]}})"),
            "plugins/calc/plugin.json: sandbox.readonly_paths[0]: must be an absolute path "
            "without \".\", \"..\" or empty components (got \"/opt/../etc\")");
  EXPECT_EQ(only_problem(R"({"name": "calc", "sandbox": {"readonly_paths": ["/ok", "rel"]}})")
                .substr(0, 61),
            "plugins/calc/plugin.json: sandbox.readonly_paths[1]: must be ");
  EXPECT_EQ(only_problem(R"({"name": "calc", "sandbox": {"extra_syscalls": ["Ptrace!"]}})"),
            "plugins/calc/plugin.json: sandbox.extra_syscalls[0]: must be a syscall name such as "
            "\"sched_setaffinity\" (got \"Ptrace!\")");
}

TEST(Manifest, RelatedFieldsMustAgree) {
  EXPECT_EQ(only_problem(R"({"name": "calc", "retry": {"initial_backoff_ms": 9000}})"),
            "plugins/calc/plugin.json: retry.initial_backoff_ms: must not exceed "
            "retry.max_backoff_ms (5000)");
  EXPECT_EQ(only_problem(R"({"name": "calc", "health": {"interval_ms": 1000, "timeout_ms": 1000}})"),
            "plugins/calc/plugin.json: health.timeout_ms: must be below health.interval_ms (1000)");
  // Large payloads are mapped in the plugin's memory and written to memfds
  // under its file size limit.
  EXPECT_EQ(only_problem(R"({"name": "calc", "execute": {"max_payload_mb": 300},
                             "resources": {"max_file_size_mb": 300}})"),
            "plugins/calc/plugin.json: execute.max_payload_mb: must not exceed resources.max_memory_mb "
            "(256): the plugin maps each payload and builds its answer in its own memory");
  EXPECT_EQ(only_problem(R"({"name": "calc", "execute": {"max_payload_mb": 32}})"),
            "plugins/calc/plugin.json: execute.max_payload_mb: must not exceed "
            "resources.max_file_size_mb (16): the plugin writes each large answer into a memfd, and "
            "the kernel holds memfds to the file size limit");
  EXPECT_EQ(only_problem(R"({"name": "calc", "execute": {"max_payload_mb": 70000}})"),
            "plugins/calc/plugin.json: execute.max_payload_mb: must be an integer from 0 to 65536 "
            "(got 70000)");
}

TEST(Manifest, EveryProblemIsReportedNotJustTheFirst) {
  auto all = problems_of(R"({"name": "calc", "resources": {"max_memory_mb": 0, "max_processes": 0},
                             "bogus": 1})");
  ASSERT_EQ(all.size(), 3u);
  EXPECT_NE(all[0].find("resources.max_memory_mb"), std::string::npos);
  EXPECT_NE(all[1].find("resources.max_processes"), std::string::npos);
  EXPECT_NE(all[2].find("bogus"), std::string::npos);
}

TEST(Manifest, MalformedJsonSaysWhere) {
  auto message = only_problem("{\"name\": \"calc\",\n  \"args\": [1,}\n");
  EXPECT_EQ(message.rfind("plugins/calc/plugin.json: invalid JSON: parse error at line 2", 0), 0u)
      << message;
  EXPECT_EQ(only_problem("[1, 2]"), "plugins/calc/plugin.json: must be a JSON object (got array)");
  EXPECT_EQ(only_problem(""), "plugins/calc/plugin.json: invalid JSON: parse error at line 1, "
                              "column 1: syntax error while parsing value - unexpected end of "
                              "input; expected '[', '{', or a literal");
}

TEST(Manifest, DuplicateKeysAreRefused) {
  EXPECT_EQ(only_problem(R"({"name": "calc", "resources": {"max_memory_mb": 1, "max_memory_mb": 9}})"),
            "plugins/calc/plugin.json: invalid JSON: duplicate key \"max_memory_mb\"");
}

TEST(Manifest, HostileInputIsBoundedAtTheDoor) {
  std::string deep = R"({"name": "calc", "metadata": )" + std::string(40, '[') +
                     std::string(40, ']') + "}";
  EXPECT_EQ(only_problem(deep), "plugins/calc/plugin.json: invalid JSON: nested deeper than 16 levels");
  std::string huge = R"({"name": "calc", "description": ")" + std::string(kMaxManifestBytes, 'x') + "\"}";
  EXPECT_EQ(only_problem(huge), "plugins/calc/plugin.json: larger than 1048576 bytes");
  std::string many_args = R"({"name": "calc", "args": [)";
  for (int i = 0; i < 300; ++i) many_args += std::string(i ? "," : "") + "\"a\"";
  EXPECT_EQ(only_problem(many_args + "]}"),
            "plugins/calc/plugin.json: args: must be an array of at most 256 strings (got 300)");
  EXPECT_EQ(only_problem(R"({"name": "calc", "args": ["a\u0000b"]})"),
            "plugins/calc/plugin.json: args[0]: must not contain NUL characters");
  EXPECT_EQ(only_problem(R"({"name": "calc", "description": "line\u001b[2J"})"),
            "plugins/calc/plugin.json: description: must not contain control characters (got "
            "\"line\\u001b[2J\")");
}

TEST(Manifest, LoadReadsAFileAndRecordsItsFolder) {
  testing::TempDir dir;
  testing::write_file(dir.file("plugin.json"), R"({"name": "calc", "endpoint": "calc-bin"})");
  auto m = load_manifest(dir.file("plugin.json"));
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(m->source, dir.file("plugin.json"));
  EXPECT_EQ(m->folder, dir.path());
  EXPECT_EQ(endpoint_path(*m), dir.file("calc-bin"));

  auto missing = load_manifest(dir.file("nope.json"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::not_found);
  EXPECT_EQ(missing.error().message(), dir.file("nope.json") + ": cannot open the manifest: No such file or directory");

  testing::write_file(dir.file("bad.json"), R"({"name": "calc", "resources": {"max_memory_mb": "lots"}})");
  auto bad = load_manifest(dir.file("bad.json"));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message(), dir.file("bad.json") +
                                       ": resources.max_memory_mb: must be an integer from 1 to "
                                       "65536 (got \"lots\")");
}

TEST(Manifest, ExecJitAndWallClockAreReadAndRangeChecked) {
  EXPECT_EQ(only_problem(R"({"name": "calc", "sandbox": {"allow_exec": "yes"}})"),
            "plugins/calc/plugin.json: sandbox.allow_exec: must be true or false (got \"yes\")");
  EXPECT_EQ(only_problem(R"({"name": "calc", "resources": {"max_wall_seconds": 0}})"),
            "plugins/calc/plugin.json: resources.max_wall_seconds: must be an integer from 1 to "
            "604800 (got 0)");
}

}  // namespace
}  // namespace stockade::supervisor
