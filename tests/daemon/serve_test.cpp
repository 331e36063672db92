// `stockade serve` end to end: the real program as a child process, its
// control socket spoken to byte by byte. Plugins run for real, sandboxed.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "tests/daemon/daemon_fixture.h"
#include "tests/support/command.h"
#include "tests/support/host_processes.h"

namespace stockade::testing {
namespace {

namespace fs = std::filesystem;
using control::Message;
using namespace std::chrono_literals;

const control::ErrorInfo* error_of(const Message& m) { return std::get_if<control::ErrorInfo>(&m.body); }

TEST(Serve, AnswersACallStatusAndInfoOverTheSocket) {
  DaemonHost host;
  host.start();
  auto client = TestClient::connect(host.socket_path());
  client.call(7, "echo", "hello over the socket");
  auto reply = client.next();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->id, 7u);
  EXPECT_EQ(payload_text(*reply), "hello over the socket");

  client.request(8, control::StatusRequest{});
  auto status = client.next();
  ASSERT_TRUE(status);
  const auto* s = std::get_if<control::StatusReplyInfo>(&status->body);
  ASSERT_NE(s, nullptr) << describe(*status);
  ASSERT_EQ(s->plugins.size(), 2u);
  EXPECT_EQ(s->plugins[0].name, "echo");
  EXPECT_EQ(s->plugins[0].state, control::fb::PluginState::READY);

  client.request(9, control::InfoRequest{"echo"});
  auto info = client.next();
  ASSERT_TRUE(info);
  const auto* i = std::get_if<control::InfoReplyInfo>(&info->body);
  ASSERT_NE(i, nullptr) << describe(*info);
  EXPECT_EQ(i->name, "echo");

  client.call(10, "no-such-plugin", "x");
  auto missing = client.next();
  ASSERT_TRUE(missing && error_of(*missing));
  EXPECT_EQ(error_of(*missing)->code, control::fb::Code::NOT_FOUND) << describe(*missing);

  host.signal(SIGTERM);
  EXPECT_EQ(host.wait_exit(), 0) << host.log();
  EXPECT_FALSE(fs::exists(host.socket_path()));
}

TEST(Serve, SocketFolderAndModeAreAsConfigured) {
  DaemonHost host;
  host.config()["control"]["mode"] = "0600";
  host.start();
  struct stat folder {}, socket {};
  ASSERT_EQ(::stat((host.path() + "/run").c_str(), &folder), 0);
  EXPECT_EQ(folder.st_mode & 07777, 0755u);
  ASSERT_EQ(::lstat(host.socket_path().c_str(), &socket), 0);
  EXPECT_TRUE(S_ISSOCK(socket.st_mode));
  EXPECT_EQ(socket.st_mode & 07777, 0600u);
  host.signal(SIGTERM);
  EXPECT_EQ(host.wait_exit(), 0);
}

TEST(Serve, AStaleSocketIsReplacedAndALiveOneIsNot) {
  DaemonHost host;
  host.start();
  // A second daemon on the same socket: refused, the first serves on.
  auto second = run_command({stockade_binary(), "serve", "--config", host.config_path()});
  EXPECT_EQ(second.code, 125) << second.err;
  EXPECT_NE(second.err.find("another process answers"), std::string::npos) << second.err;
  auto client = TestClient::connect(host.socket_path());
  client.call(1, "echo", "still here");
  auto reply = client.next();
  ASSERT_TRUE(reply);
  EXPECT_EQ(payload_text(*reply), "still here");
  // SIGKILL leaves the socket behind; the next daemon replaces it.
  host.signal(SIGKILL);
  host.wait_exit();
  ASSERT_TRUE(fs::exists(host.socket_path()));
  host.start();
  auto again = TestClient::connect(host.socket_path());
  again.call(2, "echo", "new daemon");
  auto second_reply = again.next();
  ASSERT_TRUE(second_reply);
  EXPECT_EQ(payload_text(*second_reply), "new daemon");
}

TEST(Serve, AHundredConcurrentClientsWithCallsInFlightAllGetTheirOwnAnswers) {
  DaemonHost host;
  host.start();
  constexpr int kClients = 100;
  constexpr int kCallsEach = 8;
  std::atomic<int> correct{0};
  std::vector<std::string> failures(kClients);
  std::vector<std::thread> threads;
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&, c] {
      try {
        auto client = TestClient::connect(host.socket_path());
        // All calls first, then the answers: several in flight on each connection.
        for (int k = 1; k <= kCallsEach; ++k) {
          const std::string plugin = k % 2 == 0 ? "echo" : "slow";
          const std::string payload = k % 2 == 0 ? "client " + std::to_string(c) + " call " + std::to_string(k) : "20";
          client.call(static_cast<std::uint64_t>(k), plugin, payload, 20000);
        }
        std::set<std::uint64_t> seen;
        for (int k = 0; k < kCallsEach; ++k) {
          auto reply = client.next(60s);
          if (!reply) throw std::runtime_error("closed early");
          if (!seen.insert(reply->id).second) throw std::runtime_error("duplicate id");
          const std::string text = payload_text(*reply);
          const std::string expected =
              reply->id % 2 == 0 ? "client " + std::to_string(c) + " call " + std::to_string(reply->id) : text;
          if (text != expected || text.starts_with("<")) throw std::runtime_error("id " + std::to_string(reply->id) + ": " + text);
          ++correct;
        }
      } catch (const std::exception& e) {
        failures[static_cast<size_t>(c)] = e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int c = 0; c < kClients; ++c) EXPECT_EQ(failures[static_cast<size_t>(c)], "") << "client " << c;
  EXPECT_EQ(correct.load(), kClients * kCallsEach);
  host.signal(SIGTERM);
  EXPECT_EQ(host.wait_exit(), 0) << host.log();
}

TEST(Serve, MoreRequestsThanTheInFlightBoundOnOneConnectionAreAllAnswered) {
  DaemonHost host;
  host.start();
  auto client = TestClient::connect(host.socket_path());
  constexpr int kCalls = 300;  // beyond kMaxRequestsInFlight: the daemon stops reading, then resumes
  for (int k = 1; k <= kCalls; ++k) client.call(static_cast<std::uint64_t>(k), "echo", std::to_string(k));
  std::set<std::uint64_t> seen;
  for (int k = 0; k < kCalls; ++k) {
    auto reply = client.next(60s);
    ASSERT_TRUE(reply);
    EXPECT_EQ(payload_text(*reply), std::to_string(reply->id));
    seen.insert(reply->id);
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kCalls));
}

