// `stockade serve` reloading a changed pin: the real daemon, its plugins
// running, one plugin's binary changed and pinned anew. Only that plugin is
// restarted (a new process); the other keeps its process.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "tests/daemon/daemon_fixture.h"

namespace stockade::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// The pid of `plugin` in the daemon's Status answer (0: not running).
std::int32_t pid_of(TestClient& client, std::uint64_t id, const std::string& plugin) {
  client.request(id, control::StatusRequest{});
  auto reply = client.next(30s);
  if (!reply) throw std::runtime_error("the daemon closed the connection");
  const auto* status = std::get_if<control::StatusReplyInfo>(&reply->body);
  if (status == nullptr) throw std::runtime_error("not a StatusReply: " + describe(*reply));
  for (const auto& p : status->plugins) {
    if (p.name == plugin) return p.pid;
  }
  throw std::runtime_error("no plugin " + plugin + " in the status");
}

// A new file with the binary's bytes and one more at the end (an ELF file
// runs the same with bytes after its sections), renamed over the old one:
// the running process keeps its own inode, the digest changes.
void change_binary(const std::string& path) {
  const std::string next = path + ".next";
  fs::copy_file(path, next, fs::copy_options::overwrite_existing);
  {
    std::ofstream out(next, std::ios::binary | std::ios::app);
    out.put('\0');
    ASSERT_TRUE(out.good()) << next;
  }
  fs::permissions(next, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                            fs::perms::others_read | fs::perms::others_exec);
  fs::rename(next, path);
}

TEST(ServeReload, AChangedPinRestartsThatPluginAndLeavesTheOtherRunning) {
  DaemonHost host;
  host.config()["autostart"] = {"echo", "slow"};
  host.write_config();
  host.start();
  auto client = TestClient::connect(host.socket_path());
  ASSERT_TRUE(host.log_contains("autostart: echo is ready", 30s)) << host.log();
  ASSERT_TRUE(host.log_contains("autostart: slow is ready", 30s)) << host.log();
  const auto echo_before = pid_of(client, 1, "echo");
  const auto slow_before = pid_of(client, 2, "slow");
  ASSERT_GT(echo_before, 0);
  ASSERT_GT(slow_before, 0);

  change_binary(host.plugins().path() + "/echo/echo");
  host.write_config();  // the whitelist pins the changed binary
  client.request(3, control::ReloadRequest{});
  auto reply = client.next(60s);
  ASSERT_TRUE(reply);
  const auto* r = std::get_if<control::ReloadReplyInfo>(&reply->body);
  ASSERT_NE(r, nullptr) << describe(*reply);
  EXPECT_TRUE(r->applied) << (r->problems.empty() ? "" : r->problems.front());
  EXPECT_EQ(r->restarted, std::vector<std::string>{"echo"});
  EXPECT_TRUE(r->stopped.empty());
  EXPECT_TRUE(r->added.empty());

  client.call(4, "echo", "from the new binary");
  auto call = client.next(30s);
  ASSERT_TRUE(call);
  EXPECT_EQ(payload_text(*call), "from the new binary") << describe(*call);
  const auto echo_after = pid_of(client, 5, "echo");
  EXPECT_GT(echo_after, 0);
  EXPECT_NE(echo_after, echo_before);
  EXPECT_EQ(pid_of(client, 6, "slow"), slow_before);
  // The old echo process is gone.
  EXPECT_NE(::kill(echo_before, 0), 0);
}

}  // namespace
}  // namespace stockade::testing
