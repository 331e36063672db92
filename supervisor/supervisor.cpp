#include "supervisor/supervisor.h"

#include <boost/asio/dispatch.hpp>
#include <spdlog/spdlog.h>

#include "supervisor/supervisor_impl.h"

namespace stockade::supervisor {

namespace asio = boost::asio;
using std::chrono::milliseconds;

CallError no_such_plugin(const std::string& name) {
  CallError error{StatusCode::not_found, "no plugin named \"" + name + "\"", Delivery::not_sent};
  error.hopeless = true;
  return error;
}

CallError supervisor_stopped() {
  CallError error{StatusCode::unavailable, "the supervisor is stopped", Delivery::not_sent};
  error.hopeless = true;
  return error;
}

Result<std::unique_ptr<Supervisor>> Supervisor::create(const SupervisorOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  if (options.dev == !options.whitelist.empty()) {
    return Error{Errc::invalid_input, "give exactly one of a whitelist and development mode", {}};
  }
  if (!options.dev) {
    auto whitelist = Whitelist::load(options.whitelist);
    if (!whitelist) return whitelist.error();
    impl->whitelist = std::move(*whitelist);
  } else {
    spdlog::warn("DEVELOPMENT MODE: plugins run WITHOUT whitelist verification; never use it in production");
  }
  // Before any launch: the empty cgroups of a supervisor that was killed.
  sandbox::prune_stale_cgroups();
  auto registry = PluginRegistry::discover(options.plugins_dir);
  if (!registry) return registry.error();
  impl->registry = std::move(*registry);
  for (const auto& problem : impl->registry.problems()) {
    spdlog::error("plugin skipped: {}", problem.message());
  }

  auto& s = impl->settings;
  s.launch.whitelist = impl->whitelist ? &*impl->whitelist : nullptr;
  s.launch.ceilings = options.ceilings;
  s.launch.identity = options.identity;
  s.handshake_timeout = options.handshake_timeout;
  s.max_queued_calls = options.max_queued_calls;
  s.output = options.output;
  for (const auto& [name, manifest] : impl->registry.plugins()) {
    PluginEntry entry;
    entry.process = std::make_shared<PluginProcess>(impl->io, manifest, s);
    entry.policy = std::make_shared<CallPolicy>(manifest);
    entry.health = std::make_shared<HealthChecker>(impl->io, entry.process, manifest.health);
    if (options.health_checks) entry.health->start();
    impl->plugins.emplace(name, std::move(entry));
  }
  impl->work.emplace(impl->io.get_executor());
  impl->thread = std::thread([io = &impl->io] { io->run(); });
  return std::unique_ptr<Supervisor>(new Supervisor(std::move(impl)));
}

Supervisor::Supervisor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Supervisor::~Supervisor() {
  stop();
  // Our references go first; handlers still queued on the loop drop theirs
  // when the io_context (declared first in Impl) is destroyed last.
  impl_->plugins.clear();
}

const PluginRegistry& Supervisor::registry() const { return impl_->registry; }

Status Supervisor::start(const std::string& name) {
  if (impl_->find(name) == nullptr) {
    return Error{Errc::not_found, "no plugin named \"" + name + "\" in " + impl_->options.plugins_dir, {}};
  }
  return impl_->run_on_loop<Status>(
      [this, &name](auto fulfil) { impl_->find(name)->process->when_started(std::move(fulfil)); },
      Error{Errc::unavailable, "the supervisor is stopped", {}});
}

void Supervisor::execute_async(const std::string& name, const std::string& method,
                               std::span<const uint8_t> payload, const ExecuteOptions& options,
                               std::function<void(CallResult<Bytes>)> done) {
  if (impl_->stopped.load()) return done(supervisor_stopped());
  // Copied now: the caller's bytes need not outlive this call.
  asio::dispatch(impl_->io, [impl = impl_.get(), name, method, bytes = Bytes(payload.begin(), payload.end()),
                             options, done = std::move(done)]() mutable {
    PluginEntry* entry = impl->find(name);
    if (entry == nullptr) return done(no_such_plugin(name));
    const auto& manifest = entry->process->manifest();
    auto timeout = options.timeout.value_or(milliseconds(manifest.execute.timeout_ms));
    bool idempotent = options.idempotent.value_or(manifest.execute.idempotent);
    execute_call(impl->io, entry->process, entry->policy, std::move(method), std::move(bytes),
                 Clock::now() + timeout, idempotent, std::move(done));
  });
}

CallResult<Bytes> Supervisor::execute(const std::string& name, const std::string& method,
                                      std::span<const uint8_t> payload, const ExecuteOptions& options) {
  return impl_->run_on_loop<CallResult<Bytes>>(
      [&](auto fulfil) { execute_async(name, method, payload, options, std::move(fulfil)); },
      supervisor_stopped());
}

void Supervisor::stop() {
  if (impl_->stopped.exchange(true)) return;
  std::promise<void> all_stopped;
  asio::post(impl_->io, [impl = impl_.get(), &all_stopped] {
    auto left = std::make_shared<size_t>(impl->plugins.size());
    if (*left == 0) return all_stopped.set_value();
    for (auto& [name, entry] : impl->plugins) {
      entry.health->stop();
      entry.process->stop(impl->options.shutdown_grace, [left, &all_stopped] {
        if (--*left == 0) all_stopped.set_value();
      });
    }
  });
  all_stopped.get_future().wait();
  impl_->work.reset();
  // Deadline timers of calls that can no longer happen would keep run() going.
  impl_->io.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace stockade::supervisor
