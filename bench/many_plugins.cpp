// Many plugins on one Supervisor (issue 13, target 5): N copies of the SDK's
// echo example, each pinned in a whitelist this program writes, started by
// one Supervisor. Reports, beside floors measured in the same run:
//   - the supervisor's own RSS and fd count per idle plugin (/proc/self),
//     once all N are ready and again after every one has served a call;
//   - the time to start all N (floor: N bare fork+exec+wait of a static
//     binary, one after the other);
//   - one call to each of the N, all in flight at once through execute_async
//     (floor: N 16 B round trips over one socketpair to a forked echo), and
//     the same again at once, when each has served a call before;
// A plain program (not Google Benchmark): the figures are ratios within a run.
//
//   bench_many_plugins [--plugins N] [--starters T] [--no-digest-cache] [--json] [EXAMPLES_DIR]
//     N (1000) plugins; T (8) threads call start() at once (the launches run
//     on the supervisor's launcher threads, several at once); --json: one
//     JSON object, the last line. The N share one binary, as plugins run
//     under several names or restarted do: it is hashed once and its digest
//     taken from the cache after (SupervisorOptions::cache_digests), once it
//     has settled (its last change 5 s old: the bench waits for that);
//     --no-digest-cache hashes it at every launch.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "bench/bench_stats.h"
#include "bench/socketpair_floor.h"
#include "base/unique_fd.h"
#include "stockade/supervisor.h"
#include "whitelist/sha256.h"

using stockade::bench::seconds_since;

namespace {

using namespace stockade;
using namespace stockade::supervisor;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

[[noreturn]] void die(const std::string& why) {
  std::fprintf(stderr, "bench_many_plugins: %s\n", why.c_str());
  std::exit(1);
}

// --- what this process holds --------------------------------------------------

size_t open_fds() {
  size_t n = 0;
  for (const auto& entry : fs::directory_iterator("/proc/self/fd")) {
    (void)entry;
    ++n;
  }
  return n - 1;  // the iterator's own descriptor
}

// VmRSS of this process, in KiB.
double rss_kib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtod(line.c_str() + 6, nullptr);
  }
  die("no VmRSS in /proc/self/status");
}

// --- floors -------------------------------------------------------------------

