#include "supervisor/backoff.h"

#include <algorithm>
#include <cmath>

namespace stockade::supervisor {

std::chrono::milliseconds backoff_ceiling(const BackoffSettings& settings, uint32_t retry) {
  const double max_ms = static_cast<double>(std::max<int64_t>(0, settings.max.count()));
  double ms = static_cast<double>(std::max<int64_t>(0, settings.initial.count()));
  // Multiplying step by step stops at the cap, so huge retry numbers cannot overflow.
  for (uint32_t i = 1; i < retry && ms < max_ms; ++i) ms *= std::max(1.0, settings.multiplier);
  return std::chrono::milliseconds(static_cast<int64_t>(std::min(ms, max_ms)));
}

std::chrono::milliseconds full_jitter(std::chrono::milliseconds ceiling, std::mt19937_64& random) {
  if (ceiling.count() <= 0) return std::chrono::milliseconds(0);
  std::uniform_int_distribution<int64_t> pick(0, ceiling.count());
  return std::chrono::milliseconds(pick(random));
}

std::optional<std::chrono::milliseconds> retry_delay(const BackoffSettings& settings,
                                                     uint32_t retry,
                                                     std::chrono::milliseconds time_left,
                                                     std::mt19937_64& random) {
  auto delay = full_jitter(backoff_ceiling(settings, retry), random);
  // Sleeping until the deadline would only turn the real error into
  // DEADLINE_EXCEEDED: the attempt needs some time left after the sleep.
  if (delay >= time_left) return std::nullopt;
  return delay;
}

}  // namespace stockade::supervisor
