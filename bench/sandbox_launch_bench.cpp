// bench_sandbox_launch: launch cost of a sandboxed static "exit 0" binary
// (open, spawn with the verification overlapped with the child's setup, as
// `stockade jail` and the supervisor do, wait) beside a bare fork+exec+wait of
// the same binary,
// measured in the same run and reported as a ratio, with the median per
// step; then the same with the supervisor holding 256 MiB of touched memory,
// to show the launch cost does not grow with it (the child is started with
// CLONE_VM: no page tables are copied).
//
//   bench_sandbox_launch [ITERATIONS]     (as root: with cgroups; as another
//                                          user: rlimits only)
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "bench/bench_stats.h"
#include "sandbox/sandbox.h"
#include "whitelist/whitelist.h"

using stockade::bench::median;

namespace {

using Clock = std::chrono::steady_clock;
using stockade::sandbox::LaunchTimings;

double micros(Clock::duration d) {
  return std::chrono::duration<double, std::micro>(d).count();
}

double percentile90(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values.empty() ? 0 : values[values.size() * 9 / 10];
}

std::string exit0_path() {
  char self[PATH_MAX] = {};
  ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  std::string path(self, n > 0 ? static_cast<size_t>(n) : 0);
  return path.substr(0, path.rfind('/')) + "/bench_exit0";
}

double bare_fork_exec(const std::string& path) {
  const auto start = Clock::now();
  pid_t pid = fork();
  if (pid == 0) {
    char* argv[] = {const_cast<char*>("exit0"), nullptr};
    char* envp[] = {nullptr};
    execve(path.c_str(), argv, envp);
    _exit(127);
  }
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status)) {
    std::fprintf(stderr, "bare fork+exec failed\n");
    std::exit(1);
  }
  return micros(Clock::now() - start);
}

struct SandboxSample {
  double total, open, wait;
  LaunchTimings steps;
  std::string cgroup;
};

SandboxSample sandboxed(const std::string& path, const stockade::Whitelist& whitelist) {
  SandboxSample sample{};
  const auto start = Clock::now();
  auto binary = stockade::OpenedBinary::open(path);
  if (!binary) {
    std::fprintf(stderr, "open: %s\n", binary.error().message().c_str());
    std::exit(1);
  }
  const auto opened = Clock::now();
  stockade::sandbox::Policy policy;
  policy.argv = {"exit0"};
  auto verify = [&](stockade::OpenedBinary&& b) {
    return stockade::VerifiedBinary::verify(std::move(b), "exit0", whitelist);
  };
  auto child = stockade::sandbox::spawn(std::move(*binary), verify, policy, {});
  if (!child) {
    std::fprintf(stderr, "spawn: %s\n", child.error().message().c_str());
    std::exit(1);
  }
  const auto spawned = Clock::now();
  auto status = child->wait();
  if (!status || status->kind != stockade::sandbox::ExitStatus::Kind::exited || status->code) {
    std::fprintf(stderr, "sandboxed exit0 did not exit 0\n");
    std::exit(1);
  }
  sample.steps = child->timings();
  sample.cgroup = child->applied().cgroup;
  { auto gone = std::move(*child); }  // reap + cgroup removal counted in "wait"
  const auto end = Clock::now();
  sample.open = micros(opened - start);
  sample.wait = micros(end - spawned);
  sample.total = micros(end - start);
  return sample;
}

void run_round(const char* label, const std::string& path, const stockade::Whitelist& whitelist,
               int iterations) {
  std::vector<double> bare, total, open, prepare, cgroup, clone, maps, verify, setup, wait;
  std::string cgroup_mode;
  // Not interleaved: a plain fork of a big parent write-protects its pages
  // and would bill the following sandbox launch for the copy-on-write faults.
  for (int i = 0; i < iterations; ++i) bare.push_back(bare_fork_exec(path));
  for (int i = 0; i < iterations; ++i) {
    SandboxSample s = sandboxed(path, whitelist);
    total.push_back(s.total);
    open.push_back(s.open);
    verify.push_back(static_cast<double>(s.steps.verify_us));
    prepare.push_back(static_cast<double>(s.steps.prepare_us));
    cgroup.push_back(static_cast<double>(s.steps.cgroup_us));
    clone.push_back(static_cast<double>(s.steps.clone_us));
    maps.push_back(static_cast<double>(s.steps.maps_us));
    setup.push_back(static_cast<double>(s.steps.setup_us));
    wait.push_back(s.wait);
    cgroup_mode = s.cgroup;
  }
  std::printf("== %s (%d iterations; cgroup: %s)\n", label, iterations, cgroup_mode.c_str());
  std::printf("bare fork+exec+wait          median %8.0f us   p90 %8.0f us\n", median(bare),
              percentile90(bare));
  std::printf("verify+sandbox+exit (total)  median %8.0f us   p90 %8.0f us   ratio %.2fx\n",
              median(total), percentile90(total), median(total) / median(bare));
  std::printf("  open + checks              median %8.0f us\n", median(open));
  std::printf("  prepare (policy, seccomp)  median %8.0f us\n", median(prepare));
  std::printf("  cgroup create + limits     median %8.0f us\n", median(cgroup));
  std::printf("  clone3 (namespaces)        median %8.0f us\n", median(clone));
  std::printf("  id maps                    median %8.0f us\n", median(maps));
  std::printf("  wait for the verifier      median %8.0f us   (sha256 on its own thread)\n", median(verify));
  std::printf("  child setup until exec     median %8.0f us\n", median(setup));
  std::printf("  run + wait + reap + rmdir  median %8.0f us\n", median(wait));
}

}  // namespace

int main(int argc, char** argv) {
  const int iterations = argc > 1 ? std::max(1, std::atoi(argv[1])) : 100;
  const std::string path = exit0_path();
  auto digest = [&] {
    auto file = stockade::VerifiedBinary::unverified(
        path, "exit0", stockade::VerifiedBinary::DangerousDevelopmentMode{});
    if (!file) {
      std::fprintf(stderr, "%s\n", file.error().message().c_str());
      std::exit(1);
    }
    return stockade::to_hex(file->digest());
  }();
  auto whitelist = stockade::Whitelist::parse(digest + "  exit0\n", "bench");
  if (!whitelist) {
    std::fprintf(stderr, "%s\n", whitelist.error().message().c_str());
    return 1;
  }
  sandboxed(path, *whitelist);  // warm-up: caches, cgroup layout detection
  run_round("supervisor with a small heap", path, *whitelist, iterations);

  const size_t big = 256u << 20;
  std::vector<char> ballast(big);
  std::memset(ballast.data(), 1, big);
  run_round("supervisor holding 256 MiB (touched)", path, *whitelist, iterations);
  std::printf("(ballast checksum %d)\n", ballast[big / 2]);
  return 0;
}
