// Chaos, CI-sized (issue 9): Execute calls with unique, checked payloads from
// several threads, 64 in flight, while the plugins' sandboxes (their init)
// and the plugins inside them are SIGKILLed at random. Every call must end
// exactly once, with its own payload or a typed error; stop() runs during
// retries and under load; a chain of execute_async calls runs after stop();
// then no fd, thread, zombie, process or cgroup is left.
//
// Knobs (environment): STOCKADE_CHAOS_SECONDS (load phase, default 12),
// STOCKADE_CHAOS_SEED (default: random; printed). The soak
// (scripts/soak) runs the same binary with a longer phase.
#include <dirent.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "sandbox/sandbox.h"
#include "tests/runtime/runtime_fixture.h"
#include "tests/support/host_processes.h"

namespace stockade::testing {
namespace {

using namespace std::chrono_literals;
using supervisor::Bytes;
using supervisor::CallResult;
using supervisor::ExecuteOptions;
using supervisor::StatusCode;

const std::vector<std::string> kPlugins = {"echo", "echo2"};
constexpr int kSubmitters = 8;
constexpr int kInFlightPerSubmitter = 8;  // 64 in flight

long env_number(const char* name, long fallback) {
  const char* text = std::getenv(name);
  return text != nullptr && *text != '\0' ? std::strtol(text, nullptr, 10) : fallback;
}

int thread_count() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Threads:", 0) == 0) return std::stoi(line.substr(8));
  }
  return -1;
}

// Children of this process that are zombies (exited, not reaped).
bool has_unreaped_children() {
  siginfo_t info{};
  return waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid != 0;
}

// Sandbox cgroups of this process (stockade/sbx-<our pid>-<n>) under every
// cgroup mount; a bounded walk.
std::vector<std::string> our_cgroups() {
  std::vector<std::string> found;
  const std::string prefix = "sbx-" + std::to_string(getpid()) + "-";
  std::function<void(const std::string&, int)> walk = [&](const std::string& dir, int depth) {
    if (depth > 8) return;
    DIR* d = opendir(dir.c_str());
    if (d == nullptr) return;
    while (dirent* e = readdir(d)) {
      std::string name = e->d_name;
      if (e->d_type != DT_DIR || name == "." || name == "..") continue;
      if (name.rfind(prefix, 0) == 0) found.push_back(dir + "/" + name);
      walk(dir + "/" + name, depth + 1);
    }
    closedir(d);
  };
  std::ifstream mounts("/proc/self/mounts");
  std::string device, point, type, rest;
  while (mounts >> device >> point >> type && std::getline(mounts, rest)) {
    if (type == "cgroup" || type == "cgroup2") walk(point, 0);
  }
  return found;
}

// The plugin (pid 2 of its namespace): the sandbox init's one child.
std::optional<pid_t> plugin_of(pid_t init) {
  std::ifstream in("/proc/" + std::to_string(init) + "/task/" + std::to_string(init) + "/children");
  pid_t child = 0;
  if (in >> child) return child;
  return std::nullopt;
}

// What every submitted call must come to: it ends once (its token counts
// its completions; tokens die with their calls, so a soak's memory stays flat).
using EndToken = std::shared_ptr<std::atomic<uint8_t>>;
struct Ledger {
  explicit Ledger(int /*submitters*/) {}
  std::atomic<uint64_t> issued{0}, ended{0}, ok{0}, wrong_payload{0}, twice{0}, untyped{0};
  std::mutex mutex;
  std::map<std::string, uint64_t> errors;  // "CODE: message" (digits folded) -> count

  void end(const EndToken& token, const std::string& expected, const CallResult<Bytes>& r) {
    if (token->fetch_add(1) != 0) ++twice;
    if (r) {
      if (to_text(r.value()) == expected) {
        ++ok;
      } else {
        ++wrong_payload;
      }
    } else {
      const auto& e = r.error();
      bool typed = !e.message.empty() &&
                   (e.code == StatusCode::unavailable || e.code == StatusCode::deadline_exceeded ||
                    e.code == StatusCode::resource_exhausted);
      if (!typed) ++untyped;
      std::string key = e.describe();
      for (char& c : key) {
        if (c >= '0' && c <= '9') c = '#';
      }
      std::lock_guard lock(mutex);
      ++errors[key.substr(0, 160)];
    }
    ++ended;
  }
};

