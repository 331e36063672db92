#include "supervisor/circuit_breaker.h"

#include <algorithm>

namespace stockade::supervisor {

CircuitBreaker::CircuitBreaker(const Settings& settings) : settings_(settings) {
  settings_.failure_threshold = std::max<uint32_t>(1, settings_.failure_threshold);
  settings_.half_open_probes = std::max<uint32_t>(1, settings_.half_open_probes);
}

CircuitBreaker::Admission CircuitBreaker::admit(Clock::time_point now) {
  if (state_ == State::open) {
    if (now - opened_at_ < settings_.open_for) return {false, false};
    state_ = State::half_open;
    probes_in_flight_ = 0;
    probe_successes_ = 0;
  }
  if (state_ == State::half_open) {
    // Bounded probing: a plugin that just failed N times gets a few calls,
    // not the whole backlog.
    if (probes_in_flight_ >= settings_.half_open_probes) return {false, false};
    ++probes_in_flight_;
    return {true, true};
  }
  return {true, false};
}

void CircuitBreaker::on_success(bool probe) {
  if (state_ == State::closed) {
    consecutive_failures_ = 0;
    return;
  }
  // Late results of calls admitted before the circuit opened decide nothing:
  // only the probes speak for the plugin's present state.
  if (!probe || state_ != State::half_open) return;
  probes_in_flight_ = probes_in_flight_ > 0 ? probes_in_flight_ - 1 : 0;
  if (++probe_successes_ >= settings_.half_open_probes) {
    state_ = State::closed;
    consecutive_failures_ = 0;
  }
}

void CircuitBreaker::on_failure(bool probe, Clock::time_point now) {
  if (state_ == State::closed) {
    if (++consecutive_failures_ >= settings_.failure_threshold) open(now);
    return;
  }
  if (probe && state_ == State::half_open) open(now);
}

void CircuitBreaker::on_neutral(bool probe) {
  if (probe && state_ == State::half_open && probes_in_flight_ > 0) --probes_in_flight_;
}

void CircuitBreaker::on_failure_event(Clock::time_point now) {
  if (state_ == State::closed) {
    if (++consecutive_failures_ >= settings_.failure_threshold) open(now);
    return;
  }
  // Half-open: whatever the probes were doing, the plugin just failed.
  if (state_ == State::half_open) open(now);
}

void CircuitBreaker::on_recovered() {
  if (state_ != State::open) return;
  state_ = State::half_open;
  probes_in_flight_ = 0;
  probe_successes_ = 0;
}

void CircuitBreaker::reset() {
  state_ = State::closed;
  consecutive_failures_ = 0;
  probes_in_flight_ = 0;
  probe_successes_ = 0;
}

void CircuitBreaker::open(Clock::time_point now) {
  state_ = State::open;
  opened_at_ = now;
  probes_in_flight_ = 0;
  probe_successes_ = 0;
  ++times_opened_;
}

const char* breaker_state_name(CircuitBreaker::State state) {
  switch (state) {
    case CircuitBreaker::State::closed: return "closed";
    case CircuitBreaker::State::open: return "open";
    case CircuitBreaker::State::half_open: return "half-open";
  }
  return "?";
}

}  // namespace stockade::supervisor
