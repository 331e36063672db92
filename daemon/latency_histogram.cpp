#include "daemon/latency_histogram.h"

#include <algorithm>

namespace stockade::daemon {

void LatencyHistogram::observe(std::chrono::nanoseconds latency) {
  const uint64_t nanos = latency.count() > 0 ? static_cast<uint64_t>(latency.count()) : 0;
  // "le": the first bound not below the value.
  const auto* bound = std::lower_bound(kBoundNanos.begin(), kBoundNanos.end(), nanos);
  const auto index = static_cast<size_t>(bound - kBoundNanos.begin());
  buckets_[index].fetch_add(1, std::memory_order_relaxed);
  // 2^64 ns is 584 years of latency summed: wrapping is not a concern here.
  sum_nanos_.fetch_add(nanos, std::memory_order_relaxed);
}

LatencyHistogram::Snapshot LatencyHistogram::snapshot() const {
  Snapshot s;
  uint64_t running = 0;
  for (size_t i = 0; i < buckets_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    s.cumulative[i] = running;
  }
  // _count is the +Inf bucket by definition; read it from the same loads so
  // that the two never disagree within one page.
  s.count = running;
  s.sum_seconds = static_cast<double>(sum_nanos_.load(std::memory_order_relaxed)) / 1e9;
  return s;
}

}  // namespace stockade::daemon
