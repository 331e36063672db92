#include "daemon/rate_limited_log.h"

namespace stockade::daemon {

void RateLimitedLog::warn(const std::string& message) {
  const auto now = std::chrono::steady_clock::now();
  if (now - window_ >= std::chrono::seconds(1)) {
    window_ = now;
    in_window_ = 0;
    if (suppressed_ > 0) {
      logger_.warn(std::to_string(suppressed_) + " more lines about clients left out (rate limit)");
      suppressed_ = 0;
    }
  }
  if (in_window_ >= per_second_) {
    ++suppressed_;
    return;
  }
  ++in_window_;
  logger_.warn(message);
}

}  // namespace stockade::daemon
