#include "daemon/metrics_registry.h"

#include <mutex>

#include "daemon/prometheus_text.h"

namespace stockade::daemon {
namespace {

// Find `name` in `series` under a shared lock; if absent, insert it under an
// exclusive one, unless `cap` names are there already (or the name is too
// long): then `overflow`. A name beyond the cap costs a shared look-up and no
// exclusive lock, so a client spraying new names cannot stall the loop
// behind a scrape.
template <typename Series>
Series& find_or_insert(std::shared_mutex& mutex,
                       std::map<std::string, std::unique_ptr<Series>, std::less<>>& series,
                       std::string_view name, size_t cap, size_t max_bytes, Series& overflow) {
  if (name.size() > max_bytes) return overflow;
  {
    std::shared_lock lock(mutex);
    if (auto it = series.find(name); it != series.end()) return *it->second;
    if (series.size() >= cap) return overflow;
  }
  std::unique_lock lock(mutex);
  if (auto it = series.find(name); it != series.end()) return *it->second;
  if (series.size() >= cap) return overflow;
  auto created = std::make_unique<Series>(label_value(name));
  Series& ref = *created;
  series.emplace(std::string(name), std::move(created));
  return ref;
}

}  // namespace

PluginSeries::PluginSeries(std::string escaped)
    : label(std::move(escaped)), other_method(kOverflowLabel), other_syscall(kOverflowLabel) {}

Metrics::Registry::Registry(MetricsLimits l) : limits(l), other_plugin(kOverflowLabel) {}

PluginSeries& Metrics::Registry::plugin(std::string_view name) {
  return find_or_insert(mutex, plugins, name, limits.max_plugins, limits.max_label_bytes,
                        other_plugin);
}

MethodSeries& Metrics::Registry::method(PluginSeries& p, std::string_view name) {
  return find_or_insert(mutex, p.methods, name, limits.max_methods_per_plugin,
                        limits.max_label_bytes, p.other_method);
}

SyscallSeries& Metrics::Registry::syscall(PluginSeries& p, std::string_view name) {
  return find_or_insert(mutex, p.syscalls, name, limits.max_syscalls_per_plugin,
                        limits.max_label_bytes, p.other_syscall);
}

size_t call_code_index(const std::optional<supervisor::StatusCode>& error) {
  if (!error) return 0;
  const auto index = 1 + static_cast<size_t>(*error);
  return index < kCallCodes ? index : 1 + static_cast<size_t>(supervisor::StatusCode::unknown);
}

const char* call_code_label(size_t index) {
  if (index == 0) return "OK";
  return supervisor::status_code_name(static_cast<supervisor::StatusCode>(index - 1));
}

const char* limit_kind_label(supervisor::ExitKind kind) {
  using supervisor::ExitKind;
  switch (kind) {
    case ExitKind::memory_limit: return "memory";
    case ExitKind::cpu_limit: return "cpu";
    case ExitKind::file_size_limit: return "file_size";
    default: return nullptr;
  }
}

}  // namespace stockade::daemon
