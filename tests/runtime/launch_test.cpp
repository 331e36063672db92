// Launches run on the Supervisor's launcher threads, off its loop, several
// at once (supervisor/launcher.h): many start together, and a stop(),
// restart() or reload that comes while a launch runs ends it cleanly.
#include <gtest/gtest.h>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <future>
#include <mutex>
#include <sstream>
#include <thread>

#include "base/unique_fd.h"
#include "tests/runtime/runtime_fixture.h"

namespace stockade::testing {
namespace {

using namespace std::chrono_literals;
using supervisor::PluginState;

constexpr int kPlugins = 12;

// Appended, not "echo" + to_string(i): g++ 12 at -O3 reports a false
// -Wrestrict on that (GCC PR 105651).
std::string numbered(std::string prefix, int i) { return prefix.append(std::to_string(i)); }
std::string copy_name(int i) { return numbered("echo", i); }

// kPlugins copies of the echo example, each under a name of its own.
void add_echo_copies(PluginsDir& dir) {
  const std::string source = example_plugins_dir() + "/echo";
  auto manifest = nlohmann::json::parse(read_file(source + "/plugin.json"));
  for (int i = 0; i < kPlugins; ++i) {
    manifest["name"] = copy_name(i);
    dir.add_binary(copy_name(i), source + "/" + manifest.value("endpoint", std::string("echo")), manifest);
  }
}

// Our children, whichever of our threads cloned them (/proc/self/task/*/children).
std::vector<pid_t> our_children() {
  std::vector<pid_t> out;
  DIR* tasks = opendir("/proc/self/task");
  if (tasks == nullptr) return out;
  while (dirent* entry = readdir(tasks)) {
    if (entry->d_name[0] == '.') continue;
    std::ifstream in(std::string("/proc/self/task/") + entry->d_name + "/children");
    pid_t pid = 0;
    while (in >> pid) out.push_back(pid);
  }
  closedir(tasks);
  return out;
}

// Our open fds but the sandbox's process-wide ones, made once and kept:
// stockade-init's memfd and the spare network namespaces made ahead
// (sandbox/spare_netns.h), whose number varies as the pool refills.
std::vector<std::string> launch_fds() {
  std::vector<std::string> out;
  DIR* fds = opendir("/proc/self/fd");
  if (fds == nullptr) return {"cannot list /proc/self/fd"};
  while (dirent* entry = readdir(fds)) {
    if (entry->d_name[0] == '.' || std::atoi(entry->d_name) == dirfd(fds)) continue;
    char target[256] = {};
    const std::string link = std::string("/proc/self/fd/") + entry->d_name;
    const ssize_t n = readlink(link.c_str(), target, sizeof(target) - 1);
    if (n < 0) continue;
    const std::string what(target, static_cast<size_t>(n));
    if (what.rfind("net:[", 0) == 0 || what.rfind("/memfd:stockade-init", 0) == 0) continue;
    out.push_back(std::string(entry->d_name) + " " + what);
  }
  closedir(fds);
  std::sort(out.begin(), out.end());
  return out;
}

TEST(RuntimeLaunch, ManyPluginsStartTogetherAndEachAnswers) {
  PluginsDir dir;
  add_echo_copies(dir);
  auto sup = make_supervisor(dir);
  std::vector<std::future<bool>> answers;
  for (int i = 0; i < kPlugins; ++i) {
    auto promise = std::make_shared<std::promise<bool>>();
    answers.push_back(promise->get_future());
    sup->execute_async(copy_name(i), "echo", to_bytes(numbered("x", i)), {},
                       [promise, i](supervisor::CallResult<supervisor::Bytes> r) {
                         promise->set_value(r && to_text(*r) == numbered("x", i));
                       });
  }
  for (int i = 0; i < kPlugins; ++i) EXPECT_TRUE(answers[i].get()) << copy_name(i);
  for (int i = 0; i < kPlugins; ++i) {
    const auto status = status_of(*sup, copy_name(i));
    EXPECT_EQ(status.state, PluginState::ready) << copy_name(i);
    EXPECT_EQ(status.counters.launches, 1u) << copy_name(i);
  }
}

TEST(RuntimeLaunch, StopWhileLaunchesRunLeavesNoProcessOrFdBehind) {
  const auto fds_before = launch_fds();
  {
    PluginsDir dir;
    add_echo_copies(dir);
    auto sup = make_supervisor(dir);
    std::atomic<int> ended{0};
    // Each call starts a launch; stop() comes while they run (or queue).
    for (int i = 0; i < kPlugins; ++i) {
      sup->execute_async(copy_name(i), "echo", to_bytes("x"), {}, [&](auto) { ended.fetch_add(1); });
    }
    sup->stop();
    EXPECT_EQ(ended.load(), kPlugins);
    for (const auto& s : sup->status()) EXPECT_EQ(s.state, PluginState::stopped) << s.name;
    EXPECT_TRUE(our_children().empty());
  }
  EXPECT_TRUE(our_children().empty());
  EXPECT_EQ(launch_fds(), fds_before);
}

TEST(RuntimeLaunch, DestroyedWhileLaunchesRunLeavesNoProcessOrFdBehind) {
  const auto fds_before = launch_fds();
  {
    PluginsDir dir;
    add_echo_copies(dir);
    auto sup = make_supervisor(dir);
    for (int i = 0; i < kPlugins; ++i) sup->execute_async(copy_name(i), "echo", to_bytes("x"), {}, [](auto) {});
  }
  EXPECT_TRUE(our_children().empty());
  EXPECT_EQ(launch_fds(), fds_before);
}

TEST(RuntimeLaunch, RestartWhileLaunchingLaunchesOnceMore) {
  PluginsDir dir;
  add_echo_copies(dir);
  auto sup = make_supervisor(dir);
  // The call's launch begins on the loop before the restart is handled
  // (both are posted in order), so the restart finds it spawning or later:
  // that run is ended and one more launch made, whichever step it was at.
  sup->execute_async(copy_name(0), "echo", to_bytes("x"), {}, [](auto) {});
  ASSERT_TRUE(sup->restart(copy_name(0)));
  const auto status = status_of(*sup, copy_name(0));
  EXPECT_EQ(status.state, PluginState::ready);
  EXPECT_EQ(status.counters.launches, 2u);
  auto r = sup->execute(copy_name(0), "echo", to_bytes("again"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(to_text(*r), "again");
}

TEST(RuntimeLaunch, ANotWhitelistedCopyFailsAloneWhileTheOthersStart) {
  PluginsDir dir;
  add_echo_copies(dir);
  // Pinned to another binary's digest: its launch is refused, the rest go on.
  const std::string whitelist = dir.write_whitelist();
  std::string text = read_file(whitelist);
  const std::string victim = "  " + copy_name(3) + "\n";
  const auto at = text.find(victim);
  ASSERT_NE(at, std::string::npos);
  text.replace(at - 64, 64, std::string(64, '0'));
  write_file(whitelist, text);
  supervisor::SupervisorOptions options;
  options.plugins_dir = dir.path();
  options.whitelist = whitelist;
  options.health_checks = false;
  auto created = supervisor::Supervisor::create(options);
  ASSERT_TRUE(created) << created.error().message();
  auto& sup = *created;
  std::vector<std::future<Status>> starts;
  for (int i = 0; i < kPlugins; ++i) {
    starts.push_back(std::async(std::launch::async, [&, i] { return sup->start(copy_name(i)); }));
  }
  for (int i = 0; i < kPlugins; ++i) {
    auto started = starts[i].get();
    if (i == 3) {
      ASSERT_FALSE(started);
      EXPECT_NE(started.error().message().find("not whitelisted"), std::string::npos)
          << started.error().message();
    } else {
      EXPECT_TRUE(started) << copy_name(i) << ": " << started.error().message();
    }
  }
}

// Records every log message of one plugin, for the tests below.
struct PluginLog {
  std::mutex mutex;
  std::vector<std::string> lines;
  supervisor::LogSink sink(std::string plugin) {
    return [this, plugin](const supervisor::LogRecord& record) {
      if (record.plugin != plugin) return;
      std::lock_guard lock(mutex);
      lines.emplace_back(record.message);
    };
  }
  std::vector<std::string> started() {
    std::lock_guard lock(mutex);
    std::vector<std::string> out;
    for (const auto& line : lines) {
      if (line.rfind("started, pid", 0) == 0) out.push_back(line);
    }
    return out;
  }
};

// The cache records a binary only once its last change is 5 s old
// (whitelist/digest_cache.h): a freshly copied one is waited for.
void wait_until_settled(const std::string& binary) {
  struct stat st {};
  ASSERT_EQ(::stat(binary.c_str(), &st), 0) << binary;
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  const auto age = std::chrono::seconds(now.tv_sec - st.st_ctim.tv_sec) +
                   std::chrono::nanoseconds(now.tv_nsec - st.st_ctim.tv_nsec);
  const auto wanted = std::chrono::milliseconds(5300);
  if (age < wanted) std::this_thread::sleep_for(wanted - age);
}

TEST(RuntimeLaunch, ARestartOfAnUnchangedBinaryTakesItsDigestFromTheCacheAndAChangedOneIsRefused) {
  PluginsDir dir;
  // A crash waits 10 s to restart: time to rewrite the binary, which cannot
  // be opened for writing while it runs (ETXTBSY).
  dir.add("echo", [](nlohmann::json& m) { m["restart"]["backoff_ms"] = 10000; });
  const std::string binary = dir.path() + "/echo/echo";
  wait_until_settled(binary);
  PluginLog log;
  auto sup = make_supervisor(dir, [&](supervisor::SupervisorOptions& o) { o.log = log.sink("echo"); });
  ASSERT_TRUE(sup->start("echo"));
  ASSERT_TRUE(sup->restart("echo"));
  auto r = sup->execute("echo", "echo", to_bytes("after restart"));
  ASSERT_TRUE(r) << r.error().message;
  auto started = log.started();
  ASSERT_EQ(started.size(), 2u);
  EXPECT_EQ(started[0].find("from the cache"), std::string::npos) << started[0];
  EXPECT_NE(started[1].find("from the cache"), std::string::npos) << started[1];

  // Killed; then one byte rewritten in place (same inode, same size):
  // hashed again and refused.
  const pid_t pid = status_of(*sup, "echo").counters.pid;
  ASSERT_GT(pid, 0);
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  ASSERT_TRUE(eventually([&] { return status_of(*sup, "echo").state == PluginState::backoff; }));
  {
    UniqueFd fd(::open(binary.c_str(), O_RDWR | O_CLOEXEC));
    ASSERT_TRUE(fd);
    unsigned char byte = 0;
    ASSERT_EQ(pread(fd.get(), &byte, 1, 4096), 1);
    byte ^= 0xff;
    ASSERT_EQ(pwrite(fd.get(), &byte, 1, 4096), 1);
  }
  auto refused = sup->restart("echo");
  ASSERT_FALSE(refused) << "a changed binary was started on its old digest";
  EXPECT_NE(refused.error().message().find("not whitelisted"), std::string::npos)
      << refused.error().message();
}

TEST(RuntimeLaunch, WithoutTheDigestCacheEveryLaunchHashes) {
  PluginsDir dir;
  dir.add("echo");
  wait_until_settled(dir.path() + "/echo/echo");
  PluginLog log;
  auto sup = make_supervisor(dir, [&](supervisor::SupervisorOptions& o) {
    o.log = log.sink("echo");
    o.cache_digests = false;
  });
  ASSERT_TRUE(sup->start("echo"));
  ASSERT_TRUE(sup->restart("echo"));
  auto started = log.started();
  ASSERT_EQ(started.size(), 2u);
  for (const auto& line : started) EXPECT_EQ(line.find("from the cache"), std::string::npos) << line;
}

}  // namespace
}  // namespace stockade::testing
