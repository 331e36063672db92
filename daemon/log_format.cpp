#include "daemon/log_format.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace stockade::daemon {
namespace {

using supervisor::LogLevel;

// syslog(3) priorities, as sd-daemon(3) reads them from a line's start.
const char* journal_prefix(LogLevel level) {
  switch (level) {
    case LogLevel::error: return "<3>";
    case LogLevel::warn: return "<4>";
    case LogLevel::info: return "<6>";
    case LogLevel::debug: return "<7>";
  }
  return "<6>";
}

// RFC 3339 UTC with milliseconds: 2026-12-01T18:09:50.123Z.
std::string timestamp() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<int>(ms));
  return text;
}

// A JSON string's contents: quotes, backslashes and every control byte
// escaped. Bytes >= 0x80 pass (the library's records are escaped text already).
void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  for (unsigned char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char hex[8];
          std::snprintf(hex, sizeof hex, "\\u%04x", c);
          out += hex;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

// Text lines stay one line: a newline inside a message would forge a record.
void append_one_line(std::string& out, std::string_view text) {
  for (char c : text) out += (c == '\n' || c == '\r') ? ' ' : c;
}

}  // namespace

std::optional<LogFormat> parse_log_format(std::string_view name) {
  if (name == "text") return LogFormat::text;
  if (name == "json") return LogFormat::json;
  return std::nullopt;
}

std::string format_log_line(LogFormat format, bool journal, LogLevel level,
                            std::string_view plugin, std::string_view message) {
  std::string line;
  line.reserve(message.size() + plugin.size() + 64);
  if (journal) line += journal_prefix(level);
  if (format == LogFormat::json) {
    line += '{';
    if (!journal) {
      line += "\"time\":";
      append_json_string(line, timestamp());
      line += ',';
    }
    line += "\"level\":";
    append_json_string(line, supervisor::log_level_name(level));
    line += ",\"plugin\":";
    append_json_string(line, plugin);
    line += ",\"message\":";
    append_json_string(line, message);
    line += "}\n";
    return line;
  }
  if (!journal) {
    line += timestamp();
    line += ' ';
  }
  line += supervisor::log_level_name(level);
  line += ' ';
  if (!plugin.empty()) {
    line += '[';
    append_one_line(line, plugin);
    line += "] ";
  }
  append_one_line(line, message);
  line += '\n';
  return line;
}

bool stderr_is_journal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (stream == nullptr) return false;
  unsigned long long dev = 0, ino = 0;
  if (std::sscanf(stream, "%llu:%llu", &dev, &ino) != 2) return false;
  struct stat st {};
  if (::fstat(STDERR_FILENO, &st) != 0) return false;
  return static_cast<unsigned long long>(st.st_dev) == dev &&
         static_cast<unsigned long long>(st.st_ino) == ino;
}

Logger::Logger(LogFormat format) : format_(format), journal_(stderr_is_journal()) {}

void Logger::log(LogLevel level, std::string_view plugin, std::string_view message) {
  const std::string line = format_log_line(format_, journal_, level, plugin, message);
  std::lock_guard lock(mutex_);
  size_t done = 0;
  while (done < line.size()) {
    ssize_t n = ::write(STDERR_FILENO, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // stderr is gone: nowhere left to say so
    done += static_cast<size_t>(n);
  }
}

supervisor::LogSink Logger::sink() {
  return [this](const supervisor::LogRecord& r) { log(r.level, r.plugin, r.message); };
}

}  // namespace stockade::daemon
