// A latency histogram with fixed buckets, from 100 µs to 60 s, that one
// thread observes into and another reads, without locks: each observation
// increments one bucket and the sum (relaxed atomics). Buckets are kept
// per bucket and made cumulative when read, so an observation is one
// search over 18 bounds and two increments.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string_view>

namespace stockade::daemon {

class LatencyHistogram {
 public:
  static constexpr size_t kBounds = 18;
  // The upper bounds in nanoseconds, and as Prometheus "le" labels (seconds).
  static constexpr std::array<uint64_t, kBounds> kBoundNanos = {
      100'000,        250'000,        500'000,        1'000'000,      2'500'000,
      5'000'000,      10'000'000,     25'000'000,     50'000'000,     100'000'000,
      250'000'000,    500'000'000,    1'000'000'000,  2'500'000'000,  5'000'000'000,
      10'000'000'000, 30'000'000'000, 60'000'000'000};
  static constexpr std::array<std::string_view, kBounds> kBoundLabels = {
      "0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05",
      "0.1",    "0.25",    "0.5",    "1",     "2.5",    "5",     "10",   "30",    "60"};

  void observe(std::chrono::nanoseconds latency);

  // A consistent-enough copy for one exposition: cumulative counts (the last
  // is +Inf, equal to `count`), and the sum in seconds.
  struct Snapshot {
    std::array<uint64_t, kBounds + 1> cumulative{};
    uint64_t count = 0;
    double sum_seconds = 0;
  };
  Snapshot snapshot() const;

 private:
  std::array<std::atomic<uint64_t>, kBounds + 1> buckets_{};  // the last: above 60 s
  std::atomic<uint64_t> sum_nanos_{0};
};

}  // namespace stockade::daemon
