#include "cli/terminal_text.h"

#include <cstdint>

namespace stockade::supervisor {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void append_byte(std::string& out, uint8_t byte) {
  out += "\\x";
  out += kHex[byte >> 4];
  out += kHex[byte & 0xf];
}

void append_code_point(std::string& out, uint32_t cp) {
  out += "\\u";
  for (int shift = 12; shift >= 0; shift -= 4) out += kHex[(cp >> shift) & 0xf];
}

// What the bytes at the start of `s` are.
enum class Shape { complete, incomplete, invalid };

// Length and code point of the UTF-8 sequence at `s` (s[0] >= 0x80).
Shape utf8_at(std::string_view s, size_t& length, uint32_t& cp) {
  auto b = [&](size_t i) { return static_cast<uint8_t>(s[i]); };
  const uint8_t lead = b(0);
  uint8_t low = 0x80, high = 0xbf;  // the second byte's range (overlongs, surrogates)
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
    cp = lead & 0x1f;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    cp = lead & 0x0f;
    if (lead == 0xe0) low = 0xa0;
    if (lead == 0xed) high = 0x9f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    cp = lead & 0x07;
    if (lead == 0xf0) low = 0x90;
    if (lead == 0xf4) high = 0x8f;
  } else {
    return Shape::invalid;
  }
  for (size_t i = 1; i < length; ++i) {
    if (i >= s.size()) return Shape::incomplete;
    const uint8_t c = b(i);
    if (i == 1 ? (c < low || c > high) : (c & 0xc0) != 0x80) return Shape::invalid;
    cp = (cp << 6) | (c & 0x3f);
  }
  return Shape::complete;
}

bool obeyed_by_terminals(uint32_t cp) {
  return (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
         (cp >= 0x2066 && cp <= 0x2069);
}

// Escapes `s` into `out`; returns how many bytes at the end were left
// because they may continue in the next feed (`last` says there is none).
size_t escape(std::string_view s, std::string& out, bool last) {
  size_t i = 0;
  while (i < s.size()) {
    const auto byte = static_cast<uint8_t>(s[i]);
    if ((byte >= 0x20 && byte < 0x7f) || byte == '\n' || byte == '\t') {
      out += static_cast<char>(byte);
      ++i;
      continue;
    }
    if (byte == '\r') {
      if (i + 1 == s.size() && !last) return 1;
      if (i + 1 < s.size() && s[i + 1] == '\n') {
        out += "\r\n";
        i += 2;
      } else {
        append_byte(out, byte);
        ++i;
      }
      continue;
    }
    if (byte >= 0x80) {
      size_t length = 0;
      uint32_t cp = 0;
      const Shape shape = utf8_at(s.substr(i), length, cp);
      if (shape == Shape::incomplete && !last) return s.size() - i;
      if (shape == Shape::complete) {
        if (obeyed_by_terminals(cp)) {
          append_code_point(out, cp);
        } else {
          out.append(s.substr(i, length));
        }
        i += length;
        continue;
      }
    }
    append_byte(out, byte);
    ++i;
  }
  return 0;
}

}  // namespace

void TerminalEscaper::feed(std::string_view bytes, std::string& out) {
  // The held bytes (at most 3) go first; one copy of a bounded chunk.
  std::string joined;
  if (!held_.empty()) {
    joined = held_ + std::string(bytes);
    bytes = joined;
  }
  const size_t left = escape(bytes, out, false);
  held_.assign(bytes.substr(bytes.size() - left));
}

void TerminalEscaper::finish(std::string& out) {
  escape(held_, out, true);
  held_.clear();
}

std::string escape_for_terminal(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  escape(text, out, true);
  return out;
}

}  // namespace stockade::supervisor