// A thread that keeps kInFlightPerSubmitter async calls in flight until told
// to stop; every payload is unique (submitter, sequence, random tail).
class Submitter {
 public:
  Submitter(supervisor::Supervisor& sup, Ledger& ledger, int id, uint64_t seed)
      : sup_(sup), ledger_(ledger), id_(id), random_(seed) {}
  void run(const std::atomic<bool>& quit) {
    while (!quit.load()) {
      {
        std::unique_lock lock(mutex_);
        room_.wait_for(lock, 100ms, [&] { return in_flight_ < kInFlightPerSubmitter; });
        if (in_flight_ >= kInFlightPerSubmitter) continue;
        ++in_flight_;
      }
      const size_t seq = seq_++;
      std::string payload = "s" + std::to_string(id_) + "-" + std::to_string(seq) + "-" +
                            std::to_string(random_()) + std::string(random_() % 64, 'x');
      const std::string& plugin = kPlugins[seq % kPlugins.size()];
      ++ledger_.issued;
      sup_.execute_async(plugin, "echo", to_bytes(payload), ExecuteOptions{3s, true},
                         [this, token = std::make_shared<std::atomic<uint8_t>>(0), payload](CallResult<Bytes> r) {
                           ledger_.end(token, payload, r);
                           std::lock_guard lock(mutex_);
                           --in_flight_;
                           room_.notify_one();
                         });
    }
  }

 private:
  supervisor::Supervisor& sup_;
  Ledger& ledger_;
  int id_;
  std::mt19937_64 random_;
  size_t seq_ = 0;
  std::mutex mutex_;
  std::condition_variable room_;
  int in_flight_ = 0;
};

// SIGKILLs a random plugin's sandbox init or the plugin inside, every
// 30-250 ms; remembers every pid it saw.
class Killer {
 public:
  Killer(supervisor::Supervisor& sup, uint64_t seed) : sup_(sup), random_(seed) {}
  void run(const std::atomic<bool>& quit) {
    while (!quit.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(30 + random_() % 220));
      const std::string& name = kPlugins[random_() % kPlugins.size()];
      pid_t init = status_of(sup_, name).counters.pid;
      if (init <= 0) continue;
      seen.insert(init);
      if (auto ns = hold_pid_namespace(init)) namespaces.emplace(ns->name, std::move(ns->handle));
      pid_t target = init;
      if (random_() % 2 == 0) {
        auto plugin = plugin_of(init);
        if (!plugin) continue;
        target = *plugin;
        seen.insert(target);
      }
      if (::kill(target, SIGKILL) == 0) ++kills;
    }
  }
  std::set<pid_t> seen;
  // Held open until the check for leftovers (hold_pid_namespace says why).
  std::map<std::string, UniqueFd> namespaces;
  uint64_t kills = 0;

 private:
  supervisor::Supervisor& sup_;
  std::mt19937_64 random_;
};

// Runs submitters (and a synchronous caller) with the killer for `phase`,
// then calls `end_phase` (e.g. stop()) while the load is still on.
void run_load(supervisor::Supervisor& sup, Ledger& ledger, Killer& killer, uint64_t seed,
              std::chrono::milliseconds phase, const std::function<void()>& end_phase) {
  std::atomic<bool> quit{false}, quit_killer{false};
  std::vector<std::unique_ptr<Submitter>> submitters;
  std::vector<std::thread> threads;
  for (int i = 0; i < kSubmitters; ++i) {
    submitters.push_back(std::make_unique<Submitter>(sup, ledger, i, seed + static_cast<uint64_t>(i)));
  }
  for (auto& s : submitters) threads.emplace_back([&, s = s.get()] { s->run(quit); });
  std::atomic<uint64_t> sync_ok{0}, sync_wrong{0};
  threads.emplace_back([&] {
    for (uint64_t i = 0; !quit.load(); ++i) {
      std::string payload = "sync-" + std::to_string(i);
      auto r = sup.execute("echo", "echo", to_bytes(payload), ExecuteOptions{3s, true});
      if (r && to_text(*r) == payload) ++sync_ok;
      if (r && to_text(*r) != payload) ++sync_wrong;
    }
  });
  std::thread killer_thread([&] { killer.run(quit_killer); });
  std::this_thread::sleep_for(phase);
  end_phase();
  quit = true;
  for (auto& t : threads) t.join();
  quit_killer = true;
  killer_thread.join();
  // The submitters' callbacks are still to come for the calls in flight.
  if (!eventually([&] { return ledger.ended.load() == ledger.issued.load(); }, 30s)) {
    ADD_FAILURE() << "calls never ended: " << ledger.ended.load() << " of " << ledger.issued.load();
    for (auto& s : submitters) (void)s.release();  // a late callback must not find them freed
  }
  EXPECT_EQ(sync_wrong.load(), 0u);
  std::printf("  sync calls answered right: %lu\n", static_cast<unsigned long>(sync_ok.load()));
}

bool all_ended(Ledger& ledger, std::chrono::milliseconds limit) {
  return eventually([&] { return ledger.ended.load() == ledger.issued.load(); }, limit);
}

