// The whitelist grammar, line by line: what is accepted, and that every
// refusal names the source and the line.
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <string>

#include "test_files.h"
#include "whitelist/whitelist.h"

namespace stockade {
namespace {

const std::string kHexA = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
const std::string kHexB = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

Sha256Digest digest_of(const std::string& hex) { return *parse_digest(hex); }

// Parses `text` expecting failure; returns the message ("src:LINE: what").
std::string refusal(const std::string& text) {
  auto list = Whitelist::parse(text, "wl.txt");
  EXPECT_FALSE(list.ok()) << "accepted: " << text;
  if (list.ok()) return {};
  EXPECT_EQ(list.error().code, Errc::invalid_input);
  return list.error().message();
}

TEST(WhitelistParser, AcceptsEntriesCommentsBlankLinesAndSeveralDigestsPerName) {
  const std::string text = "# pinned plugins\n"
                           "\n" +
                           kHexA + "  calculator\n" +
                           "#" + "\n" + kHexB + "  calculator\n" + kHexB + "  echo_v2.1-x";
  auto list = Whitelist::parse(text, "wl.txt");
  ASSERT_TRUE(list.ok()) << list.error().message();
  ASSERT_EQ(list->entries().size(), 3u);
  EXPECT_EQ(list->entries()[0].name, "calculator");
  EXPECT_EQ(list->entries()[0].line, 3);
  EXPECT_EQ(list->entries()[2].line, 6);
  EXPECT_TRUE(list->allows("calculator", digest_of(kHexA)));
  EXPECT_TRUE(list->allows("calculator", digest_of(kHexB)));
  EXPECT_TRUE(list->allows("echo_v2.1-x", digest_of(kHexB)));
  EXPECT_FALSE(list->allows("echo_v2.1-x", digest_of(kHexA)));
  EXPECT_FALSE(list->allows("unknown", digest_of(kHexA)));
  EXPECT_TRUE(list->has_name("echo_v2.1-x"));
  EXPECT_FALSE(list->has_name("echo"));
}

// What one launch verifies against (supervisor/plugin_process.cpp): the
// plugin's own labels (NAME, NAME/FILE, NAME@/INTERPRETER), none of another
// plugin whose name merely starts the same.
TEST(WhitelistParser, PinsOfAPluginAreItsOwnLabelsOnly) {
  const std::string text = kHexA + "  calc\n" + kHexB + "  calc\n" + kHexA + "  calc/lib/x.py\n" + kHexB +
                           "  calc@/usr/bin/python3\n" + kHexB + "  calculator\n" + kHexA + "  echo\n";
  auto list = Whitelist::parse(text, "wl.txt");
  ASSERT_TRUE(list.ok()) << list.error().message();
  const Whitelist pins = list->pins_of("calc");
  ASSERT_EQ(pins.entries().size(), 4u);
  EXPECT_TRUE(pins.allows("calc", digest_of(kHexA)));
  EXPECT_TRUE(pins.allows("calc", digest_of(kHexB)));
  EXPECT_TRUE(pins.allows("calc/lib/x.py", digest_of(kHexA)));
  EXPECT_TRUE(pins.allows("calc@/usr/bin/python3", digest_of(kHexB)));
  EXPECT_FALSE(pins.has_name("calculator"));
  EXPECT_FALSE(pins.has_name("echo"));
  EXPECT_TRUE(list->pins_of("nothing").entries().empty());
}

TEST(WhitelistParser, EmptyTextIsAnEmptyWhitelist) {
  auto list = Whitelist::parse("", "wl.txt");
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->entries().empty());
}

TEST(WhitelistParser, ErrorsNameTheSourceAndTheLine) {
  EXPECT_EQ(refusal("# ok\n\nnot an entry\n"), "wl.txt:3: expected \"<64 lowercase hex>  <name>\"");
}

TEST(WhitelistParser, RefusesUppercaseHex) {
  std::string upper = kHexA;
  upper[5] = 'F';
  EXPECT_NE(refusal(upper + "  calc\n").find("wl.txt:1: the digest must be 64 lowercase hex"),
            std::string::npos);
}

TEST(WhitelistParser, RefusesShortOrLongDigests) {
  EXPECT_NE(refusal(kHexA.substr(1) + "  calc\n").find("wl.txt:1:"), std::string::npos);
  EXPECT_NE(refusal(kHexA + "0  calc\n").find("two spaces"), std::string::npos);
}

TEST(WhitelistParser, RefusesOneSpaceThreeSpacesAndTabs) {
  EXPECT_NE(refusal(kHexA + " calc\n").find("exactly two spaces"), std::string::npos);
  EXPECT_NE(refusal(kHexA + "   calc\n").find("a space"), std::string::npos);
  EXPECT_NE(refusal(kHexA + "\tcalc\n").find("exactly two spaces"), std::string::npos);
  EXPECT_NE(refusal(kHexA + "  \tcalc\n").find("a tab"), std::string::npos);
}

TEST(WhitelistParser, RefusesTrailingSpacesCrlfAndNul) {
  EXPECT_NE(refusal(kHexA + "  calc \n").find("a space"), std::string::npos);
  EXPECT_NE(refusal(kHexA + "  calc\r\n").find("carriage return"), std::string::npos);
  EXPECT_NE(refusal(kHexA + "  ca" + std::string(1, '\0') + "lc\n").find("NUL"),
            std::string::npos);
  EXPECT_NE(refusal("# comment\r\n").find("wl.txt:1: comment contains a carriage return"),
            std::string::npos);
}

TEST(WhitelistParser, RefusesTrailingComments) {
  EXPECT_NE(refusal(kHexA + "  calc # v1\n").find("wl.txt:1:"), std::string::npos);
  EXPECT_NE(refusal(kHexA + "  calc#v1\n").find("comments must start the line"),
            std::string::npos);
}

TEST(WhitelistParser, RefusesIndentedCommentsAndWhitespaceOnlyLines) {
  EXPECT_NE(refusal("  # indented\n").find("wl.txt:1:"), std::string::npos);
  EXPECT_NE(refusal("ok\n").find("wl.txt:1:"), std::string::npos);
  EXPECT_NE(refusal("\n   \n").find("wl.txt:2:"), std::string::npos);
}

TEST(WhitelistParser, RestrictsNames) {
  EXPECT_NE(refusal(kHexA + "  \n").find("missing name"), std::string::npos);
  EXPECT_NE(refusal(kHexA + "  ..\n").find("invalid name"), std::string::npos);
  EXPECT_NE(refusal(kHexA + "  .hidden\n").find("invalid name"), std::string::npos);
  EXPECT_NE(refusal(kHexA + "  -rf\n").find("invalid name"), std::string::npos);
  // '/' and '@' start the file and interpreter labels (PinnedLabels below).
  EXPECT_NE(refusal(kHexA + "  a\\b\n").find("'\\'"), std::string::npos);
  EXPECT_NE(refusal(kHexA + "  caf\xc3\xa9\n").find("byte 0xc3"), std::string::npos);
  EXPECT_NE(refusal(kHexA + "  " + std::string(129, 'n') + "\n").find("invalid name"),
            std::string::npos);
  EXPECT_TRUE(Whitelist::parse(kHexA + "  " + std::string(128, 'n') + "\n", "wl.txt").ok());
}

TEST(WhitelistParser, NameRuleIsTheSameEverywhere) {
  EXPECT_TRUE(is_valid_plugin_name("calc"));
  EXPECT_TRUE(is_valid_plugin_name("_x.y-z9"));
  EXPECT_FALSE(is_valid_plugin_name(""));
  EXPECT_FALSE(is_valid_plugin_name("."));
  EXPECT_FALSE(is_valid_plugin_name("-x"));
  EXPECT_FALSE(is_valid_plugin_name("a b"));
  EXPECT_FALSE(is_valid_plugin_name(std::string(kMaxPluginNameBytes + 1, 'a')));
}

TEST(WhitelistParser, RefusesExactDuplicatesButAllowsOneDigestUnderTwoNames) {
  EXPECT_EQ(refusal(kHexA + "  calc\n" + kHexA + "  calc\n"),
            "wl.txt:2: duplicate entry for \"calc\" (first on line 1)");
  EXPECT_TRUE(Whitelist::parse(kHexA + "  calc\n" + kHexA + "  calc2\n", "wl.txt").ok());
}

TEST(WhitelistParser, BoundsLineLengthEvenForComments) {
  EXPECT_NE(refusal("#" + std::string(kMaxWhitelistLineBytes, 'c') + "\n").find("wl.txt:1: line longer"),
            std::string::npos);
  EXPECT_TRUE(Whitelist::parse("#" + std::string(kMaxWhitelistLineBytes - 1, 'c'), "wl").ok());
}

TEST(WhitelistParser, BoundsLineCount) {
  const std::string text(kMaxWhitelistLines + 1, '\n');
  auto list = Whitelist::parse(text, "wl.txt");
  ASSERT_FALSE(list.ok());
  EXPECT_EQ(list.error().message(), "wl.txt:" + std::to_string(kMaxWhitelistLines + 1) +
                                        ": more than " + std::to_string(kMaxWhitelistLines) +
                                        " lines");
}

TEST(WhitelistLoad, ReadsAFileAndNamesItInErrors) {
  testing_support::ScratchDir dir;
  testing_support::write_file(dir / "good", kHexA + "  calc\n");
  auto good = Whitelist::load(dir / "good");
  ASSERT_TRUE(good.ok()) << good.error().message();
  EXPECT_TRUE(good->allows("calc", digest_of(kHexA)));

  testing_support::write_file(dir / "bad", "# fine\n" + kHexA + " calc\n");
  auto bad = Whitelist::load(dir / "bad");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message().rfind(dir / "bad:2: ", 0), 0u) << bad.error().message();
}

