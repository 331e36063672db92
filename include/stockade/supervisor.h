// The plugin runtime's public API: a Supervisor discovers the plugins in a
// directory, starts each in its sandbox on demand, and makes calls to them:
//
//   auto sup = Supervisor::create({.plugins_dir = "plugins", .whitelist = "wl"});
//   auto reply = (*sup)->execute("echo", "echo", bytes);   // CallResult<Bytes>
//   if (!reply) std::puts(reply.error().describe().c_str());
//
// One event-loop thread (hidden here) owns every plugin process, socket, pipe
// and timer. The synchronous methods may be called from any thread except that
// loop's own (a completion callback: there they return an error instead of
// waiting forever); execute_async's callback runs on the loop, never inside
// the execute_async that issued it, and may issue further execute_async calls.
// Every call ends exactly once, on every path (answer, error, stop(), the
// destructor, a parked or restarting plugin).
// Installed as <stockade/supervisor.h> (CMake: stockade::supervisor);
// docs/host-authors.md describes the lifecycle, the Execute semantics and the knobs.
#pragma once

#include <sys/types.h>

#include <cassert>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "stockade/config.h"
#include "stockade/result.h"

namespace stockade::supervisor {

// ---- What a call returns

// gRPC-like codes, the same set as the wire's ErrorCode (wire/stockade.fbs).
enum class StatusCode {
  unknown,
  cancelled,
  invalid_argument,
  deadline_exceeded,
  not_found,
  resource_exhausted,
  unavailable,
  internal,
  unimplemented,
};

// "UNAVAILABLE", "INVALID_ARGUMENT", ...
const char* status_code_name(StatusCode code);

// Did the request reach the plugin?
enum class Delivery {
  not_sent,  // never written to the plugin's socket (queued, refused, circuit open)
  unknown,   // written, then the plugin crashed, broke the protocol or the deadline passed
  answered,  // the plugin answered with this error
};

struct CallError {
  CallError() = default;
  CallError(StatusCode c, std::string m, Delivery d) : code(c), message(std::move(m)), delivery(d) {}

  StatusCode code = StatusCode::unknown;
  std::string message{};
  Delivery delivery = Delivery::not_sent;
  // The plugin's own Error.retryable (only meaningful when answered).
  bool plugin_says_retryable = false;
  // Set by stockade when another attempt cannot help now (circuit open,
  // plugin parked as failed, supervisor stopping, queue full).
  bool hopeless = false;
  // The plugin process's shell-style exit code when its end failed this call.
  std::optional<int> plugin_exit{};
  // The plugin's end failed this call (it crashed, was killed, broke the
  // protocol): one event however many calls it failed, reported to the
  // circuit breaker once by the process (docs/host-authors.md, "Execute semantics"), not
  // once per call.
  bool plugin_ended = false;
  // How many attempts were made (filled in by the execute path).
  unsigned attempts = 1;