// Seconds for `n` fork+exec+wait of `binary`, one after the other.
double bare_spawns(const std::string& binary, int n) {
  auto start = Clock::now();
  for (int i = 0; i < n; ++i) {
    pid_t child = ::fork();
    if (child < 0) die("fork failed");
    if (child == 0) {
      ::execl(binary.c_str(), binary.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    int status = 0;
    if (::waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      die("cannot run " + binary);
    }
  }
  return seconds_since(start);
}

// Seconds for `n` 16 B round trips over one socketpair to a forked echo.
double bare_round_trips(int n) { return n / stockade::bench::socketpair_round_trips_per_s(16, 1, n); }

// --- the plugins --------------------------------------------------------------

std::string plugin_name(int i) {
  char name[16];
  std::snprintf(name, sizeof name, "echo%05d", i);
  return name;
}

// N folders, each the echo example renamed (the binary hard-linked), and a
// whitelist pinning each name to the binary's digest.
void prepare_plugins(const std::string& examples, const std::string& work, int n) {
  const std::string binary = work + "/echo";
  fs::copy_file(examples + "/echo/echo", binary);
  std::ifstream in(examples + "/echo/plugin.json");
  std::string manifest((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string from = "\"name\": \"echo\"";
  const auto at = manifest.find(from);
  if (at == std::string::npos) die("the echo manifest has no " + from);
  UniqueFd fd(::open(binary.c_str(), O_RDONLY | O_CLOEXEC));
  auto digest = sha256_of_fd(fd.get());
  if (!digest) die("cannot hash " + binary);
  const std::string hex = to_hex(*digest);
  std::ofstream whitelist(work + "/whitelist");
  for (int i = 0; i < n; ++i) {
    const std::string name = plugin_name(i);
    const std::string dir = work + "/plugins/" + name;
    fs::create_directories(dir);
    fs::create_hard_link(binary, dir + "/echo");
    std::string own = manifest;
    own.replace(at, from.size(), "\"name\": \"" + name + "\"");
    std::ofstream(dir + "/plugin.json") << own;
    whitelist << hex << "  " << name << "\n";
  }
}

struct Figures {
  std::vector<std::pair<std::string, double>> items;
  void record(const std::string& key, double value) { items.emplace_back(key, value); }
  std::string json() const {
    std::string line = "{";
    for (const auto& [key, value] : items) {
      char number[64];
      std::snprintf(number, sizeof number, "%.3f", value);
      line += (line.size() > 1 ? ", \"" : "\"") + key + "\": " + number;
    }
    return line + "}";
  }
};

// Sleeps until `path`'s last change (its ctime) is `age` old.
void wait_until_changed_before(const std::string& path, std::chrono::milliseconds age) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) die("cannot stat " + path);
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  const auto since = std::chrono::seconds(now.tv_sec - st.st_ctim.tv_sec) +
                     std::chrono::nanoseconds(now.tv_nsec - st.st_ctim.tv_nsec);
  if (since < age) std::this_thread::sleep_for(age - since);
}

// Starts every plugin from `threads` threads at once; seconds until all are ready.
double start_all(Supervisor& sup, int n, int threads) {
  std::atomic<int> next{0};
  std::atomic<int> failed{0};
  auto start = Clock::now();
  std::vector<std::thread> starters;
  for (int t = 0; t < threads; ++t) {
    starters.emplace_back([&] {
      for (int i = next.fetch_add(1); i < n; i = next.fetch_add(1)) {
        if (auto s = sup.start(plugin_name(i)); !s) {
          if (failed.fetch_add(1) == 0) std::fprintf(stderr, "bench: %s\n", s.error().message().c_str());
        }
      }
    });
  }
  for (auto& t : starters) t.join();
  double elapsed = seconds_since(start);
  if (failed.load() > 0) die(std::to_string(failed.load()) + " plugins did not start");
  return elapsed;
}

// One 16 B call to each plugin, all in flight at once; seconds until all answered.
double call_each(Supervisor& sup, int n) {
  std::vector<uint8_t> payload(16, 0x5a);
  std::atomic<int> done{0}, failed{0};
  std::promise<void> finished;
  auto start = Clock::now();
  for (int i = 0; i < n; ++i) {
    sup.execute_async(plugin_name(i), "echo", payload, {}, [&](CallResult<Bytes> r) {
      if (!r || r->size() != payload.size()) failed.fetch_add(1);
      if (done.fetch_add(1) + 1 == n) finished.set_value();
    });
  }
  finished.get_future().wait();
  double elapsed = seconds_since(start);
  if (failed.load() > 0) die(std::to_string(failed.load()) + " calls failed");
  return elapsed;
}

}  // namespace

int main(int argc, char** argv) {
  // Errors only: each copy of echo introduces itself as "echo" (a warning a plugin).
  spdlog::set_level(spdlog::level::err);
  int n = 1000;
  int threads = 8;
  bool json = false;
  bool digest_cache = true;
  std::string examples = STOCKADE_EXAMPLE_PLUGINS_DIR;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--json") {
      json = true;
    } else if (arg == "--no-digest-cache") {
      digest_cache = false;
    } else if ((arg == "--plugins" || arg == "--starters") && i + 1 < argc) {
      (arg == "--plugins" ? n : threads) = std::atoi(argv[++i]);
    } else if (arg.rfind("--", 0) != 0) {
      examples = arg;
    } else {
      die("usage: bench_many_plugins [--plugins N] [--starters T] [--no-digest-cache] [--json] "
          "[EXAMPLES_DIR]");
    }
  }
  if (n < 1 || threads < 1) die("--plugins and --starters take a positive number");

  char tmpl[] = "/tmp/stockade-many-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) die("mkdtemp failed");
  const std::string work = tmpl;
  prepare_plugins(examples, work, n);
  Figures figures;
  figures.record("plugins", n);
  figures.record("digest_cache", digest_cache ? 1 : 0);

  const double floor_spawn_s = bare_spawns(STOCKADE_BENCH_EXIT0, n);
  // As an installed binary would be (the cache's rule): not measured.
  if (digest_cache) wait_until_changed_before(work + "/echo", std::chrono::milliseconds(5200));

  SupervisorOptions options;
  options.plugins_dir = work + "/plugins";
  options.whitelist = work + "/whitelist";
  options.health_checks = false;
  options.cache_digests = digest_cache;
  auto created = Supervisor::create(options);
  if (!created) die(created.error().message());
  auto sup = std::move(*created);
  rlimit nofile{};
  ::getrlimit(RLIMIT_NOFILE, &nofile);
  // One plugin first, so the loop's own descriptors and allocations (epoll,
  // timers, thread stacks) are in the baseline, not charged to the N.
  const std::string warm = plugin_name(0);
  if (auto s = sup->start(warm); !s) die(s.error().message());
  const size_t fds_before = open_fds();
  const double rss_before = rss_kib();

  const double start_s = start_all(*sup, n, threads);
  const double fds_idle = static_cast<double>(open_fds() - fds_before) / (n - 1 > 0 ? n - 1 : 1);
  const double rss_idle = (rss_kib() - rss_before) / (n - 1 > 0 ? n - 1 : 1);

  const double floor_rt_s = bare_round_trips(n);
  const double call_s = call_each(*sup, n);
  const double rss_called = (rss_kib() - rss_before) / (n - 1 > 0 ? n - 1 : 1);
  const double fds_called = static_cast<double>(open_fds() - fds_before) / (n - 1 > 0 ? n - 1 : 1);
  // Again at once: each plugin has served a call (its SDK's threads are up,
  // the supervisor's buffers not yet released), so the gap between the two
  // is what a first call costs.
  const double again_s = call_each(*sup, n);

  std::printf("%d plugins (echo, one binary), one Supervisor, digest cache %s; RLIMIT_NOFILE %llu\n",
              n, digest_cache ? "on" : "off", static_cast<unsigned long long>(nofile.rlim_cur));
  std::printf("supervisor fds per idle plugin                  %10.2f\n", fds_idle);
  std::printf("supervisor RSS per idle plugin (KiB)            %10.1f\n", rss_idle);
  std::printf("  after one call to each: fds %.2f, RSS %.1f KiB\n", fds_called, rss_called);
  std::printf("%-48s %10s %10s %8s\n", "", "floor", "stockade", "ratio");
  std::printf("start all (ms; floor: fork+exec+wait each)       %10.1f %10.1f %7.2fx\n", floor_spawn_s * 1e3,
              start_s * 1e3, start_s / floor_spawn_s);
  std::printf("one call to each (ms; floor: socketpair RTs)     %10.2f %10.2f %7.2fx\n", floor_rt_s * 1e3,
              call_s * 1e3, call_s / floor_rt_s);
  std::printf("  again at once (each has served a call)          %10.2f %10.2f %7.2fx\n", floor_rt_s * 1e3,
              again_s * 1e3, again_s / floor_rt_s);
  figures.record("fds_per_idle_plugin", fds_idle);
  figures.record("rss_kib_per_idle_plugin", rss_idle);
  figures.record("fds_per_plugin_after_call", fds_called);
  figures.record("rss_kib_per_plugin_after_call", rss_called);
  figures.record("floor_spawn_all_ms", floor_spawn_s * 1e3);
  figures.record("start_all_ms", start_s * 1e3);
  figures.record("floor_rt_each_ms", floor_rt_s * 1e3);
  figures.record("call_each_ms", call_s * 1e3);
  figures.record("call_each_again_ms", again_s * 1e3);
  sup.reset();
  fs::remove_all(work);
  if (json) std::printf("%s\n", figures.json().c_str());
  return 0;
}
