// spawn() with a verifier: the sandbox is built around the opened binary while
// it is hashed, and nothing is exec'd unless the verifier vouches for that
// same open file. Real processes; as root and (run_unprivileged.sh) uid 65534.
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "tests/sandbox/sandbox_fixture.h"
#include "tests/support/host_processes.h"
#include "whitelist/whitelist.h"

namespace stockade::sandbox::test {
namespace {

using namespace std::chrono_literals;
using Kind = ExitStatus::Kind;

struct Pipe {
  UniqueFd read_end, write_end;
  static Pipe make() {
    int fds[2];
    EXPECT_EQ(pipe2(fds, O_CLOEXEC), 0);
    return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
  }
};

// Everything written to the pipe until EOF (the writer ends closed) or 10 s.
std::string drain(int fd) {
  std::string out;
  char buffer[256];
  for (;;) {
    pollfd pfd{fd, POLLIN, 0};
    if (poll(&pfd, 1, 10000) <= 0) return out + "<timeout>";
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n <= 0) return out;
    out.append(buffer, static_cast<size_t>(n));
  }
}

// True when this process has no child at all, running or unreaped.
bool no_children() {
  siginfo_t info{};
  return waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) == -1 && errno == ECHILD;
}

Whitelist whitelist_pinning(const std::string& path, const std::string& name) {
  auto digest = VerifiedBinary::unverified(path, name, VerifiedBinary::DangerousDevelopmentMode{});
  EXPECT_TRUE(digest.ok());
  auto whitelist = Whitelist::parse(to_hex(digest->digest()) + "  " + name + "\n", "test");
  EXPECT_TRUE(whitelist.ok());
  return std::move(*whitelist);
}

TEST(VerifyingSpawn, RunsTheBinaryOnceTheVerifierVouchesForIt) {
  const Whitelist whitelist = whitelist_pinning(probe_path(), "probe");
  auto opened = OpenedBinary::open(probe_path());
  ASSERT_TRUE(opened.ok()) << opened.error().message();
  Pipe out = Pipe::make();
  bool verifier_ran = false;
  BinaryVerifier verify = [&](OpenedBinary&& binary) {
    verifier_ran = true;
    return VerifiedBinary::verify(std::move(binary), "probe", whitelist);
  };
  auto child = spawn(std::move(*opened), verify, policy_for({"probe", "argv", "ran"}),
                     {{out.write_end.get(), 1}});
  ASSERT_TRUE(child.ok()) << child.error().message();
  out.write_end.reset();
  EXPECT_TRUE(verifier_ran);
  EXPECT_EQ(drain(out.read_end.get()), "[probe]\n[argv]\n[ran]\n");
  auto status = child->wait(10s);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->kind, Kind::exited);
  EXPECT_EQ(status->code, 0);
}

// The verifier runs on its own thread pinned to another CPU where there is
// one, and in line (on this thread) where the process may use a single CPU.
TEST(VerifyingSpawn, TheVerifierRunsBesideUsOrInLineOnASingleCpu) {
  const Whitelist whitelist = whitelist_pinning(probe_path(), "probe");
  cpu_set_t original;
  ASSERT_EQ(sched_getaffinity(0, sizeof(original), &original), 0);
  for (bool single_cpu : {false, true}) {
    if (single_cpu) {
      cpu_set_t one;
      CPU_ZERO(&one);
      CPU_SET(sched_getcpu(), &one);
      ASSERT_EQ(sched_setaffinity(0, sizeof(one), &one), 0);
    }
    auto opened = OpenedBinary::open(probe_path());
    ASSERT_TRUE(opened.ok()) << opened.error().message();
    pid_t verifier_tid = 0;
    int verifier_cpus = 0;
    BinaryVerifier verify = [&](OpenedBinary&& binary) {
      verifier_tid = gettid();
      cpu_set_t mine;
      CPU_ZERO(&mine);
      if (sched_getaffinity(0, sizeof(mine), &mine) == 0) verifier_cpus = CPU_COUNT(&mine);
      return VerifiedBinary::verify(std::move(binary), "probe", whitelist);
    };
    auto child = spawn(std::move(*opened), verify, policy_for({"probe", "exit", "0"}), {});
    if (single_cpu) {
      ASSERT_EQ(sched_setaffinity(0, sizeof(original), &original), 0);
    }
    ASSERT_TRUE(child.ok()) << child.error().message();
    auto status = child->wait(10s);
    ASSERT_TRUE(status.ok());
    EXPECT_EQ(status->kind, Kind::exited);
    if (single_cpu || CPU_COUNT(&original) < 2) {
      EXPECT_EQ(verifier_tid, gettid()) << "single CPU: verified in line";
    } else {
      EXPECT_NE(verifier_tid, gettid()) << "verified on its own thread";
      EXPECT_EQ(verifier_cpus, 1) << "pinned to one CPU";
    }
  }
}

TEST(VerifyingSpawn, ARefusalIsReturnedAsItCameAndNothingRuns) {
  // Pinned under another name: the verifier refuses.
  const Whitelist whitelist = whitelist_pinning(probe_path(), "someone-else");
  auto before = stockade::testing::open_fds();
  {
    auto opened = OpenedBinary::open(probe_path());
    ASSERT_TRUE(opened.ok()) << opened.error().message();
    Pipe out = Pipe::make();
    auto child = spawn(std::move(*opened),
                       [&](OpenedBinary&& binary) {
                         return VerifiedBinary::verify(std::move(binary), "probe", whitelist);
                       },
                       policy_for({"probe", "argv", "ran"}), {{out.write_end.get(), 1}});
    ASSERT_FALSE(child.ok());
    EXPECT_EQ(child.error().code, Errc::refused);
    EXPECT_NE(child.error().message().find("not whitelisted"), std::string::npos)
        << child.error().message();
    out.write_end.reset();
    // The child was killed before exec: the pipe's writer copies are all
    // gone and nothing was written to it.
    EXPECT_EQ(drain(out.read_end.get()), "");
  }
  EXPECT_EQ(stockade::testing::open_fds(), before);
  EXPECT_TRUE(no_children()) << "a child left behind";
}

TEST(VerifyingSpawn, AVerifierVouchingForAnotherFileIsRefused) {
  // The child holds the first file from the clone: a VerifiedBinary of any
  // other file must not release it, whatever that file's digest.
  auto opened = OpenedBinary::open(probe_path());
  ASSERT_TRUE(opened.ok()) << opened.error().message();
  BinaryVerifier verify = [&](OpenedBinary&&) {
    return VerifiedBinary::unverified("/usr/bin/true", "true",
                                      VerifiedBinary::DangerousDevelopmentMode{});
  };
  auto child = spawn(std::move(*opened), verify, policy_for({"probe", "exit", "0"}), {});
  ASSERT_FALSE(child.ok());
  EXPECT_EQ(child.error().code, Errc::internal);
  EXPECT_NE(child.error().message().find("another file"), std::string::npos)
      << child.error().message();
  EXPECT_TRUE(no_children()) << "a child left behind";
}

}  // namespace
}  // namespace stockade::sandbox::test
