// The plugin runtime's public facade. A Supervisor discovers the plugins in a
// directory, starts each in its sandbox on demand, and makes calls to them:
//
//   auto sup = Supervisor::create({.plugins_dir = "plugins", .whitelist = "wl"});
//   auto reply = (*sup)->execute("echo", "echo", bytes);   // CallResult<Bytes>
//   if (!reply) std::puts(reply.error().describe().c_str());
//
// One event-loop thread (Boost.Asio, hidden here) owns every plugin process,
// socket, pipe and timer. The synchronous methods may be called from any
// thread except that loop's own (a completion callback: there they return
// an error instead of waiting forever); execute_async's callback runs on the
// loop, never inside the execute_async that issued it, and may issue further
// execute_async calls. Every call ends exactly once, on every path (answer,
// error, stop(), the destructor, a parked or restarting plugin).
// docs/host-authors.md describes the lifecycle, the Execute semantics and the knobs.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "supervisor/config.h"
#include "supervisor/plugin_output.h"
#include "supervisor/plugin_registry.h"
#include "supervisor/runtime_types.h"

namespace stockade::supervisor {

struct SupervisorOptions {
  std::string plugins_dir;  // one folder per plugin, each with its plugin.json
  std::string whitelist;    // the whitelist file binaries must match
  // Development mode: run binaries unverified (loudly logged). Excludes `whitelist`.
  bool dev = false;
  Ceilings ceilings;          // the operator's ceilings (built-in defaults if none)
  SandboxIdentity identity;   // host ids of the sandbox user when running as root
  std::chrono::milliseconds handshake_timeout{5000};  // spawn to Hello
  std::chrono::milliseconds shutdown_grace{2000};     // CloseRequest to SIGTERM
  size_t max_queued_calls = 4096;  // per plugin, beyond its execute.max_concurrency
  bool health_checks = true;       // periodic HealthRequests (manifest "health")
  OutputLimits output;             // plugin stdout/stderr logging bounds
  // Folders scanned in plugins_dir; one more makes create() fail (a bound
  // against a mistaken path such as /, not a product limit).
  size_t max_plugin_folders = kDefaultMaxPluginFolders;
  // How often the empty cgroups of dead supervisors are removed, on a thread
  // of their own (off the launch path); 0: once, at create().
  std::chrono::milliseconds cgroup_prune_interval{std::chrono::minutes(5)};
  // Raise the soft RLIMIT_NOFILE to the hard limit at create().
  bool raise_open_file_limit = true;
};

class Supervisor {
 public:
  // Loads the whitelist and discovers the plugins; starts nothing yet.
  // Errors: the whitelist or the plugins directory cannot be read.
  static Result<std::unique_ptr<Supervisor>> create(const SupervisorOptions& options);
  // Stops every plugin (as stop()).
  ~Supervisor();
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  const PluginRegistry& registry() const;

  // Starts `name` and waits until it is ready, or for its first failure
  // (Errc::not_found: no such plugin or binary; refused: not whitelisted, a
  // ceiling, handshake refused; unavailable/timeout: it died or was silent).
  Status start(const std::string& name);

  // Execute through the breaker and the retry policy (docs/host-authors.md).
  CallResult<Bytes> execute(const std::string& name, const std::string& method,
                            std::span<const uint8_t> payload, const ExecuteOptions& options = {});
  void execute_async(const std::string& name, const std::string& method,
                     std::span<const uint8_t> payload, const ExecuteOptions& options,
                     std::function<void(CallResult<Bytes>)> done);

  // InfoRequest / HealthRequest (no breaker, no retry). Default timeout: the
  // manifest's health.timeout_ms.
  CallResult<PluginInfo> info(const std::string& name,
                              std::optional<std::chrono::milliseconds> timeout = std::nullopt);
  CallResult<HealthReport> health(const std::string& name,
                                  std::optional<std::chrono::milliseconds> timeout = std::nullopt);

  std::vector<PluginStatus> status();

  // The operator's way back for a parked (failed) plugin, or a fresh start of
  // a running one: clears its restart budget, crash count and circuit
  // breaker, kills it if it runs (its calls in flight fail, queued ones wait),
  // launches it at once and waits for ready or its first failure (as start()).
  Status restart(const std::string& name);

  // Graceful shutdown of every plugin: CloseRequest{grace}, wait for the
  // grace, SIGTERM, then SIGKILL; returns when no plugin process is left and
  // every call has ended (queued or waiting to retry: UNAVAILABLE "supervisor
  // stopped" / "plugin is stopping"). Calls made afterwards end with
  // UNAVAILABLE "supervisor stopped". From a callback (the loop thread) it
  // starts the shutdown and returns at once.
  void stop();

  struct Impl;

 private:
  explicit Supervisor(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace stockade::supervisor