TEST(Serve, TheAccessListLimitsPluginsAndAdminRequests) {
  DaemonHost host;
  host.config()["clients"] = nlohmann::json::array({{{"uid", ::getuid()}, {"plugins", {"echo"}}}});
  host.start();
  auto client = TestClient::connect(host.socket_path());
  client.call(1, "slow", "1");
  client.request(2, control::ReloadRequest{});
  client.request(3, control::RestartRequest{"echo"});
  client.request(4, control::MetricsRequest{});
  client.call(5, "echo", "allowed");
  client.request(6, control::StatusRequest{});
  std::map<std::uint64_t, Message> replies;
  for (int k = 0; k < 6; ++k) {
    auto m = client.next();
    ASSERT_TRUE(m);
    replies[m->id] = *m;
  }
  for (std::uint64_t id : {1, 2, 3, 4}) {
    ASSERT_TRUE(error_of(replies[id])) << id << ": " << describe(replies[id]);
    EXPECT_EQ(error_of(replies[id])->code, control::fb::Code::PERMISSION_DENIED) << describe(replies[id]);
  }
  EXPECT_EQ(payload_text(replies[5]), "allowed");
  // Status shows only the plugins this client may call.
  const auto* s = std::get_if<control::StatusReplyInfo>(&replies[6].body);
  ASSERT_NE(s, nullptr);
  ASSERT_EQ(s->plugins.size(), 1u);
  EXPECT_EQ(s->plugins[0].name, "echo");
}

// Root only: the refused peer is another uid (setpriv).
TEST(ServeAsRoot, APeerOutsideTheAccessListIsRefusedAndLogged) {
  if (::getuid() != 0) GTEST_FAIL() << "run as root (the ctest entry daemon_tests is)";
  DaemonHost host;
  // The group lets uid 65534 reach the socket; the access list does not admit it.
  host.config()["control"]["group"] = "65534";
  host.start();
  TempDir stage("stockade-daemon-probe-", 0755);
  const std::string probe = stage.file("control_probe");
  fs::copy_file(CONTROL_PROBE, probe);
  ::chmod(probe.c_str(), 0755);
  auto outcome = run_command({"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", probe,
                              host.socket_path()});
  EXPECT_EQ(outcome.code, 0) << outcome.err;
  EXPECT_NE(outcome.out.find("id 0 Error PERMISSION_DENIED"), std::string::npos) << outcome.out;
  EXPECT_NE(outcome.out.find("closed"), std::string::npos) << outcome.out;
  EXPECT_TRUE(host.log_contains("uid 65534 gid 65534 pid ")) << host.log();
  // Admitted clients are unaffected.
  auto client = TestClient::connect(host.socket_path());
  client.call(1, "echo", "fine");
  auto reply = client.next();
  ASSERT_TRUE(reply);
  EXPECT_EQ(payload_text(*reply), "fine");
}