  // "UNAVAILABLE: plugin crashed: killed by signal 11 (SIGSEGV)"
  std::string describe() const;
};

// A call's value, or the CallError saying what failed and whose fault it is.
template <typename T>
class [[nodiscard]] CallResult {
 public:
  CallResult(T value) : v_(std::in_place_index<0>, std::move(value)) {}         // NOLINT
  CallResult(CallError error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  T& operator*() & { return value(); }
  const CallError& error() const& { assert(!ok()); return std::get<1>(v_); }

 private:
  std::variant<T, CallError> v_;
};

using Bytes = std::vector<uint8_t>;

struct ExecuteOptions {
  // The caller's deadline for the whole call, retries and waiting for a
  // restarting plugin included. Default: the manifest's execute.timeout_ms.
  std::optional<std::chrono::milliseconds> timeout{};
  // Override of the manifest's execute.idempotent for this call.
  std::optional<bool> idempotent{};
};

struct PluginInfo {
  std::string name{};
  std::string version{};
  std::string description{};
  std::vector<std::string> capabilities{};
  std::vector<std::string> methods{};
  std::vector<std::pair<std::string, std::string>> metadata{};
};

struct HealthReport {
  bool serving = false;
  std::string message{};
};

enum class PluginState {
  stopped,      // not running (never started, or stopped on purpose)
  spawning,     // verifying and starting the sandbox
  handshaking,  // waiting for Hello
  ready,        // serving calls
  draining,     // CloseRequest sent, waiting for it to exit
  backoff,      // exited unexpectedly; restarting after a delay
  failed,       // parked: crash loop or refused; reason() says why
};

const char* plugin_state_name(PluginState state);

struct PluginCounters {
  uint64_t launches = 0;
  uint64_t restarts = 0;
  uint64_t crashes = 0;            // unexpected exits
  uint64_t protocol_violations = 0;
  uint64_t late_answers = 0;       // answers to calls that had already expired
  uint64_t stray_answers = 0;      // answers to ids never sent (dropped; a flood is a violation)
  uint64_t calls_sent = 0;
  uint64_t cancels_sent = 0;       // sent calls whose deadline passed: Cancel sent
  pid_t pid = 0;                   // the sandbox's pid, 0 when not running
};

struct PluginStatus {
  std::string name{};
  PluginState state = PluginState::stopped;
  std::string reason{};        // why it is failed or restarting; empty when ready
  std::string breaker{};       // "closed", "open", "half-open"
  uint64_t breaker_opened = 0;  // times the breaker opened
  std::string last_failure{};  // the last crash or launch failure, kept once ready again
  // Crashes in a row that each failed a call, with no call answered between
  // them: beyond restart.max_restarts the plugin is parked (a plugin that
  // dies on every call is a crash loop however slowly the calls come).
  uint32_t crashes_in_a_row = 0;
  PluginCounters counters{};
  uint64_t retries = 0;
  uint64_t retries_refused_by_budget = 0;
};

// ---- Logs

// The library's log records. A host that gives SupervisorOptions::log gets
// each one as a call (from the loop thread or the caller's, never two at once
// for one Supervisor); without it they go to spdlog's default logger (stderr),
// as "[plugin] message". Plugin output lines arrive here too (level info,
// escaped: no control characters).
enum class LogLevel { debug, info, warn, error };
const char* log_level_name(LogLevel level);  // "debug", "info", "warn", "error"

struct LogRecord {
  LogLevel level = LogLevel::info;
  std::string_view plugin;   // the plugin it concerns; empty for the supervisor's own
  std::string_view message;  // one line, no trailing newline
};
using LogSink = std::function<void(const LogRecord&)>;

// ---- Observer (for a host's metrics)

// Every Execute that execute()/execute_async() accepts gives exactly one
// call_started and then one call_ended, whatever its end (unknown plugin,
// deadline, crash, stop()). Info and health requests are not calls here.
struct CallStarted {
  std::string_view plugin{};
  std::string_view method{};
};
struct CallEnded {
  std::string_view plugin{};
  std::string_view method{};
  std::optional<StatusCode> error{};     // empty: answered with a payload
  std::chrono::nanoseconds latency{};    // from acceptance to the end, retries and waits included
};

// How one run of a plugin process ended, as the sandbox classified it. (The
// process limit kills nothing: fork fails with EAGAIN and the plugin decides.)
enum class ExitKind {
  exited,                // it exited by itself (asked to close, or on its own with status 0)
  crashed,               // a signal or a non-zero status that nobody asked for
  seccomp_violation,     // killed for a forbidden syscall (PluginEvent::syscall names it)
  memory_limit,          // killed at resources.memory_mb (cgroup OOM or RLIMIT_AS)
  cpu_limit,             // killed at its CPU-time budget
  file_size_limit,       // killed at resources.max_file_size_mb (SIGXFSZ)
  killed_by_supervisor,  // the supervisor killed it (deadline, protocol violation, restart, stop, reload)
  handshake_failed,      // it never completed the handshake (silent, refused, broke the protocol)
};
const char* exit_kind_name(ExitKind kind);  // "exited", "crashed", "seccomp_violation", ...

struct PluginEvent {
  enum class Type {
    launched,   // its first process of this Supervisor started
    restarted,  // a later process started (after a crash, restart(), reload())
    ended,      // a process ended: `exit` says how
  };
  std::string_view plugin{};
  Type type{Type::launched};
  ExitKind exit{ExitKind::exited};  // for ended
  std::string_view syscall{};       // seccomp_violation: the syscall's name ("ptrace")
  pid_t pid{0};                     // the process launched or ended
  std::string_view detail{};        // for ended: "killed by signal 9 (SIGKILL)", ...
};

// Each member may be empty. All of them run on the runtime's loop thread, one
// at a time, in order (a call's call_started before its call_ended, which
// runs before the call's own completion). The string_views live only for the
// callback. They must be quick (the loop serves every plugin), must not
// throw, and must not call back into the Supervisor (count, do not act).
struct SupervisorObserver {
  std::function<void(const CallStarted&)> call_started{};
  std::function<void(const CallEnded&)> call_ended{};
  std::function<void(const PluginEvent&)> plugin_event{};
};

// ---- Reload

// What reload() changed, by plugin name (each sorted).
struct ReloadReport {
  std::vector<std::string> restarted{};  // manifest or pinned digest changed, was running: drained, started anew
  std::vector<std::string> updated{};    // manifest or pinned digest changed, was not running: used at next start
  std::vector<std::string> stopped{};    // gone from plugins_dir: stopped and forgotten
  std::vector<std::string> added{};      // new in plugins_dir: available
};

// ---- Options

// Bounds on the logging of a plugin's stdout/stderr lines.
struct OutputLimits {
  size_t max_line_bytes = 4096;    // raw bytes kept per line; the rest is cut
  uint32_t lines_per_second = 100; // sustained rate logged per stream
  uint32_t burst_lines = 200;      // lines allowed at once after a quiet spell
};

inline constexpr size_t kDefaultMaxPluginFolders = kDefaultMaxPlugins;  // the config's max_plugins

struct SupervisorOptions {
  std::string plugins_dir{};  // one folder per plugin, each with its plugin.json
  std::string whitelist{};    // the whitelist file binaries must match
  // Development mode: run binaries unverified (loudly logged). Excludes `whitelist`.
  bool dev = false;
  Ceilings ceilings{};          // the operator's ceilings (built-in defaults if none)
  SandboxIdentity identity{};   // host ids of the sandbox user when running as root
  std::chrono::milliseconds handshake_timeout{5000};  // spawn to Hello
  std::chrono::milliseconds shutdown_grace{2000};     // CloseRequest to SIGTERM
  size_t max_queued_calls = 4096;  // per plugin, beyond its execute.max_concurrency
  // For plugins whose manifest allows large payloads (execute.max_payload_mb):
  // payloads of this many bytes or more travel in sealed memfds, smaller ones
  // in frames. 0 (the default): every payload that fits the plugin's frame
  // goes in a frame, since bench_large_payload measured frames faster up to
  // 4 MiB and memfds only about 10% faster at 16 MiB (docs/benchmarks.md).
  // Never above the frame limit less 4 KiB, so what stays inline fits.
  uint32_t memfd_threshold = 0;
  bool health_checks = true;       // periodic HealthRequests (manifest "health")
  OutputLimits output{};           // plugin stdout/stderr logging bounds
  // Where the library's log records go (see LogSink); empty: spdlog's default
  // logger, which writes to stderr.
  LogSink log{};
  // Folders scanned in plugins_dir; one more makes create() fail (a bound
  // against a mistaken path such as /, not a product limit).
  size_t max_plugin_folders = kDefaultMaxPluginFolders;
  // How often the empty cgroups of dead supervisors are removed, on a thread
  // of their own (off the launch path); 0: once, at create().
  std::chrono::milliseconds cgroup_prune_interval{std::chrono::minutes(5)};
  // Raise the soft RLIMIT_NOFILE to the hard limit at create().
  bool raise_open_file_limit = true;
  // Keep the sha256 of each binary hashed, so that a launch of the same
  // unchanged file (same mount, inode, size, mtime and ctime, settled 5 s,
  // ext4 or XFS on a local disk, no writer) does not hash it again; every
  // other check and the whitelist lookup are made each launch
  // (docs/security-model.md, "The digest cache"). Off: every launch hashes.
  bool cache_digests = true;
  // Threads waiting for a plugin's answer look again for a short while
  // before they sleep: the loop thread up to 50 us once it has sent a
  // request or ended a call, execute() up to 100 us, one thread fewer than the CPUs at a time (none
  // on one CPU). Where waking an idle CPU is slow (25-55 us on the virtual
  // machines we measured) this halves a small call's round trip
  // (docs/host-authors.md, "How calls wait"). Off: they sleep at once.
  bool spin_wait = true;
  // Call and plugin events for a host's metrics (see SupervisorObserver).
  SupervisorObserver observer{};
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

