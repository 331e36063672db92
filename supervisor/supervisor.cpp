#include "stockade/supervisor.h"

#include "supervisor/call_waiter.h"
#include "supervisor/fd_limit.h"
#include "supervisor/loop_runner.h"
#include "supervisor/supervisor_impl.h"
#include "whitelist/digest_cache.h"

namespace stockade::supervisor {

namespace asio = boost::asio;
using std::chrono::milliseconds;

CallError no_such_plugin(const std::string& name) {
  CallError error{StatusCode::not_found, "no plugin named \"" + name + "\"", Delivery::not_sent};
  error.hopeless = true;
  return error;
}

CallError called_on_loop_thread(const char* method) {
  CallError error{StatusCode::internal,
                  std::string(method) +
                      "() called on the runtime's loop thread (from an execute_async callback), where it "
                      "would wait forever: use execute_async there",
                  Delivery::not_sent};
  error.hopeless = true;
  return error;
}

Result<std::unique_ptr<Supervisor>> Supervisor::create(const SupervisorOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->spin_wait = options.spin_wait;
  impl->settings.observer = std::make_shared<const SupervisorObserver>(options.observer);
  impl->settings.log = std::make_shared<Log>(options.log);
  Log& log = *impl->settings.log;
  if (options.dev == !options.whitelist.empty()) {
    return Error{Errc::invalid_input, "give exactly one of a whitelist and development mode", {}};
  }
  if (!options.dev) {
    auto whitelist = Whitelist::load(options.whitelist);
    if (!whitelist) return whitelist.error();
    impl->whitelist = std::move(*whitelist);
  } else {
    log.warn("", "DEVELOPMENT MODE: plugins run WITHOUT whitelist verification; never use it in production");
  }
  if (options.raise_open_file_limit) (void)raise_open_file_limit(log);
  auto registry = PluginRegistry::discover(options.plugins_dir, options.max_plugin_folders);
  if (!registry) return registry.error();
  impl->registry = std::move(*registry);
  for (const auto& problem : impl->registry.problems()) {
    log.error("", "plugin skipped: {}", problem.message());
  }
  // Before the janitor's thread and the first sandbox: it may move this
  // process into a leaf of its delegated cgroup.
  // The first launch then finds a network namespace made ahead (spare_netns.h).
  sandbox::warm_spare_netns();
  if (auto note = sandbox::prepare_cgroups(); note.level == sandbox::CgroupSetupNote::Level::info)
    log.info("", "{}", note.message);
  else if (note.level == sandbox::CgroupSetupNote::Level::warning)
    log.warn("", "{}", note.message);
  // The empty cgroups of supervisors that were killed: now (before the
  // first launch, on the janitor's thread) and periodically, since a
  // neighbour may die long after we started.
  impl->janitor.start(options.cgroup_prune_interval, [] { sandbox::prune_stale_cgroups(); });

  auto& s = impl->settings;
  s.launch.whitelist = impl->whitelist ? &*impl->whitelist : nullptr;
  if (options.cache_digests) s.launch.digests = std::make_shared<DigestCache>();
  s.launch.ceilings = options.ceilings;
  s.launch.identity = options.identity;
  s.launcher = impl->launcher.get();
  s.handshake_timeout = options.handshake_timeout;
  s.max_queued_calls = options.max_queued_calls;
  s.memfd_threshold = options.memfd_threshold;
  s.output = options.output;
  for (const auto& [name, manifest] : impl->registry.plugins()) {
    impl->plugins.emplace(name, impl->make_entry(manifest));
  }
  impl->problems = impl->registry.problems();
  impl->publish_names();
  impl->work.emplace(impl->io.get_executor());
  std::promise<std::thread::id> loop_id;
  impl->thread = std::thread([io = &impl->io, calls = impl->calls, spin = options.spin_wait, &loop_id] {
    loop_id.set_value(std::this_thread::get_id());
    // Worth looking again before sleeping: an attempt was made since the
    // last look (its answer may be near), or a call ended (a host that calls
    // in a loop sends the next at once). Not for every wake-up while a slow
    // call is out: one look after it was sent, then the loop sleeps.
    uint64_t seen = 0;
    std::function<bool()> awaiting;
    if (spin) {
      awaiting = [&calls, &seen] {
        const uint64_t now = calls->attempts_total + calls->ended_total;
        return std::exchange(seen, now) != now;
      };
    }
    run_loop(*io, awaiting);
  });
  impl->loop_id = loop_id.get_future().get();
  return std::unique_ptr<Supervisor>(new Supervisor(std::move(impl)));
}

PluginEntry Supervisor::Impl::make_entry(const Manifest& manifest) {
  PluginEntry entry;
  entry.process = std::make_shared<PluginProcess>(io, manifest, settings);
  set_policy(entry, manifest);
  return entry;
}

void Supervisor::Impl::set_policy(PluginEntry& entry, const Manifest& manifest) {
  entry.policy = std::make_shared<CallPolicy>(manifest);
  entry.health = std::make_shared<HealthChecker>(io, entry.process, manifest.health);
  // A crash is one failure event for the breaker however many calls it
  // failed; a restarted plugin that completed its handshake is probed at
  // once (docs/host-authors.md, "Execute semantics"). The process does not own the policy.
  std::weak_ptr<CallPolicy> policy = entry.policy;
  entry.process->set_events(
      {.ended = [policy] { if (auto p = policy.lock()) p->breaker.on_failure_event(Clock::now()); },
       .recovered = [policy] { if (auto p = policy.lock()) p->breaker.on_recovered(); }});
  if (options.health_checks) entry.health->start();
}

void Supervisor::Impl::publish_names() {
  std::vector<std::string> list;
  list.reserve(plugins.size());
  for (const auto& [name, entry] : plugins) list.push_back(name);
  std::lock_guard lock(names_mutex);
  names = std::move(list);
}

Supervisor::Supervisor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Supervisor::~Supervisor() {
  stop();
  // A shutdown begun from a callback (stop() on the loop) may still run.
  impl_->shutdown_done.wait();
  // Calls accepted after stop() end with "supervisor stopped" in handlers
  // of their own; stopping the loop before they ran would drop them. (A
  // callback that issues calls for ever keeps us here: its chain has to end.)
  {
    std::unique_lock lock(impl_->idle_mutex);
    impl_->idle.wait(lock, [this] { return impl_->outstanding.load() == 0; });
  }
  impl_->janitor.stop();
  impl_->work.reset();
  // Internal timers (a deadline timer armed for calls long gone) would keep
  // run() going; no caller is waiting for anything on the loop any more.
  impl_->io.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
  // Our references go first; handlers still queued on the loop drop theirs
  // when the io_context (declared first in Impl) is destroyed last.
  impl_->plugins.clear();
}

std::vector<std::string> Supervisor::plugins() const {
  std::lock_guard lock(impl_->names_mutex);
  return impl_->names;
}

std::vector<Error> Supervisor::discovery_problems() const {
  std::lock_guard lock(impl_->names_mutex);
  return impl_->problems;
}

// On the loop: a reload may change the plugins (and plugins_dir) meanwhile.
static Error no_plugin_in_dir(const Supervisor::Impl& impl, const std::string& name) {
  return Error{Errc::not_found, "no plugin named \"" + name + "\" in " + impl.options.plugins_dir, {}};
}

Status Supervisor::start(const std::string& name) {
  return impl_->run_on_loop<Status>(
      [this, &name](auto fulfil) {
        PluginEntry* entry = impl_->find(name);
        if (entry == nullptr) return fulfil(no_plugin_in_dir(*impl_, name));
        entry->process->when_started(std::move(fulfil));
      },
      Error{Errc::invalid_input, called_on_loop_thread("start").message, {}});
}

Status Supervisor::restart(const std::string& name) {
  return impl_->run_on_loop<Status>(
      [this, &name](auto fulfil) {
        PluginEntry* entry = impl_->find(name);
        if (entry == nullptr) return fulfil(no_plugin_in_dir(*impl_, name));
        if (impl_->calls->stopping) return fulfil(Error{Errc::unavailable, "supervisor stopped", name});
        impl_->settings.log->info(name, "restart requested: restart budget, crash count and breaker cleared");
        entry->policy->breaker.reset();
        entry->process->relaunch(std::move(fulfil));
      },
      Error{Errc::invalid_input, called_on_loop_thread("restart").message, {}});
}

void Supervisor::Impl::call_ended() {
  if (outstanding.fetch_sub(1) == 1) {
    std::lock_guard lock(idle_mutex);
    idle.notify_all();
  }
}

namespace {

// How an accepted call ends: the observer's call_ended, then the host's
// callback (whose exceptions are logged, not thrown into the loop), then the
// count of calls outstanding. An end that comes while an execute_async runs
// on the loop thread (its own, or another call's failing in the same pump)
// posts itself instead: no callback ever runs inside an execute_async, so a
// host that holds a lock across one cannot meet its own callback.
struct CallEnd {
  Supervisor::Impl* impl;
  std::function<void(CallResult<Bytes>)> done;
  Clock::time_point accepted;
  std::string name;
  std::string method;

