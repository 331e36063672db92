// Regression (found by fuzz_manifest_parser): a JSON syntax error quotes the
// token the parser stopped at, and nlohmann escapes only the C0 controls in
// it. DEL, C1 controls and invalid UTF-8 from a manifest or config reached
// `stockade check`'s terminal raw, and a long bad token made a message as long
// as the file. Every parse error must be short, printable ASCII. (The
// control socket's problems had the same fault: last test.)
#include <gtest/gtest.h>

#include <string>

#include "config/config.h"
#include "config/manifest.h"

namespace stockade::supervisor {
namespace {

bool is_printable_ascii(const std::string& text) {
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7e) return false;
  }
  return true;
}

std::string manifest_parse_error(const std::string& text) {
  auto m = parse_manifest(text, "plugin.json");
  EXPECT_FALSE(m.ok());
  return m.ok() ? "" : m.error().message();
}

TEST(ParseErrorMessage, BytesTheTerminalWouldActOnAreEscaped) {
  // DEL as a value.
  std::string del = manifest_parse_error("{\"name\": \x7f}");
  EXPECT_TRUE(is_printable_ascii(del)) << del;
  EXPECT_TRUE(del.ends_with("\\x7f'")) << del;
  // CSI as a C1 control, in UTF-8 (U+009B) and as a raw 8-bit byte.
  for (const char* csi : {"\xc2\x9b", "\x9b"}) {
    std::string message = manifest_parse_error(std::string("{\"name\": ") + csi + "31m}");
    EXPECT_TRUE(is_printable_ascii(message)) << message;
  }
  // Invalid UTF-8 inside a string.
  std::string bad_utf8 = manifest_parse_error("{\"name\": \"calc\xff\"}");
  EXPECT_TRUE(is_printable_ascii(bad_utf8)) << bad_utf8;
  EXPECT_NE(bad_utf8.find("\\xff"), std::string::npos) << bad_utf8;
}

TEST(ParseErrorMessage, ALongBadTokenIsShortened) {
  // The parser quotes the whole string so far when its last escape is bad.
  std::string text = "{\"name\": \"" + std::string(100000, 'a') + "\\q\"}";
  std::string message = manifest_parse_error(text);
  EXPECT_LT(message.size(), 300u) << message.substr(0, 400);
  EXPECT_EQ(message.rfind("plugin.json: invalid JSON: parse error at line 1", 0), 0u) << message;
  EXPECT_TRUE(message.ends_with("...")) << message;
}

TEST(ParseErrorMessage, TheOperatorConfigGetsTheSameTreatment) {
  auto c = parse_config("{\"whitelist\": \x7f}", "stockade.json");
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(is_printable_ascii(c.error().message())) << c.error().message();
}

// Regression (found by fuzz_config_parser): control.socket and control.mode
// were quoted raw in their problems, so an ESC from the file reached the
// terminal; they are quoted as JSON, ASCII-only, like every other value.
TEST(ParseErrorMessage, ControlSocketValuesAreQuotedAsJson) {
  Problems problems;
  auto c = parse_config(R"({"control": {"socket": "run/\u001b[2J.sock"}})", "stockade.json",
                        &problems);
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_FALSE(validate_config(*c, &problems).ok());
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_TRUE(is_printable_ascii(problems[0].message())) << problems[0].message();
  EXPECT_NE(problems[0].message().find(R"((got "run/\u001b[2J.sock"))"), std::string::npos)
      << problems[0].message();

  auto mode = parse_config(R"({"control": {"mode": "\u001b[J"}})", "stockade.json");
  ASSERT_FALSE(mode.ok());
  EXPECT_TRUE(is_printable_ascii(mode.error().message())) << mode.error().message();
}

}  // namespace
}  // namespace stockade::supervisor
