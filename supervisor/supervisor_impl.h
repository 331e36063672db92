// Supervisor::Impl: the loop thread and the per-plugin objects. Internal.
#pragma once

#include <atomic>
#include <condition_variable>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "supervisor/cgroup_janitor.h"
#include "supervisor/execute_call.h"
#include "supervisor/health_checker.h"
#include "supervisor/launcher.h"
#include "supervisor/plugin_process.h"
#include "stockade/supervisor.h"
#include "supervisor/plugin_registry.h"
#include "whitelist/whitelist.h"

namespace stockade::supervisor {

struct PluginEntry {
  std::shared_ptr<PluginProcess> process;
  std::shared_ptr<CallPolicy> policy;
  std::shared_ptr<HealthChecker> health;
};

struct Supervisor::Impl {
  // Declared first so that it is destroyed last: everything below holds
  // objects bound to it.
  boost::asio::io_context io;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work;
  // Runs the plugins' launches (launcher.h). Before everything that holds
  // a plugin, after io: destroyed once they are gone, joined before io,
  // which its jobs post their results to, goes.
  std::unique_ptr<Launcher> launcher = std::make_unique<Launcher>();
  SupervisorOptions options;
  // options.spin_wait, fixed at create(): execute() reads it on the
  // caller's thread, where a reload may be rewriting `options`.
  bool spin_wait = true;
  std::optional<Whitelist> whitelist;
  PluginRegistry registry;
  RuntimeSettings settings;
  std::map<std::string, PluginEntry> plugins;
  // Plugins removed by a reload, until their process is gone (stop() waits
  // for them too).
  std::map<uint64_t, std::shared_ptr<PluginProcess>> retired;
  uint64_t next_retired = 0;
  // What plugins() and discovery_problems() answer on any thread; written
  // on the loop (reload) under the mutex.
  mutable std::mutex names_mutex;
  std::vector<std::string> names;
  std::vector<Error> problems;
  // One reload at a time.
  std::mutex reload_mutex;
  std::shared_ptr<CallRegistry> calls = std::make_shared<CallRegistry>();
  CgroupJanitor janitor;
  std::thread thread;
  std::thread::id loop_id;
  std::atomic<bool> stopped{false};
  // Ready once stop()'s shutdown is over (plugins gone, calls ended), also
  // when a callback began it: the destructor waits for it.
  std::promise<void> shutdown;
  std::shared_future<void> shutdown_done = shutdown.get_future().share();
  // Execute calls accepted (execute/execute_async) whose completion has not
  // returned yet. The destructor waits for 0 before it stops the loop, so a
  // call accepted after stop() (it ends with "supervisor stopped", posted)
  // is never dropped with the loop's queue.
  std::atomic<size_t> outstanding{0};
  std::mutex idle_mutex;
  std::condition_variable idle;

  // On the loop (or in create(), before it runs).
  PluginEntry make_entry(const Manifest& manifest);
  // A new call policy and health checker from `manifest` (create, reload).
  void set_policy(PluginEntry& entry, const Manifest& manifest);
  void publish_names();
  void observe_start(const std::string& name, const std::string& method) const;

  PluginEntry* find(const std::string& name) {
    auto it = plugins.find(name);
    return it == plugins.end() ? nullptr : &it->second;
  }

  bool on_loop_thread() const { return std::this_thread::get_id() == loop_id; }

  // Any thread. Never runs `done` before returning: the call begins in a
  // handler of its own on the loop, or, issued from a completion, at once,
  // with any end reached before submit returns posted. Either way
  // a callback that issues the next call cannot grow the stack, however
  // fast calls fail.
  void submit(std::string name, std::string method, CallPayload payload, const ExecuteOptions& options,
              std::function<void(CallResult<Bytes>)> done);
  // The loop's own: execute_async calls started inline and still on the
  // stack, and completions running (see submit and CallEnd).
  int inline_submits = 0;
  int in_call_end = 0;
  // On the loop.
  void begin_execute(const std::string& name, std::string method, CallPayload payload,
                     const ExecuteOptions& options, std::function<void(CallResult<Bytes>)> done);
  void call_ended();

  // Runs `body` on the loop, handing it a callback that fulfils the result,
  // and waits. On the loop thread itself (a callback) it would wait forever:
  // it returns `on_loop` instead.
  template <typename T, typename F>
  T run_on_loop(F&& body, T on_loop) {
    if (on_loop_thread()) return on_loop;
    std::promise<T> promise;
    auto future = promise.get_future();
    boost::asio::post(io, [&promise, &body] {
      body([&promise](T value) { promise.set_value(std::move(value)); });
    });
    return future.get();
  }
};

CallError no_such_plugin(const std::string& name);
// A synchronous method called from the loop thread (an execute_async callback).
CallError called_on_loop_thread(const char* method);

}  // namespace stockade::supervisor
