// `stockade jail`'s stdio: the program only ever holds pipes of stockade's;
// a file, socket or terminal the operator gives stockade stays the
// operator's. Each test hands stockade a real file, socket or terminal and
// lets the probe attack it from inside the sandbox, as root and as uid 65534.
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <csignal>
#include <string>
#include <vector>

#include "tests/cli/jail_fixture.h"
#include "tests/support/temp_dir.h"

namespace stockade::jailtest {
namespace {

constexpr const char* kSecret = "operator log: earlier secret line\n";

class JailStdio : public Jail {
 protected:
  // The operator's log, as `>> log` opens it.
  int open_log(const std::string& name, int flags) {
    const std::string path = dir_.file(name);
    testing::write_file(path, kSecret, 0644);  // as a root-owned log is
    int fd = ::open(path.c_str(), flags | O_CLOEXEC);
    EXPECT_GE(fd, 0) << path;
    give_to_operator(fd);
    return fd;
  }
};

TEST_P(JailStdio, ReopeningStdoutDoesNotReachTheOperatorsFile) {
  int log = open_log("out.log", O_WRONLY | O_APPEND);
  auto r = jail({}, {probe(), "reopen", "1", "r"}, {}, Stdio(-1, log));
  ::close(log);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("reopen 1: "), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("earlier secret"), std::string::npos) << "the program read the log: " << r.err;
  EXPECT_EQ(testing::read_file(dir_.file("out.log")), kSecret);
}

TEST_P(JailStdio, ReopeningStderrDoesNotReachTheOperatorsFile) {
  int log = open_log("err.log", O_WRONLY | O_APPEND);
  auto r = jail({}, {probe(), "reopen", "2", "r"}, {}, Stdio(-1, -1, log));
  ::close(log);
  EXPECT_EQ(r.code, 0);
  const std::string after = testing::read_file(dir_.file("err.log"));
  ASSERT_EQ(after.rfind(kSecret, 0), 0u) << after;
  // What the probe reported went through stockade into the log: it must
  // not contain the log itself.
  EXPECT_EQ(after.find("earlier secret", std::string(kSecret).size()), std::string::npos) << after;
}

TEST_P(JailStdio, ReopeningStdinForWritingDoesNotReachTheOperatorsFile) {
  int input = open_log("in.txt", O_RDONLY);
  auto r = jail({}, {probe(), "reopen", "0", "w"}, {}, Stdio(input));
  ::close(input);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(testing::read_file(dir_.file("in.txt")), kSecret);
}

TEST_P(JailStdio, ClearingAppendAndTruncatingLeavesTheOperatorsLogWhole) {
  int log = open_log("append.log", O_WRONLY | O_APPEND);
  auto r = jail({}, {probe(), "truncate-stdout"}, {}, Stdio(-1, log));
  const int flags = ::fcntl(log, F_GETFL);
  ::close(log);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(flags & O_APPEND) << "the program cleared O_APPEND on the operator's description";
  const std::string after = testing::read_file(dir_.file("append.log"));
  EXPECT_EQ(after.rfind(kSecret, 0), 0u) << "the operator's log was truncated or overwritten: " << after;
}

TEST_P(JailStdio, NothingUnderProcSelfFdLeadsToAHostFile) {
  int log = open_log("targets.log", O_WRONLY | O_APPEND);
  int input = open_log("targets.in", O_RDONLY);
  auto r = jail({}, {probe(), "fd-targets"}, {}, Stdio(input, log));
  ::close(log);
  ::close(input);
  EXPECT_EQ(r.code, 0) << r.err;
  const std::string listing = testing::read_file(dir_.file("targets.log")).substr(std::string(kSecret).size());
  EXPECT_NE(listing.find("0 -> pipe:["), std::string::npos) << listing;
  EXPECT_NE(listing.find("1 -> pipe:["), std::string::npos) << listing;
  EXPECT_NE(listing.find("2 -> pipe:["), std::string::npos) << listing;
  EXPECT_EQ(listing.find(dir_.path()), std::string::npos) << listing;
}

TEST_P(JailStdio, ShutdownOfASocketStdoutDoesNotKillStockade) {
  int pair[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
  // 2>&1 onto a socket: stockade's own line goes there too.
  auto r = jail({}, {probe(), "shutdown-then-ptrace"}, {}, Stdio(-1, pair[1], pair[1]));
  ::close(pair[1]);
  std::string seen;
  char buf[4096];
  for (ssize_t n; (n = ::read(pair[0], buf, sizeof buf)) > 0;) seen.append(buf, static_cast<size_t>(n));
  ::close(pair[0]);
  EXPECT_EQ(r.code, 128 + SIGSYS) << seen;
  EXPECT_NE(seen.find("after shutdown\n"), std::string::npos) << seen;
  EXPECT_NE(seen.find("stockade: seccomp violation: ptrace"), std::string::npos) << seen;
}

TEST_P(JailStdio, StdoutReaderThatNeverReadsDoesNotHoldTheEnd) {
  int out[2];
  ASSERT_EQ(::pipe2(out, O_CLOEXEC), 0);
  // The test keeps the read end open and never reads: the flood fills the
  // pipe, the time limit ends the sandbox, stockade ends anyway.
  auto r = jail({"--time-limit", "1"}, {probe(), "flood"}, {}, Stdio(-1, out[1]));
  ::close(out[0]);
  ::close(out[1]);
  EXPECT_EQ(r.code, 124) << r.err;  // the time limit
  EXPECT_NE(r.err.find("stockade: time limit of 1 s exceeded"), std::string::npos) << r.err;
}

TEST_P(JailStdio, StdinThatNeverEndsDoesNotHoldTheEnd) {
  int in[2];
  ASSERT_EQ(::pipe2(in, O_CLOEXEC), 0);
  // The write end stays open: stockade's stdin never reaches EOF.
  auto r = jail({}, {probe(), "exit", "7"}, {}, Stdio(in[0]));
  ::close(in[0]);
  ::close(in[1]);
  EXPECT_EQ(r.code, 7) << r.err;
}

TEST_P(JailStdio, ClosedStdioIsNotAHostFile) {
  auto r = jail({}, {probe(), "cat"}, "");  // stdin: immediate EOF
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "");
}

TEST_P(JailStdio, LargeOutputArrivesWhole) {
  std::string input;
  for (int i = 0; i < 5000; ++i) input += "line " + std::to_string(i) + "\n";
  auto r = jail({}, {probe(), "cat"}, input);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, input);
}

INSTANTIATE_TEST_SUITE_P(AsRootAndNobody, JailStdio, ::testing::ValuesIn(identities()), identity_name);

}  // namespace
}  // namespace stockade::jailtest
