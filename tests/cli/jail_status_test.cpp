// `stockade jail`'s report: the status channel (--status-fd, --status-file)
// carries the truth however the program forges stockade's line; on a
// terminal the program's escapes arrive escaped and stockade's own line is
// marked; the wall-clock limit has a default and is reported as such.
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <string>
#include <vector>

#include "tests/cli/jail_fixture.h"
#include "tests/support/temp_dir.h"

namespace stockade::jailtest {
namespace {

using nlohmann::json;

// What stockade puts before its own line on a terminal (documented in
// docs/drafts/jail-stdio-status.md): reset, then the marked prefix.
constexpr const char* kMarkedPrefix = "\x1b[0m\x1b(B\x1b[1;7mstockade:\x1b[0m ";

class JailStatus : public Jail {
 protected:
  std::string status_path() const { return writable_dir() + "/status.json"; }

  json read_status() {
    std::string text = testing::read_file(status_path());
    json parsed = json::parse(text, nullptr, false);
    EXPECT_FALSE(parsed.is_discarded()) << text;
    EXPECT_TRUE(parsed.is_object()) << text;
    return parsed;
  }
};

// A terminal of the test's own; the slave is owned by the uid running stockade.
struct Pty {
  int master = -1;
  int slave = -1;
  Pty() {
    master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0 || ::grantpt(master) != 0 || ::unlockpt(master) != 0) return;
    const char* name = ::ptsname(master);
    if (name != nullptr) slave = ::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  }
  ~Pty() {
    if (slave >= 0) ::close(slave);
    if (master >= 0) ::close(master);
  }
  // Everything written to the terminal so far (the writers have exited).
  std::string drain() {
    ::close(slave);
    slave = -1;
    ::fcntl(master, F_SETFL, O_NONBLOCK);
    std::string seen;
    char buf[4096];
    for (ssize_t n; (n = ::read(master, buf, sizeof buf)) > 0;) seen.append(buf, static_cast<size_t>(n));
    return seen;
  }
};

TEST_P(JailStatus, StatusFileTellsTheTruthAboutAForgedLine) {
  auto r = jail({"--status-file", status_path()}, {probe(), "forge"});
  EXPECT_EQ(r.code, 159);
  // The forged line passes through (stderr is a pipe here, copied as is)...
  EXPECT_NE(r.err.find("stockade: seccomp violation: ptrace\n"), std::string::npos) << r.err;
  // ...but the status says the program exited with 159 by itself.
  json status = read_status();
  EXPECT_EQ(status["kind"], "exited") << status.dump();
  EXPECT_EQ(status["code"], 159) << status.dump();
  EXPECT_EQ(status["exit_code"], 159) << status.dump();
  EXPECT_TRUE(status["syscall"].is_null()) << status.dump();
  struct stat info {};
  ASSERT_EQ(::stat(status_path().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0600u);
}

TEST_P(JailStatus, StatusFileNamesTheRealViolation) {
  auto r = jail({"--status-file", status_path()}, {probe(), "ptrace"});
  EXPECT_EQ(r.code, 128 + SIGSYS) << r.err;
  json status = read_status();
  EXPECT_EQ(status["kind"], "seccomp_violation") << status.dump();
  EXPECT_EQ(status["syscall"], "ptrace") << status.dump();
  EXPECT_EQ(status["signal"], SIGSYS) << status.dump();
  EXPECT_EQ(status["signal_name"], "SIGSYS") << status.dump();
  EXPECT_EQ(status["exit_code"], 128 + SIGSYS) << status.dump();
  EXPECT_EQ(status["message"], "seccomp violation: ptrace is not allowed; the sandbox was killed")
      << status.dump();
  EXPECT_TRUE(status["limits"].is_object()) << status.dump();
  EXPECT_TRUE(status["applied"].is_object()) << status.dump();
  EXPECT_TRUE(status["timings"]["wall_ms"].is_number()) << status.dump();
}

TEST_P(JailStatus, StatusFdCarriesOneObjectTheProgramCannotWrite) {
  int status_pipe[2];
  ASSERT_EQ(::pipe2(status_pipe, O_CLOEXEC), 0);
  auto r = jail({"--status-fd", "5"}, {probe(), "write-fd", "5"}, {},
                Stdio(-1, -1, -1, {{status_pipe[1], 5}}));
  ::close(status_pipe[1]);
  std::string text;
  char buf[4096];
  for (ssize_t n; (n = ::read(status_pipe[0], buf, sizeof buf)) > 0;) text.append(buf, static_cast<size_t>(n));
  ::close(status_pipe[0]);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "write-fd 5: Bad file descriptor\n");
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  EXPECT_EQ(text.find('\n'), text.size() - 1) << "one object, one line: " << text;
  json status = json::parse(text, nullptr, false);
  ASSERT_TRUE(status.is_object()) << text;
  EXPECT_EQ(status["kind"], "exited");
  EXPECT_EQ(status["code"], 0);
}

TEST_P(JailStatus, StatusFdMustBeOpenAndNotStdio) {
  auto closed = jail({"--status-fd", "9"}, {probe(), "exit", "0"});
  EXPECT_EQ(closed.code, 125);
  EXPECT_NE(closed.err.find("--status-fd"), std::string::npos) << closed.err;
  auto stdio = jail({"--status-fd", "1"}, {probe(), "exit", "0"});
  EXPECT_EQ(stdio.code, 125);
  EXPECT_NE(stdio.err.find("--status-fd"), std::string::npos) << stdio.err;
}

TEST_P(JailStatus, ExistingStatusFileIsRefusedAndLeftAlone) {
  testing::write_file(status_path(), "the operator's file\n", 0644);
  auto r = jail({"--status-file", status_path()}, {probe(), "exit", "0"});
  EXPECT_EQ(r.code, 125);
  EXPECT_NE(r.err.find(status_path()), std::string::npos) << r.err;
  EXPECT_EQ(testing::read_file(status_path()), "the operator's file\n");
}

TEST_P(JailStatus, SymlinkedStatusFileIsRefusedAndItsTargetUntouched) {
  const std::string target = dir_.file("target");
  ASSERT_EQ(::symlink(target.c_str(), status_path().c_str()), 0);
  auto dangling = jail({"--status-file", status_path()}, {probe(), "exit", "0"});
  EXPECT_EQ(dangling.code, 125);
  EXPECT_NE(::access(target.c_str(), F_OK), 0) << "stockade created the symlink's target";
  testing::write_file(target, "kept\n", 0666);
  auto existing = jail({"--status-file", status_path()}, {probe(), "exit", "0"});
  EXPECT_EQ(existing.code, 125);
  EXPECT_EQ(testing::read_file(target), "kept\n");
}

TEST_P(JailStatus, RefusalIsReportedOnTheStatusChannelToo) {
  auto r = jail({"--status-file", status_path()}, {dir_.file("unpinned_probe"), "exit", "0"});
  EXPECT_EQ(r.code, 126) << r.err;
  json status = read_status();
  EXPECT_EQ(status["kind"], "refused") << status.dump();
  EXPECT_EQ(status["exit_code"], 126) << status.dump();
}

TEST_P(JailStatus, TerminalShowsTheProgramsEscapesEscapedAndStockadesLineMarked) {
  Pty pty;
  ASSERT_GE(pty.slave, 0);
  give_to_operator(pty.slave);
  auto r = jail({"--status-file", status_path()}, {probe(), "forge", "ptrace"}, {},
                Stdio(-1, pty.slave, pty.slave));
  std::string seen = pty.drain();
  EXPECT_EQ(r.code, 128 + SIGSYS) << seen;
  // The program's escapes arrive as text.
  EXPECT_NE(seen.find("\\x1b[8m\\x1b]0;owned\\x07\\x1b[2J\\x0d\\x08\\x9b"), std::string::npos) << seen;
  // Stockade's own line: on a line of its own, reset, marked.
  const std::string real = std::string("\r\n") + kMarkedPrefix +
                           "seccomp violation: ptrace is not allowed; the sandbox was killed\r\n";
  size_t at = seen.find(real);
  ASSERT_NE(at, std::string::npos) << seen;
  // No other raw ESC anywhere: the program cannot produce the mark.
  std::string rest = seen.substr(0, at) + seen.substr(at + real.size());
  EXPECT_EQ(rest.find('\x1b'), std::string::npos) << rest;
  EXPECT_EQ(rest.find('\x07'), std::string::npos) << rest;
  EXPECT_EQ(read_status()["syscall"], "ptrace");
}

TEST_P(JailStatus, ReadonlyPathRefusalEscapesTheManifestsControlCharacters) {
  testing::write_file(dir_.file("esc.json"),
                      "{\"name\": \"calc\", \"sandbox\": {\"readonly_paths\": [\"/opt/\\u001b[8mhidden\"]}}");
  auto r = jail({"--manifest", dir_.file("esc.json")}, {probe(), "exit", "0"});
  EXPECT_NE(r.code, 0);
  EXPECT_EQ(r.err.find('\x1b'), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("\\x1b[8mhidden"), std::string::npos) << r.err;
}

TEST_P(JailStatus, WallClockLimitDefaultsTo600Seconds) {
  auto r = jail({"--status-file", status_path()}, {probe(), "exit", "0"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(read_status()["limits"]["wall_seconds"], 600);
  auto help = run_command({dir_.file("stockade"), "jail", "--help"});
  EXPECT_NE(help.out.find("default: resources.max_wall_seconds, 600 s"), std::string::npos) << help.out;
}

TEST_P(JailStatus, ManifestWallClockLimitKillsAndIsReportedAsTheTimeLimit) {
  testing::write_file(dir_.file("wall.json"), R"({"name": "calc", "resources": {"max_wall_seconds": 1}})");
  auto r = jail({"--manifest", dir_.file("wall.json"), "--status-file", status_path()}, {probe(), "sleep"});
  EXPECT_EQ(r.code, 124) << r.err;
  EXPECT_EQ(r.err, "stockade: time limit of 1 s exceeded; the sandbox was killed\n");
  json status = read_status();
  EXPECT_EQ(status["kind"], "time_limit") << status.dump();
  EXPECT_EQ(status["limit"], "time") << status.dump();
  EXPECT_EQ(status["limits"]["wall_seconds"], 1) << status.dump();
  EXPECT_EQ(status["exit_code"], 124) << status.dump();
  EXPECT_EQ(status["signal"], SIGKILL) << status.dump();
}

TEST_P(JailStatus, TimeLimitOptionOverridesTheManifest) {
  testing::write_file(dir_.file("long.json"), R"({"name": "calc", "resources": {"max_wall_seconds": 500}})");
  auto r = jail({"--manifest", dir_.file("long.json"), "--time-limit", "1", "--status-file", status_path()},
                {probe(), "sleep"});
  EXPECT_EQ(r.code, 124) << r.err;
  EXPECT_EQ(read_status()["limits"]["wall_seconds"], 1);
  // Above the operator's ceiling (3600 s by default): refused, naming the option.
  auto above = jail({"--time-limit", "4000"}, {probe(), "exit", "0"});
  EXPECT_EQ(above.code, 126) << above.err;
  EXPECT_NE(above.err.find("resources.max_wall_seconds"), std::string::npos) << above.err;
  EXPECT_NE(above.err.find("(set by --time-limit)"), std::string::npos) << above.err;
}

INSTANTIATE_TEST_SUITE_P(AsRootAndNobody, JailStatus, ::testing::ValuesIn(identities()), identity_name);

}  // namespace
}  // namespace stockade::jailtest