TEST(Serve, AReloadWithABrokenConfigIsRefusedWholeAndTheOldConfigServesOn) {
  DaemonHost host;
  host.start();
  auto client = TestClient::connect(host.socket_path());
  // Broken: an unknown key and an autostart entry naming no plugin.
  auto broken = host.config();
  broken["no_such_key"] = 1;
  broken["autostart"] = {"echo", "ghost"};
  write_file(host.config_path(), broken.dump(2), 0644);
  client.request(1, control::ReloadRequest{});
  auto reply = client.next(60s);
  ASSERT_TRUE(reply);
  const auto* r = std::get_if<control::ReloadReplyInfo>(&reply->body);
  ASSERT_NE(r, nullptr) << describe(*reply);
  EXPECT_FALSE(r->applied);
  ASSERT_FALSE(r->problems.empty());
  std::string all;
  for (const auto& p : r->problems) all += p + "\n";
  EXPECT_NE(all.find("no_such_key"), std::string::npos) << all;
  EXPECT_TRUE(host.log_contains("reload refused")) << host.log();
  client.call(2, "echo", "old config");
  auto call = client.next();
  ASSERT_TRUE(call);
  EXPECT_EQ(payload_text(*call), "old config");

  // SIGHUP with the same broken file: refused as well, still serving.
  host.signal(SIGHUP);
  client.call(3, "echo", "after SIGHUP");
  auto after = client.next();
  ASSERT_TRUE(after);
  EXPECT_EQ(payload_text(*after), "after SIGHUP");

  // A good config again: applied; its autostart starts slow at once.
  auto good = host.config();
  good["autostart"] = {"slow"};
  write_file(host.config_path(), good.dump(2), 0644);
  client.request(4, control::ReloadRequest{});
  auto applied = client.next(60s);
  ASSERT_TRUE(applied);
  const auto* a = std::get_if<control::ReloadReplyInfo>(&applied->body);
  ASSERT_NE(a, nullptr) << describe(*applied);
  EXPECT_TRUE(a->applied) << (a->problems.empty() ? "" : a->problems.front());
  EXPECT_TRUE(host.log_contains("autostart: slow is ready")) << host.log();
}

TEST(Serve, AnAutostartNamingNoPluginStopsTheStartWithTheEntry) {
  DaemonHost host;
  host.config()["autostart"] = {"echo", "ghost"};
  host.write_config();
  auto outcome = run_command({stockade_binary(), "serve", "--config", host.config_path()});
  EXPECT_EQ(outcome.code, 125);
  EXPECT_NE(outcome.err.find("autostart[1]: no plugin \"ghost\""), std::string::npos) << outcome.err;
}

TEST(Serve, ManifestAndConfigAutostartStartPluginsAtOnce) {
  DaemonHost host;
  host.plugins().add("calculator", [](nlohmann::json& m) { m["autostart"] = true; });
  host.config()["autostart"] = {"slow"};
  host.start();
  EXPECT_TRUE(host.log_contains("autostart: calculator is ready")) << host.log();
  EXPECT_TRUE(host.log_contains("autostart: slow is ready")) << host.log();
  EXPECT_EQ(host.log().find("autostart: echo"), std::string::npos);
}

