// The Execute round trip through the whole stack (Supervisor -> channel ->
// sandboxed echo plugin built on the SDK -> back), beside the floor measured
// in the same run: a bare socketpair ping-pong between two processes.
// Prints ratios, throughput with 1, 8 and 64 calls in flight, and launch to
// first call; then the floor again with its two processes pinned on one CPU
// and on two (the free floor lands in either mode, run by run). A plain program rather than Google Benchmark: the figures are
// ratios between measurements of one run.
//
//   bench_supervisor_roundtrip [--json] [PLUGINS_DIR]
//                                                   the report; --json: then one JSON
//                                                   object, the last line, for scripts
//   bench_supervisor_roundtrip --calls N [--depth D] [--size BYTES] [--sync] [DIR]
//                                                   N calls of BYTES (16), D (1) in flight,
//                                                   no report (for strace -ff / perf); --sync:
//                                                   through execute() from the main thread
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "bench/bench_stats.h"
#include "bench/socketpair_floor.h"
#include "base/unique_fd.h"
#include "stockade/supervisor.h"
#include "whitelist/sha256.h"

using stockade::bench::seconds_since;
using stockade::bench::median;
using stockade::bench::Placement;
using stockade::bench::socketpair_round_trips_per_s;

namespace {

using namespace stockade;
using namespace stockade::supervisor;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

// --- the stack ---------------------------------------------------------------

// A plugins dir with the echo example allowing 64 calls in flight.
std::string prepare_plugins(const std::string& examples, const std::string& work) {
  fs::create_directories(work + "/plugins/echo");
  fs::copy_file(examples + "/echo/echo", work + "/plugins/echo/echo", fs::copy_options::overwrite_existing);
  std::ifstream in(examples + "/echo/plugin.json");
  std::string manifest((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The SDK starts worker threads on demand, up to one per allowed call
  // (max_processes counts them); the headroom keeps a slow call from being
  // the reason a burst runs on fewer threads.
  auto replace = [&](const std::string& from, const std::string& to) {
    auto at = manifest.find(from);
    if (at == std::string::npos) {
      std::fprintf(stderr, "bench: the echo manifest has no %s\n", from.c_str());
      std::exit(1);
    }
    manifest.replace(at, from.size(), to);
  };
  replace("\"max_concurrency\": 16", "\"max_concurrency\": 64");
  replace("\"max_processes\": 32", "\"max_processes\": 128");
  std::ofstream(work + "/plugins/echo/plugin.json") << manifest;
  UniqueFd fd(::open((work + "/plugins/echo/echo").c_str(), O_RDONLY | O_CLOEXEC));
  std::ofstream(work + "/whitelist") << to_hex(*sha256_of_fd(fd.get())) << "  echo\n";
  return work;
}

std::unique_ptr<Supervisor> make(const std::string& work) {
  SupervisorOptions options;
  options.plugins_dir = work + "/plugins";
  options.whitelist = work + "/whitelist";
  options.health_checks = false;
  auto sup = Supervisor::create(options);
  if (!sup) {
    std::fprintf(stderr, "bench: %s\n", sup.error().message().c_str());
    std::exit(1);
  }
  return std::move(*sup);
}

// Calls per second with `depth` chains of execute_async, each issuing its
// next call from the previous one's completion (on the loop thread).
double stack_throughput(Supervisor& sup, size_t size, int depth, int total) {
  std::vector<uint8_t> payload(size, 0x5a);
  std::atomic<int> issued{0}, done{0};
  std::promise<void> finished;
  std::function<void()> issue = [&] {
    if (issued.fetch_add(1) >= total) return;
    sup.execute_async("echo", "echo", payload, {}, [&](CallResult<Bytes> r) {
      if (!r || r->size() != payload.size()) {
        // A failing call may complete inline: stop rather than recurse.
        std::fprintf(stderr, "bench: %s\n", r ? "short reply" : r.error().describe().c_str());
        std::exit(1);
      }
      issue();
      // Last: once the total is reached the caller's frame (issue, payload)
      // goes away.
      if (done.fetch_add(1) + 1 == total) finished.set_value();
    });
  };
  auto start = Clock::now();
  for (int i = 0; i < depth; ++i) issue();
  finished.get_future().wait();
  double elapsed = seconds_since(start);
  return total / elapsed;
}

constexpr const char* kUsage =
    "usage: bench_supervisor_roundtrip [--json] [PLUGINS_DIR]\n"
    "       bench_supervisor_roundtrip --calls N [--depth D] [--size BYTES] [--sync] [PLUGINS_DIR]\n"
    "  the report: floor and stack interleaved, ratios; --json: then one JSON object, the last line\n"
    "  --calls N: only N calls of BYTES (16), D (1) in flight through execute_async, no report\n"
    "             (for strace -ff, perf stat, perf record); --sync: through execute() from this\n"
    "             thread instead, one at a time\n"
    "  PLUGINS_DIR: where the echo example is (default: the build's examples)\n";

[[noreturn]] void usage_error(const std::string& why) {
  std::fprintf(stderr, "bench_supervisor_roundtrip: %s\n%s", why.c_str(), kUsage);
  std::exit(2);
}

// A positive count or size from `--flag VALUE`.
long positive(const std::string& flag, const std::string& value) {
  char* end = nullptr;
  errno = 0;
  const long n = std::strtol(value.c_str(), &end, 10);
  if (errno != 0 || end == value.c_str() || *end != '\0' || n <= 0) {
    usage_error(flag + " wants a positive number, not '" + value + "'");
  }
  return n;
}

// N calls through execute() from this thread, one after another.
void stack_sync_calls(Supervisor& sup, size_t size, int total) {
  const std::vector<uint8_t> payload(size, 0x5a);
  for (int i = 0; i < total; ++i) {
    auto r = sup.execute("echo", "echo", payload);
    if (!r || r->size() != payload.size()) {
      std::fprintf(stderr, "bench: %s\n", r ? "short reply" : r.error().describe().c_str());
      std::exit(1);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::warn);
  bool json = false, sync = false;
  int calls_only = 0, calls_depth = 1;
  size_t calls_size = 16;
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage_error(arg + " wants a value");
      return argv[++i];
    };
    if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (arg == "--json") {
      json = true;
    } else if (arg == "--calls") {
      calls_only = static_cast<int>(positive(arg, value()));
    } else if (arg == "--depth") {
      calls_depth = static_cast<int>(positive(arg, value()));
    } else if (arg == "--size") {
      calls_size = static_cast<size_t>(positive(arg, value()));
    } else if (arg == "--sync") {
      sync = true;
    } else if (!arg.empty() && arg[0] == '-') {
      usage_error("unknown option " + arg);
    } else {
      args.push_back(arg);
    }
  }
  if (args.size() > 1) usage_error("one PLUGINS_DIR at most");
  if (calls_only == 0 && (sync || calls_depth != 1 || calls_size != 16)) {
    usage_error("--depth, --size and --sync go with --calls");
  }
  if (sync && calls_depth != 1) usage_error("--sync makes one call at a time: no --depth");
  // Every figure by its key, in the order measured (--json prints them).
  std::vector<std::pair<std::string, double>> figures;
  auto record = [&figures](const std::string& key, double value) { figures.emplace_back(key, value); };
  std::string examples = args.empty() ? STOCKADE_EXAMPLE_PLUGINS_DIR : args[0];
  if (!fs::exists(examples + "/echo/echo")) {
    usage_error(examples + "/echo/echo does not exist: PLUGINS_DIR must hold the echo example (build it first)");
  }
  std::string work = "/tmp/stockade-bench-" + std::to_string(::getpid());
  prepare_plugins(examples, work);

  if (calls_only > 0) {
    auto sup = make(work);
    if (!sup->start("echo")) return 1;
    if (sync) {
      stack_sync_calls(*sup, calls_size, calls_only);
    } else {
      stack_throughput(*sup, calls_size, calls_depth, calls_only);
    }
    sup.reset();
    fs::remove_all(work);
    return 0;
  }

  // Launch to first call: a fresh Supervisor each time (discovery, verify
  // with sha256, sandbox spawn, handshake, one Execute).
  std::vector<double> launch_ms, create_ms;
  for (int i = 0; i < 15; ++i) {
    auto t0 = Clock::now();
    auto sup = make(work);
    auto t1 = Clock::now();
    std::vector<uint8_t> payload(16, 1);
    auto r = sup->execute("echo", "echo", payload);
    if (!r) std::fprintf(stderr, "bench: %s\n", r.error().describe().c_str());
    launch_ms.push_back(seconds_since(t1) * 1e3);
    create_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }

  auto sup = make(work);
  if (!sup->start("echo")) return 1;
  stack_throughput(*sup, 16, 1, 2000);  // warm up

  std::printf("%-44s %14s %14s %8s\n", "", "bare socketpair", "stockade", "ratio");
  // Floor and stack alternate, five times each, and the medians are compared:
  // the machine is shared, and a burst of someone else's work should hit both.
  constexpr int kRepeats = 5;
  for (size_t size : {size_t{16}, size_t{64 * 1024}}) {
    int n = size == 16 ? 5000 : 1000;
    std::vector<double> floor_rates, stack_rates;
    for (int r = 0; r < kRepeats; ++r) {
      floor_rates.push_back(socketpair_round_trips_per_s(size, 1, n));
      stack_rates.push_back(stack_throughput(*sup, size, 1, n));
    }
    double floor_rate = median(floor_rates), stack_rate = median(stack_rates);
    std::printf("round trip, %-6s payload, 1 in flight (us) %14.1f %14.1f %7.2fx\n",
                size == 16 ? "16 B" : "64 KiB", 1e6 / floor_rate, 1e6 / stack_rate, floor_rate / stack_rate);
    const std::string tag = size == 16 ? "rt16" : "rt64k";
    record("floor_" + tag + "_us", 1e6 / floor_rate);
    record(tag + (size == 16 ? "_async_us" : "_us"), 1e6 / stack_rate);
  }
  // execute() from this thread (not the loop's): 16 B, and 64 KiB, whose
  // request leaves from the caller's memory (execute() lends it).
  for (size_t size : {size_t{16}, size_t{64 * 1024}}) {
    const std::vector<uint8_t> payload(size, 1);
    const int n = size == 16 ? 5000 : 1000;
    auto start = Clock::now();
    for (int i = 0; i < n; ++i) (void)sup->execute("echo", "echo", payload);
    const double sync_us = seconds_since(start) * 1e6 / n;
    std::printf("round trip, %-6s, synchronous execute() from another thread (us) %8.1f\n",
                size == 16 ? "16 B" : "64 KiB", sync_us);
    record(size == 16 ? "rt16_sync_us" : "rt64k_sync_us", sync_us);
  }
  for (int depth : {1, 8, 64}) {
    std::vector<double> floor_rates, stack_rates;
    for (int r = 0; r < kRepeats; ++r) {
      floor_rates.push_back(socketpair_round_trips_per_s(16, depth, 40000 / depth));
      stack_rates.push_back(stack_throughput(*sup, 16, depth, 20000));
    }
    double floor_rate = median(floor_rates), stack_rate = median(stack_rates);
    std::printf("throughput, 16 B, %2d in flight (calls/s)      %14.0f %14.0f %7.2fx\n", depth, floor_rate,
                stack_rate, floor_rate / stack_rate);
    record("floor_inflight" + std::to_string(depth) + "_per_s", floor_rate);
    record("inflight" + std::to_string(depth) + "_per_s", stack_rate);
  }
  // The floor again, its two processes pinned: on one CPU, and on two (the
  // free floor above lands in either mode, run by run; the stack is left
  // free). Keys floor_<measure>_one_cpu and _two_cpus; 0 where a placement
  // is impossible (one CPU).
  auto figure = [&figures](const std::string& key) {
    for (const auto& [k, v] : figures) {
      if (k == key) return v;
    }
    return 0.0;
  };
  struct Pinned {
    const char* label;
    const char* key;
    std::size_t size;
    int depth;
    int rounds;
    const char* stack_key;
  };
  const Pinned pinned[] = {
      {"round trip, 16 B (us)", "rt16", 16, 1, 5000, "rt16_async_us"},
      {"round trip, 64 KiB (us)", "rt64k", 64 * 1024, 1, 1000, "rt64k_us"},
      {"throughput, 8 in flight (calls/s)", "inflight8", 16, 8, 5000, "inflight8_per_s"},
      {"throughput, 64 in flight (calls/s)", "inflight64", 16, 64, 625, "inflight64_per_s"},
  };
  std::printf("%-44s %14s %14s %8s %8s\n", "floor pinned", "one CPU", "two CPUs", "1 CPU", "2 CPUs");
  for (const auto& p : pinned) {
    const bool rate = p.depth > 1;
    double value[2];
    const Placement placements[] = {Placement::one_cpu, Placement::two_cpus};
    for (int i = 0; i < 2; ++i) {
      std::vector<double> rates;
      for (int r = 0; r < 3; ++r) rates.push_back(socketpair_round_trips_per_s(p.size, p.depth, p.rounds, placements[i]));
      const double per_s = median(rates);
      value[i] = per_s == 0 ? 0 : (rate ? per_s : 1e6 / per_s);
      record(std::string("floor_") + p.key + (rate ? "_per_s" : "_us") + (i == 0 ? "_one_cpu" : "_two_cpus"), value[i]);
    }
    const double stack = figure(p.stack_key);
    // The stack's ratio to each: time over time, or the floor's rate over
    // the stack's (as in the table above: above 1 is slower than the floor).
    auto ratio = [&](double floor) { return floor == 0 ? 0.0 : (rate ? floor / stack : stack / floor); };
    std::printf("%-44s %14.1f %14.1f %7.2fx %7.2fx\n", p.label, value[0], value[1], ratio(value[0]), ratio(value[1]));
  }
  std::printf("launch to first call (ms, median of 15)      %29.2f\n", median(launch_ms));
  std::printf("  Supervisor::create (discovery, whitelist)  %29.2f\n", median(create_ms));
  record("launch_first_call_ms", median(launch_ms));
  record("create_ms", median(create_ms));
  if (json) {
    std::string line = "{";
    for (const auto& [key, value] : figures) {
      char number[64];
      std::snprintf(number, sizeof number, "%.3f", value);
      line += (line.size() > 1 ? ", \"" : "\"") + key + "\": " + number;
    }
    std::printf("%s}\n", line.c_str());
  }
  sup.reset();
  fs::remove_all(work);
  return 0;
}
