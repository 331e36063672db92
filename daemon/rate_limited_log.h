// Log lines about clients (refused, dropped) at a bounded rate: a client
// that reconnects in a loop costs the journal a few lines a second, and the
// number of lines left out is said once the rate allows again.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "daemon/log_format.h"

namespace stockade::daemon {

class RateLimitedLog {
 public:
  RateLimitedLog(Logger& logger, unsigned per_second) : logger_(logger), per_second_(per_second) {}

  // Called on one thread only (the daemon's asio thread).
  void warn(const std::string& message);

 private:
  Logger& logger_;
  unsigned per_second_;
  std::chrono::steady_clock::time_point window_{};
  unsigned in_window_ = 0;
  uint64_t suppressed_ = 0;
};

}  // namespace stockade::daemon
