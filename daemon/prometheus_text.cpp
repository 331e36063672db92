#include "daemon/prometheus_text.h"

#include <charconv>
#include <cmath>
#include <system_error>

namespace stockade::daemon {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// The length of the valid UTF-8 sequence at the start of `s`, or 0 (RFC 3629:
// no overlong forms, no surrogates, nothing above U+10FFFF).
size_t utf8_sequence(std::string_view s) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char lead = byte(0);
  if (lead < 0x80) return 1;
  size_t length = 0;
  unsigned char low = 0x80;
  unsigned char high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;   // overlong
    if (lead == 0xED) high = 0x9F;  // surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;   // overlong
    if (lead == 0xF4) high = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (s.size() < length) return 0;
  if (byte(1) < low || byte(1) > high) return 0;
  for (size_t i = 2; i < length; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
  }
  return length;
}

}  // namespace

std::string label_value(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  while (!raw.empty()) {
    const size_t n = utf8_sequence(raw);
    if (n == 0) {
      out += kReplacement;
      raw.remove_prefix(1);
      continue;
    }
    if (n == 1) {
      switch (raw.front()) {
        case '\\': out += "\\\\"; break;
        case '"': out += "\\\""; break;
        case '\n': out += "\\n"; break;
        default: out += raw.front(); break;
      }
    } else {
      out.append(raw.substr(0, n));
    }
    raw.remove_prefix(n);
  }
  return out;
}

void PrometheusText::family(std::string_view name, std::string_view type, std::string_view help) {
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  for (char c : help) {
    if (c == '\\') {
      out_ += "\\\\";
    } else if (c == '\n') {
      out_ += "\\n";
    } else {
      out_ += c;
    }
  }
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += type;
  out_ += '\n';
}

PrometheusText& PrometheusText::sample(std::string_view name) {
  out_ += name;
  labels_open_ = false;
  return *this;
}

PrometheusText& PrometheusText::label(std::string_view name, std::string_view escaped_value) {
  out_ += labels_open_ ? ',' : '{';
  labels_open_ = true;
  out_ += name;
  out_ += "=\"";
  out_ += escaped_value;
  out_ += '"';
  return *this;
}

void PrometheusText::close_labels() {
  if (labels_open_) out_ += '}';
  labels_open_ = false;
  out_ += ' ';
}

void PrometheusText::value(uint64_t v) {
  close_labels();
  char buffer[24];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, v);
  out_.append(buffer, ec == std::errc{} ? end : buffer);
  out_ += '\n';
}

void PrometheusText::value(int64_t v) {
  close_labels();
  char buffer[24];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, v);
  out_.append(buffer, ec == std::errc{} ? end : buffer);
  out_ += '\n';
}

void PrometheusText::value(double v) {
  close_labels();
  if (std::isnan(v)) {
    out_ += "NaN";
  } else if (std::isinf(v)) {
    out_ += v > 0 ? "+Inf" : "-Inf";
  } else {
    // The shortest text that reads back as the same double (Go's ParseFloat,
    // which Prometheus uses, reads every form to_chars writes).
    char buffer[32];
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, v);
    out_.append(buffer, ec == std::errc{} ? end : buffer);
  }
  out_ += '\n';
}

}  // namespace stockade::daemon