TEST(Serve, SigtermWithCallsInFlightAnswersEachAndLeavesNothingBehind) {
  DaemonHost host;
  host.start();
  auto client = TestClient::connect(host.socket_path());
  client.request(1, control::StatusRequest{});
  client.call(2, "slow", "1");  // starts slow
  std::vector<std::int32_t> pids;
  for (int k = 0; k < 2; ++k) {
    auto m = client.next();
    ASSERT_TRUE(m);
  }
  constexpr int kCalls = 12;
  for (int k = 0; k < kCalls; ++k) client.call(100 + static_cast<std::uint64_t>(k), "slow", "300", 20000);
  client.call(200, "echo", "x");
  client.next();  // echo answered: every call above reached the daemon first
  client.request(3, control::StatusRequest{});
  auto status = client.next();
  ASSERT_TRUE(status);
  if (const auto* s = std::get_if<control::StatusReplyInfo>(&status->body)) {
    for (const auto& p : s->plugins) {
      if (p.pid > 0) pids.push_back(p.pid);
    }
  }
  EXPECT_FALSE(pids.empty());
  host.signal(SIGTERM);
  int answered = 0, ended = 0;
  for (int k = 0; k < kCalls; ++k) {
    auto m = client.next(30s);
    if (!m) break;
    if (std::holds_alternative<control::CallReplyInfo>(m->body)) {
      ++answered;
    } else if (const auto* e = error_of(*m)) {
      EXPECT_TRUE(e->code == control::fb::Code::UNAVAILABLE || e->code == control::fb::Code::CANCELLED)
          << describe(*m);
      ++ended;
    }
  }
  EXPECT_EQ(answered + ended, kCalls) << host.log();
  EXPECT_EQ(host.wait_exit(), 0) << host.log();
  EXPECT_FALSE(fs::exists(host.socket_path()));
  for (auto pid : pids) EXPECT_FALSE(process_alive(pid)) << "plugin pid " << pid << " outlived the daemon";
}

TEST(Serve, GarbageOversizedAndStalledClientsAreDroppedWhileOthersCarryOn) {
  DaemonHost host;
  host.start();
  auto good = TestClient::connect(host.socket_path());
  good.call(1, "echo", "before");
  ASSERT_EQ(payload_text(*good.next()), "before");

  auto garbage = TestClient::connect(host.socket_path());
  garbage.send_raw({16, 0, 0, 0, 'n', 'o', 't', ' ', 'a', ' ', 'f', 'l', 'a', 't', 'b', 'u', 'f', 'f', 'e', 'r'});
  auto oversized = TestClient::connect(host.socket_path());
  oversized.send_raw({0xf0, 0xff, 0xff, 0x7f});  // 2 GiB announced
  auto stalled = TestClient::connect(host.socket_path());
  stalled.send_raw({64, 0, 0, 0, 1, 2, 3});  // 3 of 64 body bytes, then nothing

  for (auto* dropped : {&garbage, &oversized}) {
    auto m = dropped->next();
    ASSERT_TRUE(m);
    EXPECT_EQ(m->id, 0u);
    ASSERT_TRUE(error_of(*m)) << describe(*m);
    EXPECT_TRUE(dropped->closed_by_daemon(10s));
  }
  good.call(2, "echo", "during");
  ASSERT_EQ(payload_text(*good.next()), "during");
  EXPECT_TRUE(stalled.closed_by_daemon(30s));
  EXPECT_TRUE(host.log_contains("stalled in the middle of a frame")) << host.log();
  good.call(3, "echo", "after");
  ASSERT_EQ(payload_text(*good.next()), "after");
}

TEST(Serve, JsonLogsAreOneObjectALine) {
  DaemonHost host;
  host.start({"--log-format", "json"});
  host.signal(SIGTERM);
  EXPECT_EQ(host.wait_exit(), 0);
  std::istringstream lines(host.log());
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    auto object = nlohmann::json::parse(line);  // throws on a line that is not JSON
    EXPECT_TRUE(object.contains("time") && object.contains("level") && object.contains("plugin") &&
                object.contains("message"))
        << line;
    ++count;
  }
  EXPECT_GT(count, 1);
}

TEST(Serve, UnderJournaldLinesCarryPrioritiesAndNoTimestamps) {
  DaemonHost host;
  // JOURNAL_STREAM names the file stderr goes to (the log), as journald would its stream.
  write_file(host.log_path(), "");
  struct stat st {};
  ASSERT_EQ(::stat(host.log_path().c_str(), &st), 0);
  // start() truncates the same inode, so dev:ino stays.
  host.start({}, {{"JOURNAL_STREAM", std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino)}});
  host.signal(SIGTERM);
  EXPECT_EQ(host.wait_exit(), 0);
  std::istringstream lines(host.log());
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    EXPECT_TRUE(line.starts_with("<6>info ") || line.starts_with("<4>warn ") || line.starts_with("<3>error ") ||
                line.starts_with("<7>debug "))
        << line;
    ++count;
  }
  EXPECT_GT(count, 1);
}

}  // namespace
}  // namespace stockade::testing
