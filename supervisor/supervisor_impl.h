// Supervisor::Impl: the loop thread and the per-plugin objects. Internal.
#pragma once

#include <atomic>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "supervisor/execute_call.h"
#include "supervisor/health_checker.h"
#include "supervisor/plugin_process.h"
#include "supervisor/supervisor.h"
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
  SupervisorOptions options;
  std::optional<Whitelist> whitelist;
  PluginRegistry registry;
  RuntimeSettings settings;
  std::map<std::string, PluginEntry> plugins;
  std::thread thread;
  std::atomic<bool> stopped{false};

  PluginEntry* find(const std::string& name) {
    auto it = plugins.find(name);
    return it == plugins.end() ? nullptr : &it->second;
  }

  // Runs `work` on the loop, handing it a callback that fulfils the result,
  // and waits. Never call from the loop thread.
  template <typename T, typename F>
  T run_on_loop(F&& body, T if_stopped) {
    if (stopped.load()) return if_stopped;
    std::promise<T> promise;
    auto future = promise.get_future();
    boost::asio::post(io, [&promise, &body] {
      body([&promise](T value) { promise.set_value(std::move(value)); });
    });
    return future.get();
  }
};

CallError no_such_plugin(const std::string& name);
CallError supervisor_stopped();

}  // namespace stockade::supervisor
