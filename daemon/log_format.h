// The daemon's log lines on stderr: `--log-format text` (a timestamp, the
// level, "[plugin]", the message) or `json` (one object a line: time, level,
// plugin, message). Under journald (JOURNAL_STREAM names our stderr) the
// journal stamps each line itself, so no timestamp of our own, and a syslog
// priority prefix ("<3>" error ... "<7>" debug) lets `journalctl -p` filter.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "stockade/supervisor.h"

namespace stockade::daemon {

enum class LogFormat { text, json };

// "text" / "json" → the format; anything else: nullopt.
std::optional<LogFormat> parse_log_format(std::string_view name);

// One formatted line, newline included. `journal`: the prefix instead of the time.
std::string format_log_line(LogFormat format, bool journal, supervisor::LogLevel level,
                            std::string_view plugin, std::string_view message);

// True when $JOURNAL_STREAM ("DEV:INO") names the file fd 2 is: stderr really
// goes to the journal, not to a terminal a journald-started shell opened.
bool stderr_is_journal();

// Writes lines to fd 2, one write(2) each, from any thread.
class Logger {
 public:
  explicit Logger(LogFormat format);

  void log(supervisor::LogLevel level, std::string_view plugin, std::string_view message);
  void error(std::string_view message) { log(supervisor::LogLevel::error, {}, message); }
  void warn(std::string_view message) { log(supervisor::LogLevel::warn, {}, message); }
  void info(std::string_view message) { log(supervisor::LogLevel::info, {}, message); }

  // The Supervisor's records go through the same lines (SupervisorOptions::log).
  supervisor::LogSink sink();

 private:
  LogFormat format_;
  bool journal_;
  std::mutex mutex_;  // one line at a time, never interleaved
};

}  // namespace stockade::daemon
