#include "supervisor/plugin_output.h"

#include <algorithm>

namespace stockade::supervisor {
namespace {

void append_hex(std::string& out, uint8_t byte) {
  static constexpr char kDigits[] = "0123456789abcdef";
  out += "\\x";
  out += kDigits[byte >> 4];
  out += kDigits[byte & 0xf];
}

// Length of the valid UTF-8 sequence at `s` (1..4), 0 if invalid or a C1
// control (U+0080..U+009F, which some terminals obey as escapes).
size_t utf8_sequence(std::string_view s) {
  auto b = [&](size_t i) { return static_cast<uint8_t>(s[i]); };
  auto cont = [&](size_t i) { return i < s.size() && (b(i) & 0xc0) == 0x80; };
  uint8_t lead = b(0);
  if (lead >= 0xc2 && lead <= 0xdf) {
    if (!cont(1)) return 0;
    if (lead == 0xc2 && b(1) <= 0x9f) return 0;
    return 2;
  }
  if (lead >= 0xe0 && lead <= 0xef) {
    if (!cont(1) || !cont(2)) return 0;
    if (lead == 0xe0 && b(1) < 0xa0) return 0;   // overlong
    if (lead == 0xed && b(1) >= 0xa0) return 0;  // surrogates
    return 3;
  }
  if (lead >= 0xf0 && lead <= 0xf4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if (lead == 0xf0 && b(1) < 0x90) return 0;   // overlong
    if (lead == 0xf4 && b(1) >= 0x90) return 0;  // beyond U+10FFFF
    return 4;
  }
  return 0;
}

}  // namespace

std::string escape_for_log(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size();) {
    auto byte = static_cast<uint8_t>(raw[i]);
    if (byte >= 0x20 && byte < 0x7f && byte != '\\') {
      out += static_cast<char>(byte);
      ++i;
      continue;
    }
    if (byte >= 0x80) {
      if (size_t n = utf8_sequence(raw.substr(i)); n > 0) {
        out.append(raw.substr(i, n));
        i += n;
        continue;
      }
    }
    append_hex(out, byte);
    ++i;
  }
  return out;
}

PluginOutput::PluginOutput(const OutputLimits& limits, Sink sink)
    : limits_(limits), sink_(std::move(sink)), tokens_(limits.burst_lines) {
  line_.reserve(std::min<size_t>(limits_.max_line_bytes, 256));
}

void PluginOutput::feed(std::span<const uint8_t> bytes, Clock::time_point now) {
  const char* p = reinterpret_cast<const char*>(bytes.data());
  std::string_view rest(p, bytes.size());
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    std::string_view piece = rest.substr(0, nl);
    size_t room = limits_.max_line_bytes - std::min(limits_.max_line_bytes, line_.size());
    line_.append(piece.substr(0, room));
    if (piece.size() > room) truncated_ = true;
    started_ = started_ || !piece.empty();
    if (nl == std::string_view::npos) break;
    end_line(now);
    rest.remove_prefix(nl + 1);
  }
}

void PluginOutput::finish(Clock::time_point now) {
  if (started_ || !line_.empty()) end_line(now);
  report_drops();
}

bool PluginOutput::admit(Clock::time_point now) {
  if (refilled_ == Clock::time_point{}) refilled_ = now;
  double seconds = std::chrono::duration<double>(now - refilled_).count();
  refilled_ = now;
  tokens_ = std::min<double>(limits_.burst_lines, tokens_ + seconds * limits_.lines_per_second);
  if (tokens_ < 1.0) return false;
  tokens_ -= 1.0;
  return true;
}

void PluginOutput::report_drops() {
  if (dropped_pending_ == 0) return;
  sink_("(" + std::to_string(dropped_pending_) + " lines dropped: over " +
        std::to_string(limits_.lines_per_second) + " lines/s)");
  dropped_pending_ = 0;
}

void PluginOutput::end_line(Clock::time_point now) {
  if (admit(now)) {
    // The summary goes first, so the log says where the gap was.
    report_drops();
    std::string text = escape_for_log(line_);
    if (truncated_) text += " [line truncated at " + std::to_string(limits_.max_line_bytes) + " bytes]";
    sink_(text);
    ++logged_;
  } else {
    ++dropped_pending_;
    ++dropped_total_;
  }
  line_.clear();
  truncated_ = false;
  started_ = false;
}

}  // namespace stockade::supervisor
