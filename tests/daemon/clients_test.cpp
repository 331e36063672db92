// The clients of `stockade serve` end to end: the real daemon as a child
// process (DaemonHost), and against it the real `stockade` program's call
// --socket, status, reload, restart and metrics, control::ControlClient with
// calls in flight from many threads, and the Python client (stockade_client)
// run by /usr/bin/python3 on the build's generated classes.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "control/client.h"
#include "control/protocol.h"
#include "tests/daemon/daemon_fixture.h"
#include "tests/support/command.h"

namespace stockade::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

CommandOutcome stockade(std::vector<std::string> args) {
  args.insert(args.begin(), stockade_binary());
  return run_command(args);
}

std::string all_of(const CommandOutcome& o) {
  return "exit " + std::to_string(o.code) + "\nstdout: " + o.out + "\nstderr: " + o.err;
}

class Clients : public ::testing::Test {
 protected:
  void SetUp() override { host_.start(); }
  void TearDown() override {
    host_.signal(SIGTERM);
    EXPECT_EQ(host_.wait_exit(), 0) << host_.log();
  }
  DaemonHost host_;
};

TEST_F(Clients, CallPrintsThePayloadAndExitsAsTheInProcessCall) {
  auto ok = stockade({"call", "--socket", host_.socket_path(), "echo", "--data", "hello daemon"});
  EXPECT_EQ(ok.code, 0) << all_of(ok);
  EXPECT_EQ(ok.out, "hello daemon");

  // Options after PLUGIN, and the payload from a file.
  const std::string data = host_.path() + "/request.bin";
  write_file(data, "from a file", 0644);
  auto file = stockade({"call", "echo", "--socket", host_.socket_path(), "--data-file", data});
  EXPECT_EQ(file.code, 0) << all_of(file);
  EXPECT_EQ(file.out, "from a file");

  auto missing = stockade({"call", "--socket", host_.socket_path(), "no-such-plugin"});
  EXPECT_EQ(missing.code, 127) << all_of(missing);
  EXPECT_NE(missing.err.find("stockade: call failed: NOT_FOUND"), std::string::npos) << all_of(missing);

  auto info = stockade({"call", "--socket", host_.socket_path(), "echo", "--info"});
  EXPECT_EQ(info.code, 0) << all_of(info);
  EXPECT_NE(info.out.find("name: echo\n"), std::string::npos) << all_of(info);

  auto health = stockade({"call", "--socket", host_.socket_path(), "echo", "--health"});
  EXPECT_EQ(health.code, 0) << all_of(health);
  EXPECT_EQ(health.out.rfind("SERVING", 0), 0u) << all_of(health);

  // The in-process options do not mix with --socket.
  auto mixed = stockade({"call", "--socket", host_.socket_path(), "--dev", "echo"});
  EXPECT_EQ(mixed.code, 125) << all_of(mixed);
}

TEST_F(Clients, CallsDeadlineIsTheDaemonsDeadlineExceeded) {
  // "slow" sleeps for the number of milliseconds it is sent.
  auto late = stockade({"call", "--socket", host_.socket_path(), "slow", "--data", "3000",
                        "--timeout", "200"});
  EXPECT_EQ(late.code, 124) << all_of(late);
  EXPECT_NE(late.err.find("DEADLINE_EXCEEDED"), std::string::npos) << all_of(late);
}

TEST_F(Clients, TheSocketComesFromTheEnvironmentWithoutTheFlag) {
  auto status = run_command({"/usr/bin/env", "STOCKADE_SOCKET=" + host_.socket_path(),
                             stockade_binary(), "status"});
  EXPECT_EQ(status.code, 0) << all_of(status);
  auto call = run_command({"/usr/bin/env", "STOCKADE_SOCKET=" + host_.socket_path(),
                           stockade_binary(), "call", "echo", "--data", "via env"});
  EXPECT_EQ(call.code, 0) << all_of(call);
  EXPECT_EQ(call.out, "via env");
}

