// Text that reaches a terminal from someone we do not trust (a jailed
// program's output, a value from a manifest in one of stockade's messages):
// every byte that a terminal could obey is written out as visible text, so
// the program cannot hide, recolour, retitle or overwrite what stockade
// prints. Pure; used by the stdio relay and by stockade's stderr.
#pragma once

#include <string>
#include <string_view>

namespace stockade::supervisor {

// Rules (docs/drafts/jail-stdio-status.md):
//  - printable ASCII, '\n' and '\t' pass; so does "\r\n" (CRLF line ends);
//  - a lone '\r', every other C0 control, DEL, a raw C1 byte and any byte
//    that is not part of valid UTF-8 become "\xNN" (a lone CR would let a
//    program overwrite the start of its line);
//  - valid UTF-8 passes, except the C1 controls (U+0080..U+009F), which some
//    terminals obey as escapes, and the bidirectional overrides and isolates
//    (U+202A..U+202E, U+2066..U+2069), which reorder what is shown: those
//    become "\uXXXX".
// Streaming: a UTF-8 sequence or a "\r\n" cut between two feeds is held
// (at most 3 bytes) until the next feed() or finish().
class TerminalEscaper {
 public:
  // Appends the escaped form of `bytes` to `out`.
  void feed(std::string_view bytes, std::string& out);
  // Flushes what is held (escaped as incomplete).
  void finish(std::string& out);

 private:
  std::string held_;
};

// The whole of `text` escaped at once.
std::string escape_for_terminal(std::string_view text);

}  // namespace stockade::supervisor
