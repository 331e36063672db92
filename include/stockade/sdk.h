// The plugin side of stockade: what a plugin author writes and links.
//
//   class Echo final : public stockade::sdk::Plugin {
//     stockade::sdk::Info info() override { return {.name = "echo", .version = "1.0.0"}; }
//     stockade::sdk::Reply execute(stockade::sdk::CallContext&,
//                                  std::span<const std::uint8_t> payload) override {
//       return stockade::sdk::Reply::ok(payload);
//     }
//   };
//   int main() { Echo echo; return stockade::serve(echo); }
//
// serve() checks that stockade started the process (the protocol socket on fd
// 3, the cookie in STOCKADE_PLUGIN_COOKIE), says Hello, and then answers the
// host: Execute calls run concurrently (up to max_concurrency), a quick one
// on the thread that read it (no hand-off; a slow one makes the SDK move the
// reading to another thread within about a millisecond), Health and Info on
// a control thread of their own (so busy calls never look like a dead
// plugin), Cancel and deadlines show up in CallContext::cancelled().
// On CloseRequest it refuses new calls, drains the ones in flight, calls
// close() and returns 0. It never writes to stdout: stdout and stderr belong
// to the plugin and are logged by the host line by line.
//
// Depends only on the standard library and threads (stockade::sdk links
// FlatBuffers, which it speaks), so plugins stay small. Installed as
// <stockade/sdk.h>; CMake: find_package(stockade COMPONENTS sdk), target
// stockade::sdk; pkg-config: stockade-sdk.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace stockade::sdk {

// Error codes that cross the wire (the values of wire fb::ErrorCode).
// Host policy keys off them: the circuit breaker counts UNAVAILABLE and
// INTERNAL against the plugin, INVALID_ARGUMENT and NOT_FOUND against the
// caller.
enum class Code : std::uint16_t {
  cancelled = 1,        // the caller gave up (Cancel) and the plugin stopped
  invalid_argument,     // the request is wrong; retrying it will not help
  deadline_exceeded,    // the call's deadline passed
  not_found,            // unknown method or missing entity
  resource_exhausted,   // a bound was hit (queue full, quota)
  unavailable,          // temporarily cannot serve (closing, a backend down)
  internal,             // a bug or broken invariant in the plugin
  unimplemented,        // the method exists in no version of this plugin
};

// "CANCELLED", "INVALID_ARGUMENT", ... (as in the schema).
const char* code_name(Code code);

// What a failed call returns; crosses the wire intact (code, message,
// retryable). The message is truncated to the wire's string bound (4096 bytes).
struct PluginError {
  Code code = Code::internal;
  std::string message{};
  bool retryable = false;  // the plugin says the same call may succeed later
};

// The result of execute(): payload bytes, or a PluginError.
class Reply {
 public:
  static Reply ok(std::vector<std::uint8_t> payload);
  static Reply ok(std::span<const std::uint8_t> payload);
  static Reply ok(std::string_view text);
  static Reply error(Code code, std::string message, bool retryable = false);
  static Reply error(PluginError error);

  bool is_ok() const { return !failed_; }
  // The payload of a successful reply (empty for an error).
  const std::vector<std::uint8_t>& payload() const { return payload_; }
  // The error of a failed reply (meaningless when is_ok()).
  const PluginError& failure() const { return error_; }

 private:
  Reply() = default;
  std::vector<std::uint8_t> payload_;
  PluginError error_;
  bool failed_ = false;
};

// Describes the plugin. name and version also go into Hello.
// (Every member has an initializer so that designated initializers may leave
// any of them out without -Wmissing-field-initializers.)
struct Info {
  std::string name{};
  std::string version{};
  std::string description{};
  std::vector<std::string> capabilities{};
  std::vector<std::string> methods{};
  std::vector<std::pair<std::string, std::string>> metadata{};
};

struct Health {
  bool serving = true;
  std::string message{};
};

// One Execute call as the plugin sees it. Owned by serve(); valid for the
// duration of execute(). Thread-safe: cancelled() may be polled while the
// thread holding the reading role delivers a Cancel.
class CallContext {
 public:
  using Clock = std::chrono::steady_clock;

  CallContext(std::uint64_t id, std::string method, std::uint32_t attempt, Clock::time_point deadline);
  CallContext(const CallContext&) = delete;
  CallContext& operator=(const CallContext&) = delete;