TEST_F(Clients, StatusAsTextAndJson) {
  ASSERT_EQ(stockade({"call", "--socket", host_.socket_path(), "echo", "--data", "x"}).code, 0);
  auto text = stockade({"status", "--socket", host_.socket_path()});
  EXPECT_EQ(text.code, 0) << all_of(text);
  EXPECT_NE(text.out.find("echo: ready (breaker closed, pid "), std::string::npos) << all_of(text);
  EXPECT_NE(text.out.find("slow: "), std::string::npos) << all_of(text);

  auto json = stockade({"status", "--socket", host_.socket_path(), "--json"});
  ASSERT_EQ(json.code, 0) << all_of(json);
  const auto parsed = nlohmann::json::parse(json.out);
  bool found = false;
  for (const auto& p : parsed.at("plugins")) {
    if (p.at("name") != "echo") continue;
    found = true;
    EXPECT_EQ(p.at("state"), "ready");
    EXPECT_EQ(p.at("breaker"), "closed");
    EXPECT_GE(p.at("calls_sent").get<int>(), 1);
    EXPECT_GT(p.at("pid").get<int>(), 0);
  }
  EXPECT_TRUE(found) << json.out;
}

TEST_F(Clients, RestartAndItsUnknownPlugin) {
  ASSERT_EQ(stockade({"call", "--socket", host_.socket_path(), "echo", "--data", "x"}).code, 0);
  auto restart = stockade({"restart", "--socket", host_.socket_path(), "echo"});
  EXPECT_EQ(restart.code, 0) << all_of(restart);
  EXPECT_EQ(restart.out, "restarted echo\n");
  auto json = stockade({"status", "--socket", host_.socket_path(), "--json"});
  ASSERT_EQ(json.code, 0) << all_of(json);
  for (const auto& p : nlohmann::json::parse(json.out).at("plugins")) {
    if (p.at("name") == "echo") {
      EXPECT_GE(p.at("restarts").get<int>(), 1) << json.out;
    }
  }
  auto ghost = stockade({"restart", "--socket", host_.socket_path(), "ghost"});
  EXPECT_EQ(ghost.code, 127) << all_of(ghost);
  auto usage = stockade({"restart", "--socket", host_.socket_path()});
  EXPECT_EQ(usage.code, 125) << all_of(usage);
}

TEST_F(Clients, MetricsPrintsThePrometheusText) {
  ASSERT_EQ(stockade({"call", "--socket", host_.socket_path(), "echo", "--data", "x"}).code, 0);
  auto metrics = stockade({"metrics", "--socket", host_.socket_path()});
  EXPECT_EQ(metrics.code, 0) << all_of(metrics);
  EXPECT_NE(metrics.out.find("# TYPE "), std::string::npos) << all_of(metrics);
  EXPECT_NE(metrics.out.find("echo"), std::string::npos) << all_of(metrics);
}

TEST_F(Clients, ReloadAppliedThenRefusedWithItsProblems) {
  auto applied = stockade({"reload", "--socket", host_.socket_path()});
  EXPECT_EQ(applied.code, 0) << all_of(applied);
  EXPECT_EQ(applied.out.rfind("reloaded: ", 0), 0u) << all_of(applied);

  auto broken = host_.config();
  broken["no_such_key"] = 1;
  write_file(host_.config_path(), broken.dump(2), 0644);
  auto refused = stockade({"reload", "--socket", host_.socket_path()});
  EXPECT_EQ(refused.code, 1) << all_of(refused);
  EXPECT_NE(refused.err.find("reload refused"), std::string::npos) << all_of(refused);
  EXPECT_NE(refused.err.find("no_such_key"), std::string::npos) << all_of(refused);
  // The running config serves on.
  auto call = stockade({"call", "--socket", host_.socket_path(), "echo", "--data", "still"});
  EXPECT_EQ(call.code, 0) << all_of(call);
  EXPECT_EQ(call.out, "still");
}

