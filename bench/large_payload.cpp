// Large payloads: where a sealed memfd beats a frame (the threshold of
// SupervisorOptions::memfd_threshold), and what a call of many MiB costs.
// For each size, three figures in one run, medians of 5 rounds:
//   floor   a bare socketpair round trip of the same bytes to a forked echo
//           (write N, read N back), the kernel's copy both ways;
//   frame   execute() through the sandboxed SDK echo, payload inline in
//           frames (a plugin with a 64 MiB frame limit, no memfds);
//   memfd   the same with every payload in a sealed memfd (threshold 1 B).
// A plain program (not Google Benchmark): the figures are ratios in one run.
//
//   bench_large_payload [--json] [EXAMPLES_DIR]
//   bench_large_payload --only frames|memfd --size BYTES --rounds N [DIR]
//                        N calls of one path only, no report (for perf record -a)
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "bench/bench_stats.h"
#include "bench/socketpair_floor.h"
#include "base/unique_fd.h"
#include "stockade/supervisor.h"
#include "whitelist/sha256.h"

using stockade::bench::median;
using stockade::bench::seconds_since;

namespace {

using namespace stockade;
using namespace stockade::supervisor;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

// Microseconds per round trip of `size` bytes over a socketpair to a child
// that echoes them.
double floor_us(size_t size, int rounds) {
  return 1e6 / stockade::bench::socketpair_round_trips_per_s(size, 1, rounds);
}

// The echo example twice: "frames" (64 MiB frames, no memfds) and "memfd"
// (payloads up to 256 MiB in memfds), with room in memory for both.
std::string prepare(const std::string& examples, const std::string& work) {
  std::string whitelist;
  for (const char* name : {"frames", "memfd"}) {
    const std::string dir = work + "/plugins/" + name;
    fs::create_directories(dir);
    fs::copy_file(examples + "/echo/echo", dir + "/echo", fs::copy_options::overwrite_existing);
    const bool memfd = std::strcmp(name, "memfd") == 0;
    std::ofstream(dir + "/plugin.json")
        << "{\"name\": \"" << name << "\", \"endpoint\": \"echo\",\n"
        << " \"resources\": {\"max_memory_mb\": 1024, \"max_file_size_mb\": 256, \"max_processes\": 32},\n"
        << " \"execute\": {\"timeout_ms\": 30000, \"max_concurrency\": 4, \"idempotent\": true, "
        << (memfd ? "\"max_payload_mb\": 256" : "\"max_frame_kb\": 65536") << "}}\n";
    UniqueFd fd(::open((dir + "/echo").c_str(), O_RDONLY | O_CLOEXEC));
    whitelist += to_hex(*sha256_of_fd(fd.get())) + "  " + name + "\n";
  }
  std::ofstream(work + "/whitelist") << whitelist;
  return work;
}

std::unique_ptr<Supervisor> make(const std::string& work) {
  SupervisorOptions options;
  options.plugins_dir = work + "/plugins";
  options.whitelist = work + "/whitelist";
  options.health_checks = false;
  options.ceilings.max_memory_mb = 1024;
  options.ceilings.max_payload_mb = 256;
  options.memfd_threshold = 1;  // the memfd plugin: every payload in a memfd
  auto sup = Supervisor::create(options);
  if (!sup) {
    std::fprintf(stderr, "bench: %s\n", sup.error().message().c_str());
    std::exit(1);
  }
  return std::move(*sup);
}

double call_us(Supervisor& sup, const char* plugin, const std::vector<uint8_t>& payload, int rounds) {
  auto start = Clock::now();
  for (int i = 0; i < rounds; ++i) {
    auto reply = sup.execute(plugin, "echo", payload, ExecuteOptions{std::chrono::seconds(30), std::nullopt});
    if (!reply || reply->size() != payload.size()) {
      std::fprintf(stderr, "bench: %s: %s\n", plugin, reply ? "short reply" : reply.error().describe().c_str());
      std::exit(1);
    }
  }
  return seconds_since(start) * 1e6 / rounds;
}

}  // namespace

int main(int argc, char** argv) {
  bool json = false;
  std::string examples = STOCKADE_EXAMPLE_PLUGINS_DIR;
  std::string only;
  size_t only_size = 1u << 20;
  int only_rounds = 100;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--json") == 0) {
      json = true;
    } else if (std::strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
      only = argv[++i];
    } else if (std::strcmp(argv[i], "--size") == 0 && i + 1 < argc) {
      only_size = std::strtoull(argv[++i], nullptr, 10);
    } else if (std::strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) {
      only_rounds = std::atoi(argv[++i]);
    } else {
      examples = argv[i];
    }
  }
  spdlog::set_level(spdlog::level::warn);
  char tmpl[] = "/tmp/stockade-bench-large-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) return 1;
  const std::string work = prepare(examples, tmpl);
  auto sup = make(work);
  if (!only.empty()) {
    const std::vector<uint8_t> payload(only_size, 0x5a);
    (void)call_us(*sup, only.c_str(), payload, 1);
    std::printf("%s, %zu bytes: %.1f us a call\n", only.c_str(), only_size,
                call_us(*sup, only.c_str(), payload, only_rounds));
    sup.reset();
    fs::remove_all(work);
    return 0;
  }
  const std::vector<size_t> sizes = {16u << 10, 64u << 10, 256u << 10, 1u << 20, 4u << 20, 16u << 20, 64u << 20};
  std::printf("size        floor us   frame us  memfd us   frame/floor memfd/floor\n");
  std::string out = "{";
  for (size_t size : sizes) {
    const std::vector<uint8_t> payload(size, 0x5a);
    const int rounds = size >= (16u << 20) ? 5 : size >= (1u << 20) ? 20 : 200;
    if (size < (64u << 20)) (void)call_us(*sup, "frames", payload, 2);  // started, buffers warm
    (void)call_us(*sup, "memfd", payload, 2);
    std::vector<double> floors, frames, memfds;
    for (int r = 0; r < 5; ++r) {
      floors.push_back(floor_us(size, rounds));
      // The 64 MiB frame limit is the payload's and FlatBuffers' together.
      if (size < (64u << 20)) frames.push_back(call_us(*sup, "frames", payload, rounds));
      memfds.push_back(call_us(*sup, "memfd", payload, rounds));
    }
    const double f = median(floors), m = median(memfds);
    const double fr = frames.empty() ? 0 : median(frames);
    std::printf("%7zu KiB %9.1f %10.1f %9.1f %12.2fx %10.2fx\n", size >> 10, f, fr, m, fr / f, m / f);
    const std::string tag = std::to_string(size >> 10) + "k";
    out += (out.size() > 1 ? ", " : "") + std::string("\"floor_") + tag + "_us\": " + std::to_string(f);
    if (fr > 0) out += ", \"frame_" + tag + "_us\": " + std::to_string(fr);
    out += ", \"memfd_" + tag + "_us\": " + std::to_string(m);
  }
  sup.reset();
  fs::remove_all(work);
  if (json) std::printf("%s}\n", out.c_str());
  return 0;
}
