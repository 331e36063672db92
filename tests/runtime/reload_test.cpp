// Supervisor::reload against real sandboxed plugins: only what changed is
// touched, a broken reload changes nothing, calls in flight are undisturbed.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "tests/runtime/runtime_fixture.h"

namespace stockade::testing {
namespace {

using namespace std::chrono_literals;
using supervisor::ExecuteOptions;
using supervisor::PluginState;
using supervisor::StatusCode;
using supervisor::SupervisorOptions;

// A Supervisor over `dir`, and the options it was made with (reload takes them again).
std::unique_ptr<supervisor::Supervisor> make(PluginsDir& dir, SupervisorOptions& used) {
  return make_supervisor(dir, [&](SupervisorOptions& o) { used = o; });
}

// A new digest for the plugin's binary: bytes after an ELF's end are never
// loaded, so it runs the same, but its pin changes. A new file renamed over
// the old one (a running binary cannot be written: ETXTBSY).
void change_binary(PluginsDir& dir, const std::string& name) {
  const std::string path = dir.path() + "/" + name + "/" + name;
  const std::string next = path + ".new";
  std::filesystem::copy_file(path, next, std::filesystem::copy_options::overwrite_existing);
  {
    std::ofstream out(next, std::ios::app | std::ios::binary);
    out << "reload";
    out.flush();
    if (!out) throw std::runtime_error("cannot append to " + next);
  }
  std::filesystem::rename(next, path);
}

void patch_manifest(PluginsDir& dir, const std::string& name, const std::function<void(nlohmann::json&)>& patch) {
  const std::string path = dir.path() + "/" + name + "/plugin.json";
  auto manifest = nlohmann::json::parse(read_file(path));
  patch(manifest);
  write_file(path, manifest.dump(2));
}

bool gone(pid_t pid) { return ::kill(pid, 0) != 0 && errno == ESRCH; }

TEST(Reload, AChangedDigestRestartsOnlyThatPlugin) {
  PluginsDir dir;
  dir.add("echo");
  dir.add("slow");
  SupervisorOptions options;
  std::mutex mutex;
  std::vector<std::string> events;  // "plugin type exit"
  auto sup = make_supervisor(dir, [&](SupervisorOptions& o) {
    o.observer.plugin_event = [&](const supervisor::PluginEvent& e) {
      std::lock_guard lock(mutex);
      events.push_back(std::string(e.plugin) + " " + std::to_string(static_cast<int>(e.type)) + " " +
                       supervisor::exit_kind_name(e.exit));
    };
    options = o;
  });
  ASSERT_TRUE(sup->start("echo"));
  ASSERT_TRUE(sup->start("slow"));
  ASSERT_TRUE(sup->execute("slow", "sleep", to_bytes("1")));
  const auto echo_before = status_of(*sup, "echo").counters;
  const auto slow_before = status_of(*sup, "slow").counters;

  change_binary(dir, "echo");
  dir.write_whitelist();
  auto report = sup->reload(options);
  ASSERT_TRUE(report) << report.error().message();
  EXPECT_EQ(report->restarted, std::vector<std::string>{"echo"});
  EXPECT_TRUE(report->stopped.empty());
  EXPECT_TRUE(report->added.empty());
  EXPECT_TRUE(report->updated.empty());

  const auto echo_after = status_of(*sup, "echo");
  EXPECT_EQ(echo_after.state, PluginState::ready);
  EXPECT_NE(echo_after.counters.pid, echo_before.pid);
  EXPECT_NE(echo_after.counters.pid, 0);
  EXPECT_EQ(echo_after.counters.restarts, echo_before.restarts + 1);
  EXPECT_EQ(echo_after.counters.crashes, 0u);
  EXPECT_TRUE(eventually([&] { return gone(echo_before.pid); }));
  auto reply = sup->execute("echo", "echo", to_bytes("new"));
  ASSERT_TRUE(reply) << reply.error().describe();
  EXPECT_EQ(to_text(*reply), "new");

  // The observer saw echo close on request and start again; slow nothing.
  {
    std::lock_guard lock(mutex);
    const std::vector<std::string> expected{"echo 0 exited", "slow 0 exited", "echo 2 exited", "echo 1 exited"};
    EXPECT_EQ(events, expected);
  }

  const auto slow_after = status_of(*sup, "slow").counters;
  EXPECT_EQ(slow_after.pid, slow_before.pid);
  EXPECT_EQ(slow_after.launches, slow_before.launches);
  EXPECT_EQ(slow_after.calls_sent, slow_before.calls_sent);

  // The same files again: nothing to do.
  auto again = sup->reload(options);
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_TRUE(again->restarted.empty());
  EXPECT_EQ(status_of(*sup, "echo").counters.pid, echo_after.counters.pid);
}

TEST(Reload, AChangedManifestOfAStoppedPluginIsUsedAtItsNextStart) {
  PluginsDir dir;
  dir.add("echo");
  dir.add("slow");
  SupervisorOptions options;
  auto sup = make(dir, options);
  ASSERT_TRUE(sup->start("echo"));
  const pid_t echo_pid = status_of(*sup, "echo").counters.pid;
  patch_manifest(dir, "slow", [](nlohmann::json& m) { m["execute"]["timeout_ms"] = 300; });
  auto report = sup->reload(options);
  ASSERT_TRUE(report) << report.error().message();
  EXPECT_EQ(report->updated, std::vector<std::string>{"slow"});
  EXPECT_TRUE(report->restarted.empty());
  EXPECT_EQ(status_of(*sup, "echo").counters.pid, echo_pid);
  // The new default deadline (300 ms) is the one that applies.
  auto late = sup->execute("slow", "sleep", to_bytes("3000"));
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, StatusCode::deadline_exceeded) << late.error().describe();
}

TEST(Reload, ARemovedPluginIsStoppedAndAnAddedOneAnswers) {
  PluginsDir dir;
  dir.add("echo");
  dir.add("slow");
  SupervisorOptions options;
  auto sup = make(dir, options);
  ASSERT_TRUE(sup->start("slow"));
  const pid_t slow_pid = status_of(*sup, "slow").counters.pid;

  // slow runs 4 at once: 4 in flight, 4 queued behind them.
  std::atomic<int> ended{0}, answered{0}, removed{0};
  std::mutex mutex;
  std::vector<std::string> other;
  for (int i = 0; i < 8; ++i) {
    sup->execute_async("slow", "sleep", to_bytes("300"), ExecuteOptions{10s, false},
                       [&](supervisor::CallResult<supervisor::Bytes> r) {
                         if (r) {
                           ++answered;
                         } else if (r.error().code == StatusCode::unavailable &&
                                    r.error().message == "plugin removed by reload") {
                           ++removed;
                         } else {
                           std::lock_guard lock(mutex);
                           other.push_back(r.error().describe());
                         }
                         ++ended;
                       });
  }
  ASSERT_TRUE(eventually([&] { return status_of(*sup, "slow").counters.calls_sent == 4; }));

  dir.remove("slow");
  dir.add("crash_on_request");
  dir.write_whitelist();
  auto report = sup->reload(options);
  ASSERT_TRUE(report) << report.error().message();
  EXPECT_EQ(report->stopped, std::vector<std::string>{"slow"});
  EXPECT_EQ(report->added, std::vector<std::string>{"crash_on_request"});
  EXPECT_TRUE(report->restarted.empty());

  // Those in flight were answered, the queued ones ended; each once.
  ASSERT_TRUE(eventually([&] { return ended == 8; }));
  EXPECT_EQ(answered, 4) << (other.empty() ? "" : other[0]);
  EXPECT_EQ(removed, 4) << (other.empty() ? "" : other[0]);
  EXPECT_TRUE(other.empty()) << other[0];
  EXPECT_TRUE(gone(slow_pid));
  EXPECT_EQ(sup->plugins(), (std::vector<std::string>{"crash_on_request", "echo"}));
  auto missing = sup->execute("slow", "sleep", to_bytes("1"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, StatusCode::not_found);

  auto added = sup->execute("crash_on_request", "echo", to_bytes("hi"));
  ASSERT_TRUE(added) << added.error().describe();
  EXPECT_EQ(to_text(*added), "hi");
}

TEST(Reload, ABrokenWhitelistOrPluginFolderRefusesAndNothingChanges) {
  PluginsDir dir;
  dir.add("echo");
  SupervisorOptions options;
  auto sup = make(dir, options);
  ASSERT_TRUE(sup->start("echo"));
  const pid_t pid = status_of(*sup, "echo").counters.pid;

  change_binary(dir, "echo");
  write_file(dir.whitelist_path(), "not a whitelist line\n");
  auto refused = sup->reload(options);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message().find("nothing changed"), std::string::npos) << refused.error().message();
  EXPECT_EQ(status_of(*sup, "echo").counters.pid, pid);
  ASSERT_TRUE(sup->execute("echo", "echo", to_bytes("x")));

  // A good whitelist, but a plugin folder with a broken manifest.
  dir.write_whitelist();
  std::filesystem::create_directory(dir.path() + "/broken");
  write_file(dir.path() + "/broken/plugin.json", "{\"name\": ");
  refused = sup->reload(options);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message().find("broken/plugin.json"), std::string::npos) << refused.error().message();
  EXPECT_EQ(status_of(*sup, "echo").counters.pid, pid);
  EXPECT_EQ(sup->plugins(), std::vector<std::string>{"echo"});

