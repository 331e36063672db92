// The one exit-code table (cli/exit_codes.h, issue 10 point 9) through the
// real programs: the same failure ends jail, call, check and plugin-hash
// with the same code; --quiet leaves only errors on stderr; messages say
// what the user can act on, once. Every test runs as root and as uid 65534
// (setpriv), from a tree of root-owned files as an operator sets it up.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/support/command.h"
#include "tests/support/temp_dir.h"
#include "whitelist/sha256.h"

namespace stockade {
namespace {

using testing::CommandOutcome;

enum class As { root, nobody };

std::string digest_line(const std::string& path, const std::string& name) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  auto digest = sha256_of_fd(fd);
  ::close(fd);
  EXPECT_TRUE(digest);
  return to_hex(*digest) + "  " + name + "\n";
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

size_t count(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

// bin/{stockade, jail_probe}; etc/{whitelist, config.json,
// plugins/{echo, calculator}/{plugin.json, binary}}.
class ExitCodes : public ::testing::TestWithParam<As> {
 protected:
  void SetUp() override {
    if (GetParam() == As::nobody && ::geteuid() != 0) GTEST_SKIP() << "switching to uid 65534 needs root";
    for (const char* sub : {"bin", "etc", "etc/plugins", "etc/plugins/echo", "etc/plugins/calculator"}) {
      ASSERT_EQ(::mkdir(dir_.file(sub).c_str(), 0755), 0) << sub;
      ASSERT_EQ(::chmod(dir_.file(sub).c_str(), 0755), 0) << sub;
    }
    copy(STOCKADE_BIN, stockade());
    copy(JAIL_PROBE, probe());
    copy(ECHO_PLUGIN, plugin("echo") + "/echo");
    copy(CALCULATOR_PLUGIN, plugin("calculator") + "/calculator");
    testing::write_file(plugin("echo") + "/plugin.json", testing::read_file(ECHO_MANIFEST));
    testing::write_file(plugin("calculator") + "/plugin.json", testing::read_file(CALCULATOR_MANIFEST));
    testing::write_file(whitelist(), digest_line(probe(), "jail_probe") +
                                         digest_line(plugin("echo") + "/echo", "echo") +
                                         digest_line(plugin("calculator") + "/calculator", "calculator"));
    testing::write_file(config(), R"({"plugins_dir": "plugins", "whitelist": "whitelist"})");
  }

  static void copy(const std::string& from, const std::string& to) {
    testing::write_file(to, testing::read_file(from), 0755);
  }
  std::string stockade() const { return dir_.file("bin/stockade"); }
  std::string probe() const { return dir_.file("bin/jail_probe"); }
  std::string etc(const std::string& name) const { return dir_.file("etc/" + name); }
  std::string plugins() const { return etc("plugins"); }
  std::string plugin(const std::string& name) const { return etc("plugins/" + name); }
  std::string whitelist() const { return etc("whitelist"); }
  std::string config() const { return etc("config.json"); }

  CommandOutcome run(std::vector<std::string> argv) const {
    if (GetParam() == As::nobody) {
      argv.insert(argv.begin(), {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534",
                                 "--clear-groups"});
    }
    return testing::run_command(argv);
  }
  CommandOutcome stockade(std::vector<std::string> args) const {
    args.insert(args.begin(), stockade());
    return run(std::move(args));
  }
  CommandOutcome call(const std::string& whitelist_path, std::vector<std::string> more) const {
    std::vector<std::string> args{"call", "--plugins", plugins(), "--whitelist", whitelist_path};
    args.insert(args.end(), more.begin(), more.end());
    return stockade(std::move(args));
  }

  testing::TempDir dir_{"stockade-exit-", 0755};
};

TEST_P(ExitCodes, MissingWhitelistIsOwnFailureInJailAndCallAlike) {
  const std::string missing = etc("no-such-whitelist");
  auto jail = stockade({"jail", "--whitelist", missing, "--", probe(), "exit", "0"});
  auto call = this->call(missing, {"echo", "--data", "hi"});
  EXPECT_EQ(jail.code, 125) << jail.err;
  EXPECT_EQ(call.code, 125) << call.err;
  EXPECT_TRUE(contains(jail.err, missing)) << jail.err;
  EXPECT_TRUE(contains(call.err, missing)) << call.err;
}

TEST_P(ExitCodes, MissingPluginsFolderIsOwnFailure) {
  auto r = stockade({"call", "--plugins", etc("no-plugins"), "--whitelist", whitelist(), "echo"});
  EXPECT_EQ(r.code, 125) << r.err;
  EXPECT_TRUE(contains(r.err, etc("no-plugins"))) << r.err;
}

TEST_P(ExitCodes, UsageErrorIsOwnFailureInEveryCommand) {
  EXPECT_EQ(stockade({"jail", "--bogus"}).code, 125);
  EXPECT_EQ(stockade({"call", "--bogus"}).code, 125);
  EXPECT_EQ(stockade({"check", "--bogus"}).code, 125);
  EXPECT_EQ(stockade({"check"}).code, 125);
  EXPECT_EQ(stockade({"frobnicate"}).code, 125);
}

TEST_P(ExitCodes, UnreadableConfigIsOwnFailureInCheckAsInJail) {
  const std::string missing = etc("no-such-config.json");
  auto check = stockade({"check", "--config", missing});
  auto jail = stockade({"jail", "--config", missing, "--whitelist", whitelist(), "--", probe(), "exit", "0"});
  EXPECT_EQ(check.code, 125) << check.out << check.err;
  EXPECT_EQ(jail.code, 125) << jail.err;
}

TEST_P(ExitCodes, NotFoundIs127InJailAndCall) {
  EXPECT_EQ(stockade({"jail", "--whitelist", whitelist(), "--", etc("no-such-binary")}).code, 127);
  auto call = this->call(whitelist(), {"no-such-plugin"});
  EXPECT_EQ(call.code, 127) << call.err;
}

TEST_P(ExitCodes, MissingDataFileNamesTheFileAndWhy) {
  const std::string missing = etc("no-such-request.bin");
  auto r = call(whitelist(), {"echo", "--data-file", missing});
  EXPECT_EQ(r.code, 125) << r.err;
  EXPECT_TRUE(contains(r.err, missing)) << r.err;
  EXPECT_TRUE(contains(r.err, "No such file or directory")) << r.err;
}

TEST_P(ExitCodes, OversizedPayloadNamesTheManifestsFrameLimit) {
  // A 64 KiB frame limit and a payload of 100 000 bytes.
  testing::write_file(plugin("echo") + "/plugin.json",
                      R"({"name": "echo", "execute": {"max_frame_kb": 64}})");
  const std::string request = etc("request.bin");
  testing::write_file(request, std::string(100000, 'x'));
  auto r = call(whitelist(), {"echo", "--data-file", request});
  EXPECT_EQ(r.code, 126) << r.err;
  EXPECT_TRUE(contains(r.err, "execute.max_frame_kb = 64")) << r.err;
  EXPECT_TRUE(contains(r.err, plugin("echo") + "/plugin.json")) << r.err;
  EXPECT_TRUE(contains(r.err, "100000 bytes")) << r.err;
  EXPECT_TRUE(contains(r.err, "65536 bytes")) << r.err;
  EXPECT_FALSE(contains(r.err, "FrameBuilder")) << r.err;
}

TEST_P(ExitCodes, NotWhitelistedPluginIsReportedOnce) {
  // echo's digest pinned under another name only.
  const std::string other = etc("other-whitelist");
  testing::write_file(other, digest_line(plugin("echo") + "/echo", "something-else"));
  auto r = call(other, {"echo", "--data", "hi"});
  EXPECT_EQ(r.code, 126) << r.err;
  EXPECT_EQ(count(r.err, "\n"), 1u) << "expected one line:\n" << r.err;
  EXPECT_TRUE(contains(r.err, "echo")) << r.err;
}

TEST_P(ExitCodes, QuietLeavesOnlyErrorsOnStderr) {
  // call logs the plugin's start and stop; --quiet (and -q) drops them.
  auto loud = call(whitelist(), {"echo", "--data", "hi"});
  EXPECT_EQ(loud.code, 0) << loud.err;
  EXPECT_TRUE(contains(loud.err, "[info] [echo] started")) << loud.err;
  for (const char* quiet : {"--quiet", "-q"}) {
    auto call = this->call(whitelist(), {"echo", "--data", "hi", quiet});
    EXPECT_EQ(call.code, 0) << call.err;
    EXPECT_EQ(call.out, "hi");
    EXPECT_EQ(call.err, "") << quiet;
    auto jail = stockade({"jail", quiet, "--whitelist", whitelist(), "--", probe(), "exit", "3"});
    EXPECT_EQ(jail.code, 3) << jail.err;
    EXPECT_EQ(jail.err, "") << quiet;
    auto check = stockade({"check", quiet, "--config", config()});
    EXPECT_EQ(check.code, 0) << check.out << check.err;
    EXPECT_EQ(check.out + check.err, "") << quiet;
  }
  // Errors stay, once.
  auto error = call(whitelist(), {"--quiet", "no-such-plugin"});
  EXPECT_EQ(error.code, 127);
  EXPECT_EQ(count(error.err, "\n"), 1u) << error.err;
  // Development mode's warning is the one line --quiet keeps: what ran unverified.
  auto dev = stockade({"call", "--plugins", plugins(), "--dev", "echo", "--data", "hi", "-q"});
  EXPECT_EQ(dev.code, 0) << dev.err;
  EXPECT_EQ(count(dev.err, "\n"), 1u) << dev.err;
  EXPECT_EQ(dev.err.rfind("WARNING: development mode: " + plugin("echo") + "/echo runs UNVERIFIED", 0), 0u)
      << dev.err;
  auto dev_jail = stockade({"jail", "--dev", "-q", "--", probe(), "exit", "0"});
  EXPECT_EQ(dev_jail.code, 0) << dev_jail.err;
  EXPECT_EQ(count(dev_jail.err, "\n"), 1u) << dev_jail.err;
}

TEST_P(ExitCodes, CallHelpsCalculatorExampleWorks) {
  auto help = stockade({"call", "--help"});
  ASSERT_TRUE(contains(help.out, "calculator --method calc --data '6 * 7'")) << help.out;
  auto r = stockade({"call", "--plugins", plugins(), "--whitelist", whitelist(), "calculator",
                     "--method", "calc", "--data", "6 * 7"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "42");
}

TEST_P(ExitCodes, EveryHelpShowsRowsOfTheOneTable) {
  auto table = stockade({"help", "exit-codes"});
  ASSERT_EQ(table.code, 0);
  EXPECT_TRUE(contains(table.out, "  125    stockade's own failure")) << table.out;
  auto main_help = stockade({"--help"});
  EXPECT_TRUE(contains(main_help.out, table.out)) << main_help.out;
  for (const char* command : {"jail", "call", "check"}) {
    auto help = stockade({command, "--help"});
    EXPECT_TRUE(contains(help.out, "  125    stockade's own failure")) << command;
    EXPECT_TRUE(contains(help.out, "-q, --quiet")) << command;
  }
}

std::string identity_name(const ::testing::TestParamInfo<As>& param) {
  return param.param == As::root ? "AsRoot" : "AsNobody";
}

INSTANTIATE_TEST_SUITE_P(Identities, ExitCodes, ::testing::Values(As::root, As::nobody),
                         identity_name);

}  // namespace
}  // namespace stockade
