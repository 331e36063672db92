// The runtime's logging: every record goes to the host's LogSink
// (SupervisorOptions::log) when it gave one, else to spdlog's default logger
// as "[plugin] message". One Log per Supervisor; the loop thread and callers'
// threads share it, and a host's sink is never called twice at once.
// Plugin text is always a format argument, never the format.
#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "stockade/supervisor.h"

namespace stockade::supervisor {

class Log {
 public:
  explicit Log(LogSink sink = {}) : sink_(std::move(sink)) {}

  // Records below `info` cost only this check when nobody wants them.
  bool enabled(LogLevel level) const;
  void write(LogLevel level, std::string_view plugin, std::string_view message);

  template <typename... Args>
  void debug(std::string_view plugin, fmt::format_string<Args...> format, Args&&... args) {
    if (enabled(LogLevel::debug)) emit(LogLevel::debug, plugin, format, std::forward<Args>(args)...);
  }
  template <typename... Args>
  void info(std::string_view plugin, fmt::format_string<Args...> format, Args&&... args) {
    emit(LogLevel::info, plugin, format, std::forward<Args>(args)...);
  }
  template <typename... Args>
  void warn(std::string_view plugin, fmt::format_string<Args...> format, Args&&... args) {
    emit(LogLevel::warn, plugin, format, std::forward<Args>(args)...);
  }
  template <typename... Args>
  void error(std::string_view plugin, fmt::format_string<Args...> format, Args&&... args) {
    emit(LogLevel::error, plugin, format, std::forward<Args>(args)...);
  }

 private:
  template <typename... Args>
  void emit(LogLevel level, std::string_view plugin, fmt::format_string<Args...> format,
            Args&&... args) {
    write(level, plugin, fmt::format(format, std::forward<Args>(args)...));
  }

  LogSink sink_;
  std::mutex sink_mutex_;  // held only around a host's sink
};

}  // namespace stockade::supervisor
