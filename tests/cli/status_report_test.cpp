// The status object: valid JSON, one line, pure ASCII with every control
// character escaped, whatever the strings in it hold.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>

#include "cli/status_report.h"

namespace stockade::supervisor {
namespace {

std::string every_byte() {
  std::string s;
  for (int b = 1; b < 256; ++b) s += static_cast<char>(b);
  return s + '\0' + "\xc2\x9b\xe2\x80\xae";
}

TEST(StatusReport, HostileStringsGiveValidEscapedJsonOnOneLine) {
  StatusReport r;
  r.kind = "seccomp_violation";
  r.exit_code = 159;
  r.signal = 31;
  r.syscall = every_byte();
  r.message = "forged\nstockade: line \x1b[8m" + every_byte();
  sandbox::AppliedLimits applied;
  applied.memory = every_byte();
  r.applied = applied;
  const std::string text = status_json(r);
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  EXPECT_EQ(text.find('\n'), text.size() - 1);
  for (char c : text.substr(0, text.size() - 1)) {
    auto byte = static_cast<unsigned char>(c);
    EXPECT_TRUE(byte >= 0x20 && byte < 0x7f) << "raw byte " << int(byte) << " in " << text;
  }
  auto parsed = nlohmann::json::parse(text, nullptr, false);
  ASSERT_TRUE(parsed.is_object()) << text;
  EXPECT_EQ(parsed["kind"], "seccomp_violation");
  EXPECT_EQ(parsed["signal_name"], "SIGSYS");
  // Valid UTF-8 survives the round trip; only invalid bytes are replaced.
  const std::string message = parsed["message"];
  EXPECT_EQ(message.rfind("forged\nstockade: line \x1b[8m\x01\x02", 0), 0u);
  EXPECT_NE(message.find("\x7f"), std::string::npos);
}

TEST(StatusReport, AbsentFactsAreNullAndEveryFieldIsThere) {
  StatusReport r;
  r.kind = "exited";
  r.exit_code = 0;
  r.code = 0;
  r.message = "exited with code 0";
  r.wall_seconds = 600;
  sandbox::Policy policy;
  r.policy = policy;
  auto parsed = nlohmann::json::parse(status_json(r));
  for (const char* key : {"version", "kind", "exit_code", "code", "signal", "signal_name", "syscall",
                          "limit", "interrupted_by", "message", "output_cut", "limits", "applied",
                          "timings"}) {
    EXPECT_TRUE(parsed.contains(key)) << key;
  }
  EXPECT_EQ(parsed["version"], 1);
  EXPECT_EQ(parsed["code"], 0);
  EXPECT_TRUE(parsed["signal"].is_null());
  EXPECT_TRUE(parsed["syscall"].is_null());
  EXPECT_TRUE(parsed["limit"].is_null());
  EXPECT_TRUE(parsed["applied"].is_null());
  EXPECT_EQ(parsed["limits"]["wall_seconds"], 600);
  EXPECT_EQ(parsed["limits"]["memory_mb"], policy.limits.memory_bytes / sandbox::kMiB);
  EXPECT_EQ(parsed["limits"]["network"], "none");
  EXPECT_TRUE(parsed["timings"]["wall_ms"].is_null());
}

}  // namespace
}  // namespace stockade::supervisor
