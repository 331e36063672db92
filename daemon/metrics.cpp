#include "daemon/metrics.h"

#include <array>
#include <mutex>
#include <string_view>

#include "daemon/metrics_registry.h"
#include "daemon/prometheus_text.h"

namespace stockade::daemon {

using supervisor::ExitKind;
using supervisor::PluginEvent;
using supervisor::PluginState;

Metrics::Metrics(MetricsLimits limits) : registry_(std::make_unique<Registry>(limits)) {}
Metrics::~Metrics() = default;

supervisor::SupervisorObserver Metrics::observer() {
  return supervisor::SupervisorObserver{
      .call_started = [this](const supervisor::CallStarted& e) { call_started(e); },
      .call_ended = [this](const supervisor::CallEnded& e) { call_ended(e); },
      .plugin_event = [this](const PluginEvent& e) { plugin_event(e); },
  };
}

void Metrics::call_started(const supervisor::CallStarted& event) {
  registry_->plugin(event.plugin).in_flight.fetch_add(1, std::memory_order_relaxed);
}

void Metrics::call_ended(const supervisor::CallEnded& event) {
  PluginSeries& plugin = registry_->plugin(event.plugin);
  plugin.in_flight.fetch_sub(1, std::memory_order_relaxed);
  plugin.latency.observe(event.latency);
  registry_->method(plugin, event.method).by_code[call_code_index(event.error)].add();
}

void Metrics::plugin_event(const PluginEvent& event) {
  PluginSeries& plugin = registry_->plugin(event.plugin);
  switch (event.type) {
    case PluginEvent::Type::launched: plugin.launches.add(); return;
    case PluginEvent::Type::restarted: plugin.restarts.add(); return;
    case PluginEvent::Type::ended: break;
  }
  const auto kind = static_cast<size_t>(event.exit);
  if (kind < kExitKinds) plugin.ends[kind].add();
  if (event.exit == ExitKind::seccomp_violation) {
    registry_->syscall(plugin, event.syscall.empty() ? std::string_view("unknown") : event.syscall)
        .violations.add();
  }
}

namespace {

constexpr std::array<PluginState, 7> kPluginStates = {
    PluginState::stopped, PluginState::spawning, PluginState::handshaking, PluginState::ready,
    PluginState::draining, PluginState::backoff, PluginState::failed};
constexpr std::array<std::string_view, 3> kBreakerStates = {"closed", "open", "half-open"};

// Every plugin series, the overflow one last when it counted anything.
template <typename Fn>
void each_plugin(const Metrics::Registry& r, Fn fn) {
  for (const auto& [name, series] : r.plugins) fn(*series);
  const PluginSeries& other = r.other_plugin;
  bool used = other.launches.get() != 0 || other.restarts.get() != 0 ||
              other.latency.snapshot().count != 0 ||
              other.in_flight.load(std::memory_order_relaxed) != 0;
  for (const Counter& ends : other.ends) used = used || ends.get() != 0;
  if (used) fn(other);
}

void render_calls(const Metrics::Registry& r, PrometheusText& out) {
  out.family("stockade_calls_total", "counter",
             "Calls that ended, by plugin, method and code (OK or the error's code).");
  each_plugin(r, [&](const PluginSeries& p) {
    auto method = [&](const MethodSeries& m) {
      for (size_t code = 0; code < kCallCodes; ++code) {
        const uint64_t n = m.by_code[code].get();
        if (n == 0) continue;  // a code is shown from its first call on
        out.sample("stockade_calls_total")
            .label("plugin", p.label)
            .label("method", m.label)
            .label("code", call_code_label(code))
            .value(n);
      }
    };
    for (const auto& [name, m] : p.methods) method(*m);
    method(p.other_method);
  });

  out.family("stockade_call_duration_seconds", "histogram",
             "Call latency from acceptance to the end, retries and waits included.");
  each_plugin(r, [&](const PluginSeries& p) {
    const LatencyHistogram::Snapshot s = p.latency.snapshot();
    for (size_t i = 0; i < LatencyHistogram::kBounds; ++i) {
      out.sample("stockade_call_duration_seconds_bucket")
          .label("plugin", p.label)
          .label("le", LatencyHistogram::kBoundLabels[i])
          .value(s.cumulative[i]);
    }
    out.sample("stockade_call_duration_seconds_bucket")
        .label("plugin", p.label)
        .label("le", "+Inf")
        .value(s.count);
    out.sample("stockade_call_duration_seconds_sum").label("plugin", p.label).value(s.sum_seconds);
    out.sample("stockade_call_duration_seconds_count").label("plugin", p.label).value(s.count);
  });

  out.family("stockade_calls_in_flight", "gauge", "Calls accepted and not yet ended.");
  each_plugin(r, [&](const PluginSeries& p) {
    out.sample("stockade_calls_in_flight")
        .label("plugin", p.label)
        .value(static_cast<int64_t>(p.in_flight.load(std::memory_order_relaxed)));
  });
}

void render_processes(const Metrics::Registry& r, PrometheusText& out) {
  out.family("stockade_plugin_launches_total", "counter",
             "First starts of a plugin's process by this daemon.");
  each_plugin(r, [&](const PluginSeries& p) {
    out.sample("stockade_plugin_launches_total").label("plugin", p.label).value(p.launches.get());
  });
  out.family("stockade_plugin_restarts_total", "counter",
             "Later starts of a plugin's process (after a crash, a restart or a reload).");
  each_plugin(r, [&](const PluginSeries& p) {
    out.sample("stockade_plugin_restarts_total").label("plugin", p.label).value(p.restarts.get());
  });
  out.family("stockade_plugin_ends_total", "counter",
             "Ends of a plugin's process, by how it ended.");
  each_plugin(r, [&](const PluginSeries& p) {
    for (size_t kind = 0; kind < kExitKinds; ++kind) {
      const uint64_t n = p.ends[kind].get();
      if (n == 0) continue;
      out.sample("stockade_plugin_ends_total")
          .label("plugin", p.label)
          .label("kind", supervisor::exit_kind_name(static_cast<ExitKind>(kind)))
          .value(n);
    }
  });
  out.family("stockade_seccomp_violations_total", "counter",
             "Plugin processes killed for a forbidden syscall, by syscall.");
  each_plugin(r, [&](const PluginSeries& p) {
    auto syscall = [&](const SyscallSeries& s) {
      if (s.violations.get() == 0) return;
      out.sample("stockade_seccomp_violations_total")
          .label("plugin", p.label)
          .label("syscall", s.label)
          .value(s.violations.get());
    };
    for (const auto& [name, s] : p.syscalls) syscall(*s);
    syscall(p.other_syscall);
  });
  out.family("stockade_limit_kills_total", "counter",
             "Plugin processes killed at a resource limit, by limit (memory, cpu, file_size).");
  each_plugin(r, [&](const PluginSeries& p) {
    for (size_t kind = 0; kind < kExitKinds; ++kind) {
      const char* limit = limit_kind_label(static_cast<ExitKind>(kind));
      const uint64_t n = p.ends[kind].get();
      if (limit == nullptr || n == 0) continue;
      out.sample("stockade_limit_kills_total").label("plugin", p.label).label("kind", limit).value(n);
    }
  });
}

void render_status(const std::vector<supervisor::PluginStatus>& status, PrometheusText& out) {
  std::vector<std::string> labels;
  labels.reserve(status.size());
  for (const auto& s : status) labels.push_back(label_value(s.name));

  out.family("stockade_plugin_state", "gauge",
             "1 for the state each plugin is in now, 0 for the others.");
  for (size_t i = 0; i < status.size(); ++i) {
    for (PluginState state : kPluginStates) {
      out.sample("stockade_plugin_state")
          .label("plugin", labels[i])
          .label("state", supervisor::plugin_state_name(state))
          .value(uint64_t{status[i].state == state ? 1u : 0u});
    }
  }
  out.family("stockade_breaker_state", "gauge",
             "1 for the state each plugin's circuit breaker is in now, 0 for the others.");
  for (size_t i = 0; i < status.size(); ++i) {
    for (std::string_view state : kBreakerStates) {
      out.sample("stockade_breaker_state")
          .label("plugin", labels[i])
          .label("state", state)
          .value(uint64_t{status[i].breaker == state ? 1u : 0u});
    }
  }
  out.family("stockade_breaker_opened_total", "counter",
             "Times each plugin's circuit breaker opened.");
  for (size_t i = 0; i < status.size(); ++i) {
    out.sample("stockade_breaker_opened_total").label("plugin", labels[i]).value(status[i].breaker_opened);
  }
}

}  // namespace

std::string Metrics::render(const std::vector<supervisor::PluginStatus>& status) const {
  PrometheusText out;
  {
    std::shared_lock lock(registry_->mutex);
    render_calls(*registry_, out);
    render_processes(*registry_, out);
  }
  render_status(status, out);
  return out.take();
}

}  // namespace stockade::daemon