TEST_F(Clients, ManyThreadsWithCallsInFlightOnOneConnection) {
  auto client = control::ControlClient::connect(host_.socket_path());
  ASSERT_TRUE(client.ok()) << client.error().message();
  constexpr int kThreads = 16, kCalls = 20;
  std::vector<int> wrong(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCalls; ++i) {
        const std::string text = "thread " + std::to_string(t) + " call " + std::to_string(i);
        auto answer = client->call({"echo", "execute", {text.begin(), text.end()}, {}, {}});
        const auto* reply = answer.ok() ? std::get_if<control::CallReplyInfo>(&*answer) : nullptr;
        if (reply == nullptr || std::string(reply->payload.begin(), reply->payload.end()) != text) {
          ++wrong[t];
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(wrong[t], 0) << "thread " << t;
}

TEST(ClientsNoDaemon, NoSuchSocketSaysIsStockadeServeRunning) {
  for (const char* command : {"status", "metrics", "reload"}) {
    auto o = stockade({command, "--socket", "/nonexistent/control.sock"});
    EXPECT_EQ(o.code, 3) << all_of(o);
    EXPECT_EQ(o.err,
              "stockade: /nonexistent/control.sock: no such socket: is stockade serve running? "
              "(--socket, $STOCKADE_SOCKET)\n")
        << all_of(o);
  }
  auto call = stockade({"call", "--socket", "/nonexistent/control.sock", "echo"});
  EXPECT_EQ(call.code, 3) << all_of(call);
}

TEST(ClientsAsRoot, ARefusedPeerExits126) {
  if (::getuid() != 0) GTEST_FAIL() << "run as root (the ctest entry clients_tests is)";
  DaemonHost host;
  // The group lets uid 65534 reach the socket; the access list does not admit it.
  host.config()["control"]["group"] = "65534";
  host.start();
  TempDir stage("stockade-clients-", 0755);
  const std::string binary = stage.file("stockade");
  fs::copy_file(stockade_binary(), binary);
  ASSERT_EQ(::chmod(binary.c_str(), 0755), 0);
  const std::vector<std::string> as_nobody{"/usr/bin/setpriv", "--reuid=65534", "--regid=65534",
                                           "--clear-groups", binary};
  auto with = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = as_nobody;
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv);
  };
  auto call = with({"call", "--socket", host.socket_path(), "echo", "--data", "x"});
  EXPECT_EQ(call.code, 126) << all_of(call);
  EXPECT_NE(call.err.find("PERMISSION_DENIED"), std::string::npos) << all_of(call);
  auto status = with({"status", "--socket", host.socket_path()});
  EXPECT_EQ(status.code, 126) << all_of(status);
  // Without the group, the socket's mode refuses it first: also 126.
  host.signal(SIGTERM);
  ASSERT_EQ(host.wait_exit(), 0) << host.log();
}

TEST(ClientsAsRoot, AClientNotAdminMayCallButNotReload) {
  if (::getuid() != 0) GTEST_FAIL() << "run as root (the ctest entry clients_tests is)";
  DaemonHost host;
  host.config()["control"]["group"] = "65534";
  host.config()["clients"].push_back({{"uid", 65534}, {"plugins", {"echo"}}, {"admin", false}});
  host.start();
  TempDir stage("stockade-clients-", 0755);
  const std::string binary = stage.file("stockade");
  fs::copy_file(stockade_binary(), binary);
  ASSERT_EQ(::chmod(binary.c_str(), 0755), 0);
  auto with = [&](std::vector<std::string> args) {
    std::vector<std::string> argv{"/usr/bin/setpriv", "--reuid=65534", "--regid=65534",
                                  "--clear-groups", binary};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv);
  };
  auto call = with({"call", "--socket", host.socket_path(), "echo", "--data", "allowed"});
  EXPECT_EQ(call.code, 0) << all_of(call);
  EXPECT_EQ(call.out, "allowed");
  auto other = with({"call", "--socket", host.socket_path(), "slow", "--data", "1"});
  EXPECT_EQ(other.code, 126) << all_of(other);
  for (const char* command : {"reload", "metrics"}) {
    auto denied = with({command, "--socket", host.socket_path()});
    EXPECT_EQ(denied.code, 126) << command << ": " << all_of(denied);
    EXPECT_NE(denied.err.find("PERMISSION_DENIED"), std::string::npos) << all_of(denied);
  }
  host.signal(SIGTERM);
  ASSERT_EQ(host.wait_exit(), 0) << host.log();
}

