// Metrics: what `stockade serve` counts for Prometheus. It is fed by the
// Supervisor's observer (calls, their codes and latency, plugin launches,
// restarts and how each process ended) and renders, at each scrape, those
// counters together with the plugin and breaker states read from status():
//
//   daemon::Metrics metrics;                  // outlives the Supervisor
//   options.observer = metrics.observer();
//   auto sup = supervisor::Supervisor::create(options);
//   std::string page = metrics.render((*sup)->status());
//
// The observer runs on the runtime's loop thread, so it must be cheap: a
// call takes a shared lock, two map look-ups by string_view and a few
// relaxed atomic increments; it allocates only the first time it sees a
// plugin, method or syscall name. render() may run on any thread at the same
// time (it takes the same lock shared; a name seen for the first time waits
// for the page in progress).
//
// Names come from manifests and, for methods and unknown plugins, from
// clients: each label value is escaped once (prometheus_text.h), and the
// number of distinct values is capped (MetricsLimits), the rest counted under
// "other", so that a client inventing names cannot grow the page or the
// memory without bound. docs/operators.md, "Metrics", lists every metric.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "stockade/supervisor.h"

namespace stockade::daemon {

// Bounds on label cardinality. A name beyond a bound, or longer than
// max_label_bytes, is counted under the label value "other".
struct MetricsLimits {
  size_t max_plugins = 1024;            // plugin names (unknown plugins that clients call included)
  size_t max_methods_per_plugin = 64;   // method names per plugin
  size_t max_syscalls_per_plugin = 64;  // syscall names of seccomp violations per plugin
  size_t max_label_bytes = 128;         // bytes of one name
};

// The label value that collects whatever a bound turned away.
inline constexpr const char* kOverflowLabel = "other";

class Metrics {
 public:
  explicit Metrics(MetricsLimits limits = {});
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Callbacks that count into this object (which must outlive whoever calls
  // them): give it to SupervisorOptions::observer before create().
  supervisor::SupervisorObserver observer();

  // The same events, called directly (the observer forwards to these).
  void call_started(const supervisor::CallStarted& event);
  void call_ended(const supervisor::CallEnded& event);
  void plugin_event(const supervisor::PluginEvent& event);

  // The Prometheus text exposition (kPrometheusContentType) of everything
  // counted, plus stockade_plugin_state, stockade_breaker_state and
  // stockade_breaker_opened_total from `status` (Supervisor::status()).
  std::string render(const std::vector<supervisor::PluginStatus>& status) const;

  struct Registry;

 private:
  std::unique_ptr<Registry> registry_;
};

}  // namespace stockade::daemon
