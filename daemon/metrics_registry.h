// The series behind Metrics (metrics.h): one PluginSeries a plugin name, each
// with its methods and syscalls. Entries are created on first sight and never
// removed (a counter must not go back to zero while the daemon runs; a plugin
// removed by reload keeps its last values), so a pointer found under the lock
// stays valid after it, and the counters are atomics touched without it.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>

#include "daemon/latency_histogram.h"
#include "daemon/metrics.h"

namespace stockade::daemon {

// "OK" and every StatusCode, in this order.
inline constexpr size_t kCallCodes = 1 + static_cast<size_t>(supervisor::StatusCode::unimplemented) + 1;
inline constexpr size_t kExitKinds =
    static_cast<size_t>(supervisor::ExitKind::handshake_failed) + 1;

struct Counter {
  std::atomic<uint64_t> value{0};
  void add() { value.fetch_add(1, std::memory_order_relaxed); }
  uint64_t get() const { return value.load(std::memory_order_relaxed); }
};

struct MethodSeries {
  explicit MethodSeries(std::string escaped) : label(std::move(escaped)) {}
  const std::string label;                  // escaped (label_value)
  std::array<Counter, kCallCodes> by_code{};  // index: call_code_index()
};

struct SyscallSeries {
  explicit SyscallSeries(std::string escaped) : label(std::move(escaped)) {}
  const std::string label;
  Counter violations{};
};

struct PluginSeries {
  explicit PluginSeries(std::string escaped);
  const std::string label;
  std::atomic<int64_t> in_flight{0};
  LatencyHistogram latency{};
  Counter launches{};
  Counter restarts{};
  std::array<Counter, kExitKinds> ends{};
  // Keyed by the raw name (what the events carry); std::less<> finds a
  // string_view without building a string.
  std::map<std::string, std::unique_ptr<MethodSeries>, std::less<>> methods{};
  MethodSeries other_method;
  std::map<std::string, std::unique_ptr<SyscallSeries>, std::less<>> syscalls{};
  SyscallSeries other_syscall;
};

struct Metrics::Registry {
  explicit Registry(MetricsLimits l);

  // The series of `name`, created on first sight (or the overflow series).
  PluginSeries& plugin(std::string_view name);
  MethodSeries& method(PluginSeries& plugin, std::string_view name);
  SyscallSeries& syscall(PluginSeries& plugin, std::string_view name);

  const MetricsLimits limits;
  // Shared: look-ups and render(); exclusive: inserting a name.
  mutable std::shared_mutex mutex;
  std::map<std::string, std::unique_ptr<PluginSeries>, std::less<>> plugins;
  PluginSeries other_plugin;
};

size_t call_code_index(const std::optional<supervisor::StatusCode>& error);
const char* call_code_label(size_t index);  // "OK", "UNAVAILABLE", ...
// "memory", "cpu", "file_size" for the kinds that are a limit's kill; nullptr otherwise.
const char* limit_kind_label(supervisor::ExitKind kind);

}  // namespace stockade::daemon
