// The daemon's log lines, pure: text and JSON, escaping, and the journald form.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "daemon/log_format.h"

namespace stockade::daemon {
namespace {

using supervisor::LogLevel;

TEST(LogFormat, JsonIsOneEscapedObjectWithTimeLevelPluginAndMessage) {
  const std::string line =
      format_log_line(LogFormat::json, false, LogLevel::warn, "calc", "a \"quoted\"\nline\x01 with \\");
  ASSERT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);  // one line, whatever the message held
  auto object = nlohmann::json::parse(line);
  EXPECT_EQ(object["level"], "warn");
  EXPECT_EQ(object["plugin"], "calc");
  EXPECT_EQ(object["message"], "a \"quoted\"\nline\x01 with \\");
  EXPECT_TRUE(object["time"].is_string());
}

TEST(LogFormat, TextKeepsOneLineAndNamesThePlugin) {
  const std::string line = format_log_line(LogFormat::text, false, LogLevel::info, "echo", "two\nlines");
  EXPECT_NE(line.find(" info [echo] two lines\n"), std::string::npos) << line;
  EXPECT_EQ(line.find('\n'), line.size() - 1);
}

TEST(LogFormat, UnderJournaldAPriorityPrefixAndNoTimestamp) {
  EXPECT_EQ(format_log_line(LogFormat::text, true, LogLevel::error, "", "boom"), "<3>error boom\n");
  EXPECT_EQ(format_log_line(LogFormat::text, true, LogLevel::warn, "p", "w"), "<4>warn [p] w\n");
  EXPECT_EQ(format_log_line(LogFormat::text, true, LogLevel::info, "", "i"), "<6>info i\n");
  EXPECT_EQ(format_log_line(LogFormat::text, true, LogLevel::debug, "", "d"), "<7>debug d\n");
  const std::string json = format_log_line(LogFormat::json, true, LogLevel::error, "", "x");
  ASSERT_TRUE(json.starts_with("<3>{"));
  auto object = nlohmann::json::parse(json.substr(3));
  EXPECT_FALSE(object.contains("time"));
}

TEST(LogFormat, OnlyTextAndJsonAreFormats) {
  EXPECT_EQ(parse_log_format("text"), LogFormat::text);
  EXPECT_EQ(parse_log_format("json"), LogFormat::json);
  EXPECT_FALSE(parse_log_format("JSON"));
  EXPECT_FALSE(parse_log_format(""));
}

}  // namespace
}  // namespace stockade::daemon