void print(const char* phase, Ledger& ledger, const Killer& killer) {
  std::printf("%s: %lu calls issued, %lu ended, %lu answered right, %lu wrong, %lu twice, %lu kills\n", phase,
              static_cast<unsigned long>(ledger.issued.load()), static_cast<unsigned long>(ledger.ended.load()),
              static_cast<unsigned long>(ledger.ok.load()), static_cast<unsigned long>(ledger.wrong_payload.load()),
              static_cast<unsigned long>(ledger.twice.load()), static_cast<unsigned long>(killer.kills));
  std::lock_guard lock(ledger.mutex);
  for (const auto& [what, count] : ledger.errors) std::printf("  %8lu  %s\n", static_cast<unsigned long>(count), what.c_str());
}

TEST(RuntimeChaos, EveryCallEndsOnceUnderRandomKillsAndStopLeavesNothingBehind) {
  const uint64_t seed = static_cast<uint64_t>(env_number("STOCKADE_CHAOS_SEED", std::random_device{}()));
  const auto phase = std::chrono::seconds(env_number("STOCKADE_CHAOS_SECONDS", 12));
  std::printf("seed %lu, load phase %ld s\n", static_cast<unsigned long>(seed), static_cast<long>(phase.count()));
  const auto fds_before = open_fds();
  // The sandbox library's spare network namespace thread lives as long as
  // the process (sandbox/spare_netns.h): started first, so it is counted.
  sandbox::warm_spare_netns();
  const int threads_before = thread_count();
  std::set<pid_t> pids;
  std::map<std::string, UniqueFd> namespaces;
  {
    PluginsDir dir;
    auto patch = [](nlohmann::json& m) {
      m["execute"]["max_concurrency"] = 64;
      m["resources"]["max_processes"] = 128;
      m["resources"]["max_open_files"] = 64;
      m["retry"] = {{"max_attempts", 3},   {"initial_backoff_ms", 20}, {"max_backoff_ms", 200},
                    {"multiplier", 2.0},   {"budget_percent", 100}};
      m["restart"] = {{"max_restarts", 1000}, {"window_ms", 1000}, {"backoff_ms", 10}};
      m["circuit_breaker"] = {{"failure_threshold", 5}, {"open_ms", 300}, {"half_open_probes", 1}};
    };
    dir.add("echo", patch);
    auto echo2 = nlohmann::json::parse(read_file(example_plugins_dir() + "/echo/plugin.json"));
    patch(echo2);
    echo2["name"] = "echo2";
    echo2["endpoint"] = "echo";
    dir.add_binary("echo2", example_plugins_dir() + "/echo/echo", echo2);
    auto sup = make_supervisor(dir, [](auto& o) { o.shutdown_grace = 300ms; });
    for (const auto& name : kPlugins) ASSERT_TRUE(sup->start(name)) << name;

    // 1. Load with kills, then the load stops and everything drains.
    Ledger load(kSubmitters);
    Killer killer(*sup, seed ^ 0x9e3779b97f4a7c15ull);
    run_load(*sup, load, killer, seed, phase, [] {});
    ASSERT_TRUE(all_ended(load, 30s)) << load.ended.load() << " of " << load.issued.load();
    print("load with kills", load, killer);
    EXPECT_EQ(load.twice.load(), 0u);
    EXPECT_EQ(load.wrong_payload.load(), 0u);
    EXPECT_EQ(load.untyped.load(), 0u);
    EXPECT_GT(load.ok.load(), 0u);
    EXPECT_GT(killer.kills, 0u);

    // 2. stop() under load, right after a kill (calls are retrying).
    Ledger stopping(kSubmitters);
    run_load(*sup, stopping, killer, seed + 1000, 2s, [&] {
      pid_t init = status_of(*sup, "echo").counters.pid;
      if (init > 0 && ::kill(init, SIGKILL) == 0) ++killer.kills;
      std::this_thread::sleep_for(5ms);
      sup->stop();
    });
    ASSERT_TRUE(all_ended(stopping, 30s)) << stopping.ended.load() << " of " << stopping.issued.load();
    print("stop under load", stopping, killer);
    EXPECT_EQ(stopping.twice.load(), 0u);
    EXPECT_EQ(stopping.wrong_payload.load(), 0u);
    EXPECT_EQ(stopping.untyped.load(), 0u);

    // 3. A chain of execute_async calls after stop(): each callback issues
    // the next; all end, the stack stays flat.
    constexpr int kChain = 100000;
    std::promise<int> chain_done;
    std::function<void(int, int)> next = [&](int left, int refused) {
      sup->execute_async("echo", "echo", {}, {}, [&, left, refused](CallResult<Bytes> r) {
        int now_refused = refused + (!r && r.error().message == "supervisor stopped" ? 1 : 0);
        if (left == 1) return chain_done.set_value(now_refused);
        next(left - 1, now_refused);
      });
    };
    auto chained = chain_done.get_future();
    next(kChain, 0);
    ASSERT_EQ(chained.wait_for(60s), std::future_status::ready);
    EXPECT_EQ(chained.get(), kChain);
    pids = killer.seen;
    namespaces = std::move(killer.namespaces);
  }
  // 4. Nothing left: descriptors, threads, zombies, processes, cgroups.
  // A namespace whose init was just SIGKILLed empties as the kernel tears
  // it down (its other processes are killed, not yet gone): give it the
  // same few seconds as the threads; one that stays populated is a leak.
  for (const auto& entry : namespaces) {
    const std::string& ns = entry.first;
    EXPECT_TRUE(eventually([&] { return processes_in_pid_namespace(ns).empty(); }, 5s))
        << ns << " still holds " << processes_in_pid_namespace(ns).size() << " process(es)";
  }
  namespaces.clear();  // the test's own descriptors, held for the check above
  EXPECT_EQ(open_fds(), fds_before);
  EXPECT_TRUE(eventually([&] { return thread_count() == threads_before; }, 5s))
      << thread_count() << " threads, " << threads_before << " before";
  EXPECT_FALSE(has_unreaped_children());
  for (pid_t pid : pids) EXPECT_FALSE(process_alive(pid)) << pid;
  auto cgroups = our_cgroups();
  EXPECT_TRUE(cgroups.empty()) << cgroups.front();
}

