// Backoff between attempts: exponential ceilings with full jitter (a uniform
// delay in [0, ceiling]), so that callers retrying after one plugin crash do
// not come back in lockstep. Pure functions.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>

namespace stockade::supervisor {

struct BackoffSettings {
  std::chrono::milliseconds initial{100};
  std::chrono::milliseconds max{5000};
  double multiplier = 2.0;
};

// The ceiling before retry number `retry` (1 = the first retry):
// min(max, initial * multiplier^(retry-1)), overflow-safe.
std::chrono::milliseconds backoff_ceiling(const BackoffSettings& settings, uint32_t retry);

// A full-jitter delay in [0, ceiling].
std::chrono::milliseconds full_jitter(std::chrono::milliseconds ceiling, std::mt19937_64& random);

// The delay before retry `retry`, or nullopt when sleeping it would leave no
// time before `time_left` runs out (a retry never outlives the caller's deadline).
std::optional<std::chrono::milliseconds> retry_delay(const BackoffSettings& settings,
                                                     uint32_t retry,
                                                     std::chrono::milliseconds time_left,
                                                     std::mt19937_64& random);

}  // namespace stockade::supervisor