  // An option a reload cannot change is named.
  std::filesystem::remove_all(dir.path() + "/broken");
  SupervisorOptions changed = options;
  changed.shutdown_grace = 3s;
  refused = sup->reload(changed);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message().find("shutdown_grace"), std::string::npos) << refused.error().message();
  EXPECT_EQ(status_of(*sup, "echo").counters.pid, pid);
  changed = options;
  changed.spin_wait = !options.spin_wait;  // the loop thread's, fixed at create()
  refused = sup->reload(changed);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message().find("spin_wait"), std::string::npos) << refused.error().message();

  // Fixed: now the new pin applies.
  auto report = sup->reload(options);
  ASSERT_TRUE(report) << report.error().message();
  EXPECT_EQ(report->restarted, std::vector<std::string>{"echo"});
  EXPECT_NE(status_of(*sup, "echo").counters.pid, pid);
}

TEST(Reload, CallsInFlightDuringReloadsAllEndOnceAndCorrect) {
  PluginsDir dir;
  dir.add("echo");
  dir.add("slow");
  SupervisorOptions options;
  auto sup = make(dir, options);
  ASSERT_TRUE(sup->start("echo"));
  ASSERT_TRUE(sup->start("slow"));

  std::atomic<bool> done{false};
  std::atomic<int> calls{0}, correct{0};
  std::mutex mutex;
  std::string first_error;
  std::vector<std::thread> callers;
  for (int t = 0; t < 4; ++t) {
    callers.emplace_back([&, t] {
      for (int i = 0; !done; ++i) {
        const bool to_slow = (i % 4) == 0;
        const std::string payload = to_slow ? "20" : "t" + std::to_string(t) + "-" + std::to_string(i);
        auto reply = to_slow ? sup->execute("slow", "sleep", to_bytes(payload), ExecuteOptions{10s, false})
                             : sup->execute("echo", "echo", to_bytes(payload), ExecuteOptions{10s, false});
        ++calls;
        if (reply && (to_slow || to_text(*reply) == payload)) {
          ++correct;
        } else {
          std::lock_guard lock(mutex);
          if (first_error.empty()) first_error = reply ? "wrong answer" : reply.error().describe();
        }
      }
    });
  }
  std::vector<pid_t> pids;
  for (int round = 0; round < 3; ++round) {
    ASSERT_TRUE(eventually([&] { return calls > (round + 1) * 20; }));
    change_binary(dir, "echo");
    change_binary(dir, "slow");
    dir.write_whitelist();
    auto report = sup->reload(options);
    ASSERT_TRUE(report) << report.error().message();
    EXPECT_EQ(report->restarted, (std::vector<std::string>{"echo", "slow"}));
    pids.push_back(status_of(*sup, "echo").counters.pid);
  }
  ASSERT_TRUE(eventually([&] { return calls > 80; }));
  done = true;
  for (auto& t : callers) t.join();
  EXPECT_EQ(correct.load(), calls.load()) << first_error;
  EXPECT_NE(pids[0], pids[1]);
  EXPECT_NE(pids[1], pids[2]);
  EXPECT_EQ(status_of(*sup, "echo").counters.crashes, 0u);
  EXPECT_EQ(status_of(*sup, "slow").counters.crashes, 0u);
}

}  // namespace
}  // namespace stockade::testing
