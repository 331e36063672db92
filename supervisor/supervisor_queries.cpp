// Supervisor: Info, Health and status (the calls that bypass the breaker).
#include "stockade/supervisor.h"
#include "supervisor/supervisor_impl.h"
#include "wire/messages.h"

namespace stockade::supervisor {

namespace fb = wire::fb;
using std::chrono::milliseconds;

namespace {

PluginInfo to_info(const fb::InfoResponse& r) {
  PluginInfo info{std::string(wire::view(r.name())), std::string(wire::view(r.version())),
                  std::string(wire::view(r.description())), {}, {}, {}};
  if (r.capabilities() != nullptr) {
    for (const auto* s : *r.capabilities()) info.capabilities.emplace_back(wire::view(s));
  }
  if (r.methods() != nullptr) {
    for (const auto* s : *r.methods()) info.methods.emplace_back(wire::view(s));
  }
  if (r.metadata() != nullptr) {
    for (const auto* kv : *r.metadata()) {
      info.metadata.emplace_back(std::string(wire::view(kv->key())), std::string(wire::view(kv->value())));
    }
  }
  return info;
}

// A control request (Info or Health) on the loop, converted by `convert`.
template <typename T, typename Convert>
CallResult<T> control_call(Supervisor::Impl& impl, const std::string& name, RequestKind kind,
                           std::optional<milliseconds> timeout, Convert convert) {
  return impl.run_on_loop<CallResult<T>>(
      [&](auto fulfil) {
        PluginEntry* entry = impl.find(name);
        if (entry == nullptr) return fulfil(no_such_plugin(name));
        auto wait = timeout.value_or(milliseconds(entry->process->manifest().health.timeout_ms));
        entry->process->call(Request{kind, {}, {}, 1}, Clock::now() + wait,
                             [fulfil, convert](const Answer* answer, const CallError* error) {
                               if (answer == nullptr) return fulfil(*error);
                               fulfil(convert(answer->envelope));
                             });
      },
      called_on_loop_thread(kind == RequestKind::info ? "info" : "health"));
}

}  // namespace

CallResult<PluginInfo> Supervisor::info(const std::string& name, std::optional<milliseconds> timeout) {
  return control_call<PluginInfo>(*impl_, name, RequestKind::info, timeout, [](const fb::Envelope& e) {
    return to_info(*e.body_as_InfoResponse());
  });
}

CallResult<HealthReport> Supervisor::health(const std::string& name, std::optional<milliseconds> timeout) {
  return control_call<HealthReport>(*impl_, name, RequestKind::health, timeout, [](const fb::Envelope& e) {
    const auto* h = e.body_as_HealthResponse();
    return HealthReport{h->status() == fb::ServingStatus::SERVING, std::string(wire::view(h->message()))};
  });
}

std::vector<PluginStatus> Supervisor::status() {
  using List = std::vector<PluginStatus>;
  return impl_->run_on_loop<List>(
      [this](auto fulfil) {
        List list;
        for (const auto& [name, entry] : impl_->plugins) {
          PluginStatus s;
          s.name = name;
          s.state = entry.process->state();
          s.reason = entry.process->reason();
          s.breaker = breaker_state_name(entry.policy->breaker.state());
          s.breaker_opened = entry.policy->breaker.times_opened();
          s.last_failure = entry.process->last_failure();
          s.crashes_in_a_row = entry.process->crashes_in_a_row();
          s.counters = entry.process->counters();
          s.retries = entry.policy->retries;
          s.retries_refused_by_budget = entry.policy->budget.retries_refused();
          list.push_back(std::move(s));
        }
        fulfil(std::move(list));
      },
      List{});
}

}  // namespace stockade::supervisor