TEST(WhitelistLoad, RefusesMissingFilesDirectoriesAndOversizedFiles) {
  testing_support::ScratchDir dir;
  auto missing = Whitelist::load(dir / "none");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Errc::not_found);
  EXPECT_FALSE(Whitelist::load(dir.path()).ok());
  ASSERT_EQ(mkfifo((dir / "fifo").c_str(), 0644), 0);
  auto fifo = Whitelist::load(dir / "fifo");  // refused, not blocked on
  ASSERT_FALSE(fifo.ok());
  EXPECT_NE(fifo.error().message().find("not a regular file"), std::string::npos);

  testing_support::write_file(dir / "huge", std::string(kMaxWhitelistBytes + 1, '\n'));
  auto huge = Whitelist::load(dir / "huge");
  ASSERT_FALSE(huge.ok());
  EXPECT_EQ(huge.error().code, Errc::limit);
}

TEST(WhitelistParser, PinnedLabelsNameAFileOrTheInterpreterOfAPlugin) {
  const std::string text = kHexA + "  calc\n" + kHexB + "  calc/lib/helper.py\n" + kHexA +
                           "  calc@/usr/bin/python3\n" + kHexB + "  calc/c++_x-1.0/m.py\n";
  auto list = Whitelist::parse(text, "wl.txt");
  ASSERT_TRUE(list.ok()) << list.error().message();
  EXPECT_TRUE(list->allows("calc/lib/helper.py", digest_of(kHexB)));
  EXPECT_TRUE(list->allows("calc@/usr/bin/python3", digest_of(kHexA)));
  EXPECT_FALSE(list->allows("calc", digest_of(kHexB)));
  EXPECT_TRUE(list->has_name("calc/c++_x-1.0/m.py"));
}

TEST(WhitelistParser, PinnedLabelsRefuseEscapingOrUnnormalizedPaths) {
  for (const char* bad : {"calc/", "calc//x", "calc/./x", "calc/../x", "calc/a/..", "calc/x/",
                          "calc@usr/bin/python3", "calc@/usr//bin", "calc@/usr/../bin", "calc@/",
                          "calc/@x@"}) {
    const std::string line = kHexA + "  " + bad + "\n";
    const std::string message = refusal(line);
    EXPECT_NE(message.find("wl.txt:1:"), std::string::npos) << bad << ": " << message;
  }
  EXPECT_NE(refusal(kHexA + "  .x/lib.py\n").find("invalid name"), std::string::npos);
  EXPECT_NE(refusal(kHexA + "  calc/a b\n").find("a space"), std::string::npos);
  EXPECT_NE(refusal(kHexA + "  calc/" + std::string(513, 'p') + "\n").find("at most 512"),
            std::string::npos);
}

}  // namespace
}  // namespace stockade
