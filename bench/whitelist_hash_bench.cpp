// Hashing throughput of whitelist/ against its floor, OpenSSL itself.
//   BM_OpenSslOneShot   EVP_Digest over the whole buffer: the floor.
//   BM_Sha256Hasher     Sha256Hasher fed 1 MiB at a time, as sha256_of_fd does.
//   BM_Sha256OfFd       sha256_of_fd on a cached file of the same size (pread path).
// After the runs, prints the hasher's and the fd path's throughput as a
// percentage of the floor's (target: hasher >= 95%). Rates are per CPU second
// (Google Benchmark's default), steadier than wall time on a shared machine.
#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "base/unique_fd.h"
#include "whitelist/sha256.h"

namespace {

constexpr size_t kBufferBytes = 64 * 1024 * 1024;
constexpr size_t kChunk = 1024 * 1024;

const std::vector<uint8_t>& buffer() {
  static const std::vector<uint8_t> buf = [] {
    std::vector<uint8_t> b(kBufferBytes);
    uint32_t x = 12345;
    for (auto& byte : b) {
      x = x * 1664525u + 1013904223u;
      byte = static_cast<uint8_t>(x >> 24);
    }
    return b;
  }();
  return buf;
}

void BM_OpenSslOneShot(benchmark::State& state) {
  const auto& buf = buffer();
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  for (auto _ : state) {
    if (EVP_Digest(buf.data(), buf.size(), out, &len, EVP_sha256(), nullptr) != 1) {
      state.SkipWithError("EVP_Digest failed");
      break;
    }
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * buf.size()));
}

void BM_Sha256Hasher(benchmark::State& state) {
  const auto& buf = buffer();
  auto hasher = stockade::Sha256Hasher::create();
  if (!hasher) {
    state.SkipWithError("cannot create hasher");
    return;
  }
  for (auto _ : state) {
    for (size_t off = 0; off < buf.size(); off += kChunk) {
      (void)hasher->update(std::span(buf.data() + off, kChunk));
    }
    auto digest = hasher->finish();
    benchmark::DoNotOptimize(digest);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * buf.size()));
}

void BM_Sha256OfFd(benchmark::State& state) {
  const auto& buf = buffer();
  char path[] = "/tmp/stockade-bench-XXXXXX";
  stockade::UniqueFd fd(mkstemp(path));
  if (!fd) {
    state.SkipWithError("mkstemp failed");
    return;
  }
  unlink(path);
  if (write(fd.get(), buf.data(), buf.size()) != static_cast<ssize_t>(buf.size())) {
    state.SkipWithError("cannot write the test file");
    return;
  }
  for (auto _ : state) {
    auto digest = stockade::sha256_of_fd(fd.get());
    if (!digest) {
      state.SkipWithError("sha256_of_fd failed");
      break;
    }
    benchmark::DoNotOptimize(digest);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * buf.size()));
}

BENCHMARK(BM_OpenSslOneShot)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_Sha256Hasher)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_Sha256OfFd)->Unit(benchmark::kMillisecond)->MinTime(2.0);

// Keeps the best bytes/second of each benchmark to print ratios at the end.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  // Colours only on a terminal, so saved output stays plain text.
  RatioReporter() : ConsoleReporter(isatty(STDOUT_FILENO) ? OO_Defaults : OO_Tabular) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      if (run.run_type != Run::RT_Iteration || run.error_occurred) continue;
      auto it = run.counters.find("bytes_per_second");
      if (it == run.counters.end()) continue;
      // "BM_Sha256Hasher/min_time:2.000" -> "BM_Sha256Hasher"
      const std::string name = run.benchmark_name();
      double& best = best_[name.substr(0, name.find('/'))];
      if (it->second.value > best) best = it->second.value;
    }
  }
  void print_ratios() const {
    const auto floor = best_.find("BM_OpenSslOneShot");
    if (floor == best_.end() || floor->second <= 0) return;
    std::printf("\nfloor: OpenSSL one-shot %.0f MB/s\n", floor->second / 1e6);
    for (const auto& [name, rate] : best_) {
      if (name == floor->first) continue;
      std::printf("%-20s %.0f MB/s = %.1f%% of the floor\n", name.c_str(), rate / 1e6,
                  100.0 * rate / floor->second);
    }
  }

 private:
  std::map<std::string, double> best_;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.print_ratios();
  benchmark::Shutdown();
  return 0;
}