  void operator()(CallResult<Bytes> result) {
    if (impl->inline_submits > 0) {
      asio::post(impl->io, [end = std::move(*this), result = std::move(result)]() mutable {
        end(std::move(result));
      });
      return;
    }
    // Calls the host issues from here start at once (Impl::submit).
    ++impl->in_call_end;
    struct Left {
      int& depth;
      ~Left() { --depth; }
    } left{impl->in_call_end};
    // Before the host's completion: once execute() has returned, the
    // observer has seen the call's end.
    if (const auto& ended = impl->settings.observer->call_ended) {
      CallEnded event{.plugin = name, .method = method, .latency = Clock::now() - accepted};
      if (!result) event.error = result.error().code;
      try {
        ended(event);
      } catch (...) {
        impl->settings.log->error(name, "the observer's call_ended threw (ignored)");
      }
    }
    // The host survives its own callbacks: an exception thrown by one would
    // otherwise end the loop thread, and with it every other call.
    try {
      done(std::move(result));
    } catch (const std::exception& e) {
      impl->settings.log->error("", "an execute callback threw (ignored): {}", e.what());
    } catch (...) {
      impl->settings.log->error("", "an execute callback threw (ignored)");
    }
    impl->call_ended();
  }
};

}  // namespace

void Supervisor::Impl::submit(std::string name, std::string method, CallPayload payload,
                              const ExecuteOptions& call_options, std::function<void(CallResult<Bytes>)> done) {
  outstanding.fetch_add(1);
  CallEnd finished{this, std::move(done), Clock::now(), name, method};
  if (on_loop_thread() && in_call_end > 0) {  // in this order: the count is the loop's
    // Issued from a call's completion, on the loop (a host chaining its
    // calls): started now rather than posted, so that its request joins the
    // frames this loop iteration sends, in one send(2) when the completion
    // ran inside a read of answers (posting cost an epoll_wait and a posted
    // flush per call). Any end reached meanwhile is posted (CallEnd). From
    // other loop-thread code (an observer's plugin event, say, while the
    // plugin's exit is being handled) calls are still posted: started
    // there, one could be sent to a process that has just ended.
    ++inline_submits;
    struct Left {
      int& depth;
      ~Left() { --depth; }
    } left{inline_submits};
    observe_start(name, method);
    begin_execute(name, std::move(method), std::move(payload), call_options, std::move(finished));
    return;
  }
  asio::post(io, [this, name = std::move(name), method = std::move(method), payload = std::move(payload),
                  call_options, finished = std::move(finished)]() mutable {
    observe_start(name, method);
    begin_execute(name, std::move(method), std::move(payload), call_options, std::move(finished));
  });
}

void Supervisor::Impl::observe_start(const std::string& name, const std::string& method) const {
  const auto& started = settings.observer->call_started;
  if (!started) return;
  try {
    started(CallStarted{.plugin = name, .method = method});
  } catch (...) {
    settings.log->error(name, "the observer's call_started threw (ignored)");
  }
}

void Supervisor::Impl::begin_execute(const std::string& name, std::string method, CallPayload payload,
                                     const ExecuteOptions& call_options,
                                     std::function<void(CallResult<Bytes>)> done) {
  if (calls->stopping) return done(supervisor_stopped());
  PluginEntry* entry = find(name);
  if (entry == nullptr) return done(no_such_plugin(name));
  const auto& manifest = entry->process->manifest();
  auto timeout = call_options.timeout.value_or(milliseconds(manifest.execute.timeout_ms));
  bool idempotent = call_options.idempotent.value_or(manifest.execute.idempotent);
  execute_call(io, calls, entry->process, entry->policy, std::move(method), std::move(payload),
               Clock::now() + timeout, idempotent, std::move(done));
}

void Supervisor::execute_async(const std::string& name, const std::string& method,
                               std::span<const uint8_t> payload, const ExecuteOptions& options,
                               std::function<void(CallResult<Bytes>)> done) {
  // Copied now: the caller's bytes need not outlive this call.
  impl_->submit(name, method, CallPayload::copied(payload), options, std::move(done));
}

CallResult<Bytes> Supervisor::execute(const std::string& name, const std::string& method,
                                      std::span<const uint8_t> payload, const ExecuteOptions& options) {
  if (impl_->on_loop_thread()) return called_on_loop_thread("execute");
  CallWaiter waiter(impl_->spin_wait);
  // Borrowed: this thread waits below until the call has ended.
  impl_->submit(name, method, CallPayload::borrowed(payload), options, waiter.completion());
  return waiter.wait();
}

void Supervisor::stop() {
  const bool on_loop = impl_->on_loop_thread();
  if (impl_->stopped.exchange(true)) {
    // A second caller returns when the first one's shutdown is over.
    if (!on_loop) impl_->shutdown_done.wait();
    return;
  }
  asio::post(impl_->io, [impl = impl_.get()] {
    // Two things must be over: every plugin process, and every call (those
    // waiting out a retry backoff end now, with "supervisor stopped").
    auto left = std::make_shared<size_t>(impl->plugins.size() + impl->retired.size() + 1);
    auto one_done = [left, impl] {
      if (--*left == 0) impl->shutdown.set_value();
    };
    // First: no call retries from here on (a crash during the grace must
    // not schedule new backoffs).
    impl->calls->on_idle = one_done;
    impl->calls->stop_all();
    for (auto& [name, entry] : impl->plugins) {
      entry.health->stop();
      entry.process->stop(impl->options.shutdown_grace, one_done);
    }
    // Removed by a reload and still closing: stop() adds a waiter.
    for (auto& [id, process] : impl->retired) process->stop(impl->options.shutdown_grace, one_done);
  });
  if (on_loop) return;
  impl_->shutdown_done.wait();
}

}  // namespace stockade::supervisor
