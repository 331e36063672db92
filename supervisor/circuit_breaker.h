// A per-plugin circuit breaker: closed -> (N consecutive plugin failures) ->
// open -> (open_for passes) -> half-open -> (probes succeed) -> closed, or
// (a probe fails) -> open again. Pure: time is passed in, no locks (the
// runtime calls it from its one event-loop thread).
#pragma once

#include <chrono>
#include <cstdint>

namespace stockade::supervisor {

class CircuitBreaker {
 public:
  using Clock = std::chrono::steady_clock;
  enum class State { closed, open, half_open };

  struct Settings {
    uint32_t failure_threshold = 5;              // consecutive plugin failures that open it
    std::chrono::milliseconds open_for{30000};   // time open before probing
    uint32_t half_open_probes = 1;               // probes in flight, and successes that close it
  };

  // What admit() decided; pass `probe` back with the call's result.
  struct Admission {
    bool admitted = false;
    bool probe = false;  // this call is one of the half-open probes
  };

  explicit CircuitBreaker(const Settings& settings);

  Admission admit(Clock::time_point now);
  // A call admitted earlier ended: well, or with a caller's error (the plugin
  // answered, so it works).
  void on_success(bool probe);
  // It ended with the plugin's fault (crash, timeout, UNAVAILABLE, INTERNAL).
  void on_failure(bool probe, Clock::time_point now);
  // It ended with nobody's fault (shed, not sent), or with a failure that is
  // counted once elsewhere (the plugin's crash): only frees a probe slot.
  void on_neutral(bool probe);
  // One failure of the plugin itself, not tied to one admitted call: a crash
  // counts once however many calls were in flight (8 callers must not make
  // one SIGKILL look like 8 consecutive failures). Open: no effect.
  void on_failure_event(Clock::time_point now);
  // The plugin was restarted and completed its handshake: an open breaker
  // goes half-open at once, so the next calls probe the new process instead
  // of waiting out open_for against a plugin that is ready again.
  void on_recovered();
  // Back to closed with no failures (the operator's restart()).
  void reset();

  State state() const { return state_; }
  uint32_t consecutive_failures() const { return consecutive_failures_; }
  // How many times it opened since creation.
  uint64_t times_opened() const { return times_opened_; }

 private:
  void open(Clock::time_point now);

  Settings settings_;
  State state_ = State::closed;
  uint32_t consecutive_failures_ = 0;
  Clock::time_point opened_at_{};
  uint32_t probes_in_flight_ = 0;
  uint32_t probe_successes_ = 0;
  uint64_t times_opened_ = 0;
};

const char* breaker_state_name(CircuitBreaker::State state);

}  // namespace stockade::supervisor