  // The plugins discovered in plugins_dir, by name (sorted).
  std::vector<std::string> plugins() const;
  // The folders of plugins_dir that were skipped at create(), each with why
  // (an unreadable or invalid plugin.json, a folder others can write, ...);
  // empty after a reload() (which refuses such folders).
  std::vector<Error> discovery_problems() const;

  // Starts `name` and waits until it is ready, or for its first failure
  // (Errc::not_found: no such plugin or binary; refused: not whitelisted, a
  // ceiling, handshake refused; unavailable/timeout: it died or was silent).
  Status start(const std::string& name);

  // Execute through the breaker and the retry policy (docs/host-authors.md).
  // execute() waits on the calling thread, spinning for up to 0.1 ms before
  // it sleeps (so a quick call's answer does not have to wake an idle CPU;
  // SupervisorOptions::spin_wait). It reads `payload` where it is, for every
  // attempt, until it returns: no other thread may change those bytes
  // meanwhile. execute_async copies it first (so it may be freed or changed
  // as soon as execute_async returns).
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

  // Reads the whitelist and plugins_dir of `options` anew and applies the
  // difference (ReloadReport); waits until removed plugins are gone and
  // restarted ones are ready or failed. Only plugins_dir, whitelist and
  // max_plugin_folders may differ from create()'s options (log and observer
  // are ignored: create()'s stay); another change is refused, naming the
  // option. Any problem (an unreadable whitelist or plugins_dir, a plugin
  // folder create() would skip: its error lists them all) refuses the whole
  // reload and changes nothing; a running plugin is never stopped because
  // its manifest was broken by an edit. Calls in flight finish on
  // the process that has them; calls queued for a restarting plugin run on
  // its new process; those of a removed plugin end UNAVAILABLE "plugin
  // removed by reload". Not from the loop thread (a callback).
  Result<ReloadReport> reload(const SupervisorOptions& options);

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