  std::uint64_t id() const { return id_; }
  const std::string& method() const { return method_; }
  // 1 for the first try, 2 for the first retry... (from the host).
  std::uint32_t attempt() const { return attempt_; }
  // When the host stops waiting, on this process's steady clock (computed
  // from the budget the request carried on arrival). Clock::time_point::max()
  // when the call has no deadline.
  Clock::time_point deadline() const { return deadline_; }
  bool has_deadline() const { return deadline_ != Clock::time_point::max(); }
  // Time left before the deadline (zero once passed; Clock::duration::max()
  // without a deadline).
  Clock::duration remaining() const;

  // True once the host sent Cancel for this call, the deadline passed, or the
  // plugin is shutting down past its grace. Long work should poll it and
  // return early; what it returns then is not awaited by anyone.
  bool cancelled() const;
  // True only when the host sent Cancel for this call.
  bool cancel_requested() const { return cancelled_.load(std::memory_order_acquire); }
  // Sleeps up to `duration` or until cancelled, whichever comes first.
  // Returns true if the whole duration passed without cancellation.
  bool sleep_for(Clock::duration duration);

  // Called by serve(): marks the call cancelled and wakes sleep_for().
  void cancel();

 private:
  std::uint64_t id_;
  std::string method_;
  std::uint32_t attempt_;
  Clock::time_point deadline_;
  std::atomic<bool> cancelled_{false};
  mutable std::mutex mu_;
  std::condition_variable wake_;
};

// The interface a plugin implements. execute() is called concurrently from up
// to max_concurrency SDK threads (often the one that read the request);
// info() and health() from one control thread; close() once, after the last
// execute() returned.
class Plugin {
 public:
  virtual ~Plugin() = default;

  // Called once before the handshake (name and version go into Hello) and on
  // every InfoRequest.
  virtual Info info() = 0;
  // One call. Exceptions escaping it become INTERNAL errors with their what().
  // `payload` is valid until execute() returns: it is usually a view into
  // the SDK's read buffer (no copy), so copy whatever must outlive the call.
  virtual Reply execute(CallContext& call, std::span<const std::uint8_t> payload) = 0;
  virtual Health health() { return {}; }
  // The host asked the plugin to close and every call has finished.
  virtual void close() {}
};

// Knobs of serve(); the defaults suit every plugin in examples/.
struct ServeOptions {
  // Ceiling on the calls running at once whatever the host's
  // HelloAck.max_concurrency says (the smaller of the two, at least 1).
  std::uint32_t max_workers = 256;
  // Execute calls that may wait for a free slot; beyond, a call is refused
  // with RESOURCE_EXHAUSTED instead of queued (the host normally keeps at
  // most max_concurrency in flight, so this only catches a runaway host).
  std::size_t max_queued = 1024;
  // Health/Info requests that may wait for the control thread; beyond, Health
  // is answered NOT_SERVING "health backlog" and Info is answered with an
  // UNAVAILABLE Error.
  std::size_t max_control_queued = 16;
  // Stack of each SDK thread. Small on purpose: the sandbox caps the address
  // space, and 8 MiB default stacks for 64 workers would not fit.
  std::size_t thread_stack_bytes = 1024 * 1024;
  // Under an address-space limit (RLIMIT_AS, which the sandbox sets to twice
  // resources.max_memory_mb), cap glibc's malloc arenas (M_ARENA_MAX) so
  // that they reserve at most a quarter of it: one arena below 512 MiB, at
  // most 8. Each arena reserves 64 MiB of address space, and a few of them
  // beside 64 thread stacks exhaust a 64 MiB plugin. Process-wide; set
  // false if the plugin tunes malloc itself.
  bool limit_malloc_arenas = true;
  // How long to wait for HelloAck before giving up (exit 1).
  std::chrono::milliseconds handshake_timeout{10000};
  // The protocol socket; tests may pass another fd.
  int socket_fd = 3;
  // Environment variable holding the cookie; tests never need to change it.
  const char* cookie_env = "STOCKADE_PLUGIN_COOKIE";
};

}  // namespace stockade::sdk

namespace stockade {

// Runs `plugin` until the host closes it or goes away. Returns the process
// exit code for main(): 0 after a clean Close (or when the host closed the
// socket between frames), 1 when started by hand, when the handshake fails,
// or on a protocol error (with one line on stderr saying why). If calls are
// still running past the Close grace (or 2 s after the host went away), it
// ends the process itself with _exit(code) rather than wait for a hung call.
int serve(sdk::Plugin& plugin, const sdk::ServeOptions& options = {});

}  // namespace stockade
