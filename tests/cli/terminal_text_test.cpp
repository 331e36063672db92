// The escaping of untrusted text on its way to a terminal: what passes, what
// becomes visible text, and the same result however the bytes are cut.
#include <gtest/gtest.h>

#include <string>

#include "cli/terminal_text.h"

namespace stockade::supervisor {
namespace {

TEST(TerminalText, PrintableTextNewlinesAndTabsPass) {
  EXPECT_EQ(escape_for_terminal("hello, world\tcol\nnext line\n"), "hello, world\tcol\nnext line\n");
  EXPECT_EQ(escape_for_terminal("C:\\path"), "C:\\path");
  EXPECT_EQ(escape_for_terminal("gr\xc3\xbc\xc3\x9f \xe2\x82\xac \xf0\x9f\x98\x80"),
            "gr\xc3\xbc\xc3\x9f \xe2\x82\xac \xf0\x9f\x98\x80");
}

TEST(TerminalText, EveryOtherC0ControlAndDelBecomeText) {
  for (int c = 0; c < 0x20; ++c) {
    if (c == '\n' || c == '\t') continue;
    std::string in(1, static_cast<char>(c));
    std::string out = escape_for_terminal(in);
    char expected[8];
    std::snprintf(expected, sizeof expected, "\\x%02x", c);
    EXPECT_EQ(out, expected) << c;
  }
  EXPECT_EQ(escape_for_terminal("\x7f"), "\\x7f");
}

TEST(TerminalText, TerminalEscapesCannotReachTheTerminal) {
  EXPECT_EQ(escape_for_terminal("\x1b[8mhidden\x1b]0;title\x07"), "\\x1b[8mhidden\\x1b]0;title\\x07");
}

TEST(TerminalText, CarriageReturnOnlyAsALineEnd) {
  EXPECT_EQ(escape_for_terminal("dos line\r\n"), "dos line\r\n");
  EXPECT_EQ(escape_for_terminal("progress\roverwritten"), "progress\\x0doverwritten");
  EXPECT_EQ(escape_for_terminal("end\r"), "end\\x0d");
}

TEST(TerminalText, C1ControlsRawOrEncodedAndBidiOverridesBecomeText) {
  EXPECT_EQ(escape_for_terminal("\x9b" "2J"), "\\x9b2J");            // raw C1 CSI
  EXPECT_EQ(escape_for_terminal("\xc2\x9b" "2J"), "\\u009b2J");      // UTF-8 CSI
  EXPECT_EQ(escape_for_terminal("a\xe2\x80\xae" "b"), "a\\u202eb");  // RIGHT-TO-LEFT OVERRIDE
  EXPECT_EQ(escape_for_terminal("\xe2\x81\xa6"), "\\u2066");         // LEFT-TO-RIGHT ISOLATE
}

TEST(TerminalText, InvalidUtf8BecomesText) {
  EXPECT_EQ(escape_for_terminal("\xff\xfe"), "\\xff\\xfe");
  EXPECT_EQ(escape_for_terminal("\xc0\xaf"), "\\xc0\\xaf");          // overlong '/'
  EXPECT_EQ(escape_for_terminal("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // a surrogate
  EXPECT_EQ(escape_for_terminal("\xe2\x82"), "\\xe2\\x82");          // cut short at the end
}

TEST(TerminalText, StreamingGivesTheSameResultWhereverTheBytesAreCut) {
  const std::string input =
      "ok \xe2\x82\xac x\r\ny\rz \xf0\x9f\x98\x80 \xc2\x9b \x1b[1m \xe2\x80\xae end\xe2\x82";
  const std::string whole = escape_for_terminal(input);
  for (size_t cut = 0; cut <= input.size(); ++cut) {
    for (size_t cut2 = cut; cut2 <= input.size(); cut2 += 3) {
      TerminalEscaper escaper;
      std::string out;
      escaper.feed(std::string_view(input).substr(0, cut), out);
      escaper.feed(std::string_view(input).substr(cut, cut2 - cut), out);
      escaper.feed(std::string_view(input).substr(cut2), out);
      escaper.finish(out);
      EXPECT_EQ(out, whole) << "cut at " << cut << " and " << cut2;
    }
  }
}

TEST(TerminalText, NoOutputByteATerminalWouldObey) {
  std::string every;
  for (int b = 0; b < 256; ++b) every += static_cast<char>(b);
  std::string out = escape_for_terminal(every);
  for (char c : out) {
    auto byte = static_cast<unsigned char>(c);
    EXPECT_TRUE((byte >= 0x20 && byte < 0x7f) || byte == '\n' || byte == '\t') << int(byte);
  }
}

}  // namespace
}  // namespace stockade::supervisor