// Scale: STOCKADE_CHAOS_PLUGINS plugins (default 16; the soak runs 1,000),
// all started, each called with a checked payload, one in ten killed and
// called again, then stopped: nothing left. Prints the supervisor's fds and
// memory per plugin.
long rss_kib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

TEST(RuntimeChaos, ManyPluginsStartAnswerSurviveKillsAndStopCleanly) {
  const int count = static_cast<int>(env_number("STOCKADE_CHAOS_PLUGINS", 16));
  const auto fds_before = open_fds();
  const long rss_before = rss_kib();
  std::vector<pid_t> pids;
  {
    PluginsDir dir;
    auto manifest = nlohmann::json::parse(read_file(example_plugins_dir() + "/echo/plugin.json"));
    manifest["execute"]["max_concurrency"] = 2;
    manifest["resources"]["max_processes"] = 8;
    manifest["restart"] = {{"max_restarts", 10}, {"window_ms", 10000}, {"backoff_ms", 10}};
    std::vector<std::string> names;
    for (int i = 0; i < count; ++i) {
      names.push_back("echo-" + std::to_string(i));
      manifest["name"] = names.back();
      manifest["endpoint"] = "echo";
      dir.add_binary(names.back(), example_plugins_dir() + "/echo/echo", manifest);
    }
    auto sup = make_supervisor(dir, [](auto& o) { o.shutdown_grace = 500ms; });
    auto start = std::chrono::steady_clock::now();
    for (const auto& name : names) ASSERT_TRUE(sup->start(name)) << name;
    auto started = std::chrono::steady_clock::now();
    for (const auto& name : names) {
      auto r = sup->execute(name, "echo", to_bytes("to " + name), ExecuteOptions{10s, true});
      ASSERT_TRUE(r) << name << ": " << r.error().describe();
      EXPECT_EQ(to_text(*r), "to " + name);
      pids.push_back(status_of(*sup, name).counters.pid);
    }
    const size_t fds_running = open_fds().size();
    std::printf("%d plugins: started in %.2f s; supervisor holds %zu fds (%.1f per plugin), RSS +%ld KiB "
                "(%.1f KiB per plugin)\n",
                count, std::chrono::duration<double>(started - start).count(), fds_running,
                static_cast<double>(fds_running - fds_before.size()) / count, rss_kib() - rss_before,
                static_cast<double>(rss_kib() - rss_before) / count);
    for (int i = 0; i < count; i += 10) ::kill(pids[static_cast<size_t>(i)], SIGKILL);
    for (int i = 0; i < count; i += 10) {
      auto r = sup->execute(names[static_cast<size_t>(i)], "echo", to_bytes("again"), ExecuteOptions{10s, true});
      EXPECT_TRUE(r) << names[static_cast<size_t>(i)] << ": " << r.error().describe();
      pids.push_back(status_of(*sup, names[static_cast<size_t>(i)]).counters.pid);
    }
    auto stopping = std::chrono::steady_clock::now();
    sup->stop();
    std::printf("stopped %d plugins in %.2f s\n", count,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - stopping).count());
  }
  EXPECT_EQ(open_fds(), fds_before);
  for (pid_t pid : pids) EXPECT_FALSE(process_alive(pid)) << pid;
  EXPECT_FALSE(has_unreaped_children());
  auto cgroups = our_cgroups();
  EXPECT_TRUE(cgroups.empty()) << cgroups.front();
}

}  // namespace
}  // namespace stockade::testing
