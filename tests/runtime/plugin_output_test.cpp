// Plugin output lines: bounded, escaped, rate-limited; and the pending-call table.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "supervisor/call_table.h"
#include "supervisor/plugin_output.h"

namespace stockade::supervisor {
namespace {

using namespace std::chrono_literals;

std::span<const uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

TEST(PluginOutput, EscapesControlCharactersTerminalEscapesAndBadUtf8) {
  EXPECT_EQ(escape_for_log("plain text"), "plain text");
  EXPECT_EQ(escape_for_log("\x1b[31mred\r\t"), "\\x1b[31mred\\x0d\\x09");
  EXPECT_EQ(escape_for_log("back\\slash"), "back\\x5cslash");
  EXPECT_EQ(escape_for_log("caf\xc3\xa9"), "caf\xc3\xa9");       // valid UTF-8 stays
  EXPECT_EQ(escape_for_log("\xc2\x9b"), "\\xc2\\x9b");           // C1 CSI
  EXPECT_EQ(escape_for_log("\xff\xc3"), "\\xff\\xc3");           // invalid, truncated
  EXPECT_EQ(escape_for_log("\xe0\x80\x80"), "\\xe0\\x80\\x80");  // overlong
}

TEST(PluginOutput, SplitsLinesAcrossChunksAndFlushesTheLastAtEnd) {
  std::vector<std::string> lines;
  PluginOutput out({}, [&](std::string_view l) { lines.emplace_back(l); });
  auto now = PluginOutput::Clock::now();
  out.feed(bytes("one\ntw"), now);
  out.feed(bytes("o\n\nthree"), now);
  out.finish(now);
  EXPECT_EQ(lines, (std::vector<std::string>{"one", "two", "", "three"}));
}

TEST(PluginOutput, LongLinesAreCutAndMarked) {
  std::vector<std::string> lines;
  PluginOutput out({8, 100, 100}, [&](std::string_view l) { lines.emplace_back(l); });
  auto now = PluginOutput::Clock::now();
  out.feed(bytes(std::string(100000, 'a')), now);
  out.feed(bytes("b\nshort\n"), now);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "aaaaaaaa [line truncated at 8 bytes]");
  EXPECT_EQ(lines[1], "short");
}

TEST(PluginOutput, RateLimitDropsAndSaysHowMany) {
  std::vector<std::string> lines;
  PluginOutput out({4096, 10, 5}, [&](std::string_view l) { lines.emplace_back(l); });
  auto now = PluginOutput::Clock::now();
  std::string burst;
  for (int i = 0; i < 50; ++i) burst += "line\n";
  out.feed(bytes(burst), now);
  EXPECT_EQ(lines.size(), 5u);
  EXPECT_EQ(out.lines_dropped(), 45u);
  out.feed(bytes("later\n"), now + 1s);
  ASSERT_EQ(lines.size(), 7u);
  EXPECT_EQ(lines[5], "(45 lines dropped: over 10 lines/s)");
  EXPECT_EQ(lines[6], "later");
}

TEST(CallTable, BoundedWithIdsNeverReused) {
  CallTable table(2);
  auto deadline = Clock::now() + 1s;
  auto a = table.add({}, deadline, [](auto, auto) {});
  auto b = table.add({}, deadline, [](auto, auto) {});
  EXPECT_FALSE(table.add({}, deadline, [](auto, auto) {}).has_value());
  ASSERT_TRUE(a && b);
  EXPECT_TRUE(table.take(*a).has_value());
  auto c = table.add({}, deadline, [](auto, auto) {});
  ASSERT_TRUE(c);
  EXPECT_GT(*c, *b);
  EXPECT_TRUE(table.issued(*a));
  EXPECT_FALSE(table.issued(*c + 1));
  EXPECT_FALSE(table.issued(0));
}

TEST(CallTable, QueuesInOrderAndCountsExecutesInFlight) {
  CallTable table(8);
  auto deadline = Clock::now() + 1s;
  Request health{RequestKind::health, {}, {}, 1};
  auto e1 = table.add({}, deadline, [](auto, auto) {});
  auto h = table.add(health, deadline, [](auto, auto) {});
  auto e2 = table.add({}, deadline - 500ms, [](auto, auto) {});
  EXPECT_EQ(table.next_queued(true), h);
  EXPECT_EQ(table.next_queued(false), e1);
  table.mark_sent(*e1);
  EXPECT_EQ(table.executes_in_flight(), 1u);
  EXPECT_EQ(table.next_queued(false), e2);
  EXPECT_EQ(table.earliest_deadline(), deadline - 500ms);
  auto expired = table.take_if([&](const PendingCall& c) { return c.deadline < deadline; });
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].first, *e2);
  EXPECT_FALSE(table.next_queued(false).has_value());
  table.take(*e1);
  EXPECT_EQ(table.executes_in_flight(), 0u);
}

TEST(CallTable, StaleQueuedIdsDoNotPileUp) {
  CallTable table(4);
  auto deadline = Clock::now();
  for (int i = 0; i < 10000; ++i) {
    auto id = table.add({}, deadline, [](auto, auto) {});
    ASSERT_TRUE(id);
    table.take(*id);  // expired while queued, never reaching the front
  }
  EXPECT_EQ(table.size(), 0u);
  EXPECT_LE(table.queued_ids(), 2 * table.capacity() + 1);
}

}  // namespace
}  // namespace stockade::supervisor
