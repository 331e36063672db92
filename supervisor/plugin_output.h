// Turning a plugin's stdout/stderr bytes into log lines an operator can trust:
// split on '\n', each line bounded (longer ones are cut and marked), control
// characters and invalid UTF-8 escaped as \xNN (no terminal escapes, no fake
// log lines via '\r'), and a rate limit with a "N lines dropped" summary.
// Pure: the caller feeds bytes and the time, and logs what comes out.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "stockade/supervisor.h"

namespace stockade::supervisor {

// OutputLimits: <stockade/supervisor.h>.
// Escapes bytes below 0x20 (tab included), 0x7f, backslash, the C1 controls
// (U+0080..U+009F) and bytes that are not valid UTF-8, as \xNN.
std::string escape_for_log(std::string_view raw);

class PluginOutput {
 public:
  using Clock = std::chrono::steady_clock;
  // Receives each finished log line (already escaped and marked).
  using Sink = std::function<void(std::string_view line)>;

  PluginOutput(const OutputLimits& limits, Sink sink);

  void feed(std::span<const uint8_t> bytes, Clock::time_point now);
  // End of stream: logs an unterminated last line and any drop summary.
  void finish(Clock::time_point now);

  uint64_t lines_logged() const { return logged_; }
  uint64_t lines_dropped() const { return dropped_total_; }

 private:
  void end_line(Clock::time_point now);
  bool admit(Clock::time_point now);
  void report_drops();

  OutputLimits limits_;
  Sink sink_;
  std::string line_;        // raw bytes of the current line, at most max_line_bytes
  bool truncated_ = false;  // the current line lost bytes past the bound
  bool started_ = false;    // the current line has at least one byte or was cut
  double tokens_;
  Clock::time_point refilled_{};
  uint64_t dropped_pending_ = 0;  // dropped since the last summary
  uint64_t dropped_total_ = 0;
  uint64_t logged_ = 0;
};

}  // namespace stockade::supervisor
