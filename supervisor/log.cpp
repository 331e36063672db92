#include "supervisor/log.h"

#include <spdlog/spdlog.h>

namespace stockade::supervisor {

const char* log_level_name(LogLevel level) {
  switch (level) {
    case LogLevel::debug: return "debug";
    case LogLevel::info: return "info";
    case LogLevel::warn: return "warn";
    case LogLevel::error: return "error";
  }
  return "info";
}

namespace {

spdlog::level::level_enum spdlog_level(LogLevel level) {
  switch (level) {
    case LogLevel::debug: return spdlog::level::debug;
    case LogLevel::info: return spdlog::level::info;
    case LogLevel::warn: return spdlog::level::warn;
    case LogLevel::error: return spdlog::level::err;
  }
  return spdlog::level::info;
}

}  // namespace

// A host's sink gets everything (it filters as it likes); spdlog's default
// logger filters by its own level.
bool Log::enabled(LogLevel level) const {
  return sink_ ? true : spdlog::should_log(spdlog_level(level));
}

void Log::write(LogLevel level, std::string_view plugin, std::string_view message) {
  if (sink_) {
    std::lock_guard lock(sink_mutex_);
    try {
      sink_(LogRecord{level, plugin, message});
    } catch (...) {
      // A throwing sink must not unwind the event loop; the record is lost.
    }
    return;
  }
  if (plugin.empty()) {
    spdlog::log(spdlog_level(level), "{}", message);
  } else {
    spdlog::log(spdlog_level(level), "[{}] {}", plugin, message);
  }
}

}  // namespace stockade::supervisor