TEST_F(Clients, PythonClientCallsStatusMetricsReloadRestart) {
  // PYTHONPATH: the classes flatc generated into the build tree, then the
  // package's source.
  auto o = run_command({"/usr/bin/env", "PYTHONPATH=" STOCKADE_PYTHON_GEN ":" STOCKADE_PYTHON_SRC,
                        "/usr/bin/python3", STOCKADE_PYTHON_TEST, host_.socket_path()});
  EXPECT_EQ(o.code, 0) << all_of(o);
  EXPECT_NE(o.out.find("python client: all checks passed"), std::string::npos) << all_of(o);
}

// More plugins than one Status page (control::kStatusPageSize) holds: the
// CLI, ControlClient and the Python client each ask page after page and get
// every plugin once, in name order. The extra plugins are never started, so
// their binary is any small program.
TEST(ClientsManyPlugins, StatusListsEveryPluginAcrossPages) {
  DaemonHost host;
  std::ifstream in(example_plugins_dir() + "/echo/plugin.json");
  auto manifest = nlohmann::json::parse(in);
  const int extra = static_cast<int>(control::kStatusPageSize) + 44;
  std::vector<std::string> names{"echo", "slow"};
  for (int i = 0; i < extra; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "p%03d", i);
    manifest["name"] = name;
    host.plugins().add_binary(name, "/bin/true", manifest);
    names.emplace_back(name);
  }
  std::sort(names.begin(), names.end());
  host.start();

  // The daemon pages: a full first page with more, then the rest.
  auto raw = TestClient::connect(host.socket_path());
  raw.request(1, control::StatusRequest{});
  auto first = raw.next();
  ASSERT_TRUE(first.has_value());
  const auto* page1 = std::get_if<control::StatusReplyInfo>(&first->body);
  ASSERT_NE(page1, nullptr) << describe(*first);
  EXPECT_TRUE(page1->more);
  ASSERT_EQ(page1->plugins.size(), control::kStatusPageSize);
  EXPECT_EQ(page1->plugins.back().name, names[control::kStatusPageSize - 1]);
  raw.request(2, control::StatusRequest{page1->plugins.back().name});
  auto second = raw.next();
  ASSERT_TRUE(second.has_value());
  const auto* page2 = std::get_if<control::StatusReplyInfo>(&second->body);
  ASSERT_NE(page2, nullptr) << describe(*second);
  EXPECT_FALSE(page2->more);
  ASSERT_EQ(page2->plugins.size(), names.size() - control::kStatusPageSize);
  EXPECT_EQ(page2->plugins.front().name, names[control::kStatusPageSize]);

  auto json = stockade({"status", "--socket", host.socket_path(), "--json"});
  ASSERT_EQ(json.code, 0) << all_of(json);
  std::vector<std::string> listed;
  const auto parsed = nlohmann::json::parse(json.out);
  for (const auto& p : parsed.at("plugins")) listed.push_back(p.at("name"));
  EXPECT_EQ(listed, names);

  auto client = control::ControlClient::connect(host.socket_path());
  ASSERT_TRUE(client.ok()) << client.error().message();
  auto status = client->status();
  ASSERT_TRUE(status.ok()) << status.error().message();
  const auto& reply = std::get<control::StatusReplyInfo>(*status);
  EXPECT_FALSE(reply.more);
  ASSERT_EQ(reply.plugins.size(), names.size());
  for (std::size_t i = 0; i < names.size(); ++i) EXPECT_EQ(reply.plugins[i].name, names[i]);

  auto python = run_command(
      {"/usr/bin/env", "PYTHONPATH=" STOCKADE_PYTHON_GEN ":" STOCKADE_PYTHON_SRC, "/usr/bin/python3", "-c",
       "import sys, stockade_client\n"
       "print(','.join(p['name'] for p in stockade_client.connect(sys.argv[1]).status()))",
       host.socket_path()});
  ASSERT_EQ(python.code, 0) << all_of(python);
  std::string joined;
  for (const auto& n : names) joined += (joined.empty() ? "" : ",") + n;
  EXPECT_EQ(python.out, joined + "\n");
  host.signal(SIGTERM);
  ASSERT_EQ(host.wait_exit(), 0) << host.log();
}

}  // namespace
}  // namespace stockade::testing
