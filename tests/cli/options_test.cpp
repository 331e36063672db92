// The option parser shared by the stockade subcommands.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "cli/options.h"

namespace stockade::supervisor {
namespace {

struct Parsed {
  bool dev = false;
  std::optional<std::string> manifest;
  std::vector<std::string> ro;
  std::optional<uint32_t> memory;
};

Result<std::vector<std::string>> parse(Parsed& p, std::vector<std::string> args) {
  OptionParser parser("t [options]", "test");
  parser.flag("--dev", "dev", p.dev);
  parser.text("--manifest", "FILE", "manifest", p.manifest);
  parser.texts("--ro", "PATH", "ro", p.ro);
  parser.integer("--memory-mb", "N", "memory", p.memory, 1, 100);
  return parser.parse(args);
}

TEST(OptionParser, ReadsEveryKindAndStopsAtDoubleDash) {
  Parsed p;
  auto operands = parse(p, {"--dev", "--manifest", "m.json", "--ro=/a", "--ro", "/b",
                            "--memory-mb=64", "--", "prog", "--dev"});
  ASSERT_TRUE(operands) << operands.error().message();
  EXPECT_TRUE(p.dev);
  EXPECT_EQ(p.manifest, "m.json");
  EXPECT_EQ(p.ro, (std::vector<std::string>{"/a", "/b"}));
  EXPECT_EQ(p.memory, 64u);
  EXPECT_EQ(*operands, (std::vector<std::string>{"prog", "--dev"}));
}

TEST(OptionParser, FirstOperandEndsTheOptions) {
  Parsed p;
  auto operands = parse(p, {"prog", "--dev"});
  ASSERT_TRUE(operands);
  EXPECT_FALSE(p.dev);
  EXPECT_EQ(*operands, (std::vector<std::string>{"prog", "--dev"}));
}

TEST(OptionParser, AFlagsOneLetterSpellingSetsItAndIsShownInHelp) {
  bool quiet = false, help = false;
  OptionParser parser("t [options]", "test");
  parser.flag("--quiet", "only errors", quiet);
  parser.alias('q', "--quiet");
  parser.flag("--help", "help", help);
  auto operands = parser.parse(std::vector<std::string>{"-q", "-h", "prog", "-q"});
  ASSERT_TRUE(operands) << operands.error().message();
  EXPECT_TRUE(quiet);
  EXPECT_TRUE(help);
  EXPECT_EQ(*operands, (std::vector<std::string>{"prog", "-q"}));
  EXPECT_NE(parser.help().find("  -q, --quiet"), std::string::npos) << parser.help();
  EXPECT_FALSE(parser.parse(std::vector<std::string>{"-x"}));
}

TEST(OptionParser, MistakesNameTheOption) {
  Parsed p;
  EXPECT_EQ(parse(p, {"--bogus"}).error().message(), "--bogus: unknown option (see --help)");
  Parsed q;
  EXPECT_EQ(parse(q, {"--memory-mb", "lots"}).error().message(),
            "--memory-mb: must be an integer from 1 to 100 (got \"lots\")");
  Parsed r;
  EXPECT_EQ(parse(r, {"--memory-mb", "101"}).error().message(),
            "--memory-mb: must be an integer from 1 to 100 (got \"101\")");
  Parsed s;
  EXPECT_EQ(parse(s, {"--manifest"}).error().message(), "--manifest: needs a value (FILE)");
  Parsed t;
  EXPECT_EQ(parse(t, {"--manifest", "a", "--manifest", "b"}).error().message(),
            "--manifest: given more than once");
  Parsed u;
  EXPECT_EQ(parse(u, {"--dev=yes"}).error().message(), "--dev: takes no value");
}

TEST(OptionParser, DecimalParsingIsStrict) {
  EXPECT_EQ(parse_decimal("42", 0, 100), 42u);
  EXPECT_FALSE(parse_decimal("", 0, 100));
  EXPECT_FALSE(parse_decimal("+4", 0, 100));
  EXPECT_FALSE(parse_decimal("4k", 0, 100));
  EXPECT_FALSE(parse_decimal(" 4", 0, 100));
  EXPECT_FALSE(parse_decimal("99999999999", 0, 100));
}

}  // namespace
}  // namespace stockade::supervisor
