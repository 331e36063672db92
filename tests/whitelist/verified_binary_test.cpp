// VerifiedBinary against real files: what it accepts, what it refuses and
// the words it uses to say why.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>

#include "base/unique_fd.h"
#include "test_files.h"
#include "whitelist/whitelist.h"

namespace stockade {
namespace {

using testing_support::copy_file;
using testing_support::ScratchDir;
using testing_support::sha256_of_path;
using testing_support::write_file;

Whitelist whitelist_with(const std::string& path, const std::string& name) {
  auto list = Whitelist::parse(to_hex(sha256_of_path(path)) + "  " + name + "\n", "test");
  EXPECT_TRUE(list.ok());
  return std::move(list).value();
}

// Verifies expecting a refusal; returns the error.
Error refusal_of(const std::string& path, const Whitelist& list, VerifyOptions options = {}) {
  auto binary = VerifiedBinary::verify(path, "probe", list, options);
  EXPECT_FALSE(binary.ok()) << path << " was accepted";
  if (binary.ok()) return {};
  return std::move(binary).error();
}

class VerifiedBinaryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    copy_file(PROBE_ORIGINAL, dir_ / "probe");
    list_ = whitelist_with(dir_ / "probe", "probe");
  }
  ScratchDir dir_;
  Whitelist list_;
};

TEST_F(VerifiedBinaryTest, AcceptsAWhitelistedBinaryAndRunsIt) {
  auto binary = VerifiedBinary::verify(dir_ / "probe", "probe", list_);
  ASSERT_TRUE(binary.ok()) << binary.error().message();
  EXPECT_TRUE(binary->verified());
  EXPECT_EQ(binary->name(), "probe");
  EXPECT_EQ(binary->path(), dir_ / "probe");
  EXPECT_TRUE(digests_equal(binary->digest(), sha256_of_path(PROBE_ORIGINAL)));
  EXPECT_EQ(fcntl(binary->fd(), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
  EXPECT_EQ(fcntl(binary->fd(), F_GETFL) & O_ACCMODE, O_RDONLY);
  EXPECT_EQ(testing_support::run_fd(binary->fd()), "original\n");
}

TEST_F(VerifiedBinaryTest, RefusesANameWithoutThatDigestAndSaysHowToPinIt) {
  copy_file(PROBE_REPLACEMENT, dir_ / "other");
  const Error e = refusal_of(dir_ / "other", list_);
  EXPECT_EQ(e.code, Errc::refused);
  const std::string msg = e.message();
  EXPECT_NE(msg.find(dir_ / "other"), std::string::npos) << msg;
  EXPECT_NE(msg.find("\"probe\""), std::string::npos) << msg;
  EXPECT_NE(msg.find(to_hex(sha256_of_path(PROBE_REPLACEMENT))), std::string::npos) << msg;
  EXPECT_NE(msg.find("plugin-hash --name probe"), std::string::npos) << msg;
}

TEST_F(VerifiedBinaryTest, RefusesTheRightDigestUnderAnotherName) {
  auto binary = VerifiedBinary::verify(dir_ / "probe", "calculator", list_);
  ASSERT_FALSE(binary.ok());
  EXPECT_EQ(binary.error().code, Errc::refused);
  EXPECT_NE(binary.error().message().find("no digest is pinned for \"calculator\""),
            std::string::npos);
}

TEST_F(VerifiedBinaryTest, MissingFileIsNotFound) {
  const Error e = refusal_of(dir_ / "absent", list_);
  EXPECT_EQ(e.code, Errc::not_found);
  EXPECT_NE(e.message().find(dir_ / "absent"), std::string::npos);
}

TEST_F(VerifiedBinaryTest, RefusesADirectory) {
  ASSERT_EQ(mkdir((dir_ / "d").c_str(), 0755), 0);
  const Error e = refusal_of(dir_ / "d", list_);
  EXPECT_EQ(e.code, Errc::refused);
  EXPECT_NE(e.message().find("is a directory"), std::string::npos) << e.message();
}

TEST_F(VerifiedBinaryTest, RefusesAFifoWithoutBlocking) {
  ASSERT_EQ(mkfifo((dir_ / "fifo").c_str(), 0755), 0);
  const Error e = refusal_of(dir_ / "fifo", list_);
  EXPECT_NE(e.message().find("is a FIFO"), std::string::npos) << e.message();
}

TEST_F(VerifiedBinaryTest, RefusesADevice) {
  const Error e = refusal_of("/dev/null", list_);
  EXPECT_NE(e.message().find("is a device"), std::string::npos) << e.message();
}

TEST_F(VerifiedBinaryTest, RefusesASymlinkUnlessAskedToFollow) {
  ASSERT_EQ(symlink((dir_ / "probe").c_str(), (dir_ / "link").c_str()), 0);
  const Error e = refusal_of(dir_ / "link", list_);
  EXPECT_EQ(e.code, Errc::refused);
  EXPECT_NE(e.message().find("is a symbolic link"), std::string::npos) << e.message();

  auto followed = VerifiedBinary::verify(dir_ / "link", "probe", list_, {.follow_symlinks = true});
  ASSERT_TRUE(followed.ok()) << followed.error().message();
  EXPECT_EQ(testing_support::run_fd(followed->fd()), "original\n");
}

TEST_F(VerifiedBinaryTest, RefusesAFileWithoutExecutePermission) {
  copy_file(PROBE_ORIGINAL, dir_ / "noexec", 0644);
  const Error e = refusal_of(dir_ / "noexec", list_);
  EXPECT_EQ(e.code, Errc::refused);
  EXPECT_NE(e.message().find("is not executable (mode 0644)"), std::string::npos) << e.message();
}

TEST_F(VerifiedBinaryTest, RefusesAWorldWritableFile) {
  copy_file(PROBE_ORIGINAL, dir_ / "open", 0777);
  const Error e = refusal_of(dir_ / "open", list_);
  EXPECT_NE(e.message().find("writable by every user"), std::string::npos) << e.message();
}

// The kernel grants a read lease only while nobody has the file open for
// writing; the test owns the file, so the check applies.
TEST_F(VerifiedBinaryTest, RefusesAFileHeldOpenForWriting) {
  UniqueFd writer(open((dir_ / "probe").c_str(), O_WRONLY | O_CLOEXEC));
  ASSERT_TRUE(writer.valid());
  const Error e = refusal_of(dir_ / "probe", list_);
  EXPECT_EQ(e.code, Errc::refused);
  EXPECT_NE(e.message().find("is open for writing"), std::string::npos) << e.message();
  writer.reset();
  EXPECT_TRUE(VerifiedBinary::verify(dir_ / "probe", "probe", list_).ok());
}

TEST_F(VerifiedBinaryTest, RefusesAnInvalidName) {
  auto binary = VerifiedBinary::verify(dir_ / "probe", "../probe", list_);
  ASSERT_FALSE(binary.ok());
  EXPECT_EQ(binary.error().code, Errc::invalid_input);
}

TEST_F(VerifiedBinaryTest, DevelopmentModeRunsWithoutAWhitelistAndWarnsLoudly) {
  copy_file(PROBE_REPLACEMENT, dir_ / "unpinned");
  ::testing::internal::CaptureStderr();
  auto binary = VerifiedBinary::unverified(dir_ / "unpinned", "dev",
                                           VerifiedBinary::DangerousDevelopmentMode{});
  const std::string warning = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(binary.ok()) << binary.error().message();
  EXPECT_FALSE(binary->verified());
  EXPECT_NE(warning.find("WARNING: development mode: " + (dir_ / "unpinned") + " runs UNVERIFIED"),
            std::string::npos)
      << warning;
  EXPECT_EQ(testing_support::run_fd(binary->fd()), "replacement\n");
}

TEST_F(VerifiedBinaryTest, DevelopmentModeStillRefusesWhatCannotRun) {
  ASSERT_EQ(mkdir((dir_ / "d").c_str(), 0755), 0);
  ::testing::internal::CaptureStderr();
  auto binary =
      VerifiedBinary::unverified(dir_ / "d", "dev", VerifiedBinary::DangerousDevelopmentMode{});
  const std::string warning = ::testing::internal::GetCapturedStderr();
  ASSERT_FALSE(binary.ok());
  EXPECT_NE(binary.error().message().find("is a directory"), std::string::npos);
  EXPECT_TRUE(warning.empty()) << warning;
}

TEST_F(VerifiedBinaryTest, AnOpenedBinaryIsVerifiedAsTheSameOpenFile) {
  auto opened = OpenedBinary::open(dir_ / "probe");
  ASSERT_TRUE(opened.ok()) << opened.error().message();
  const int fd = opened->fd();
  EXPECT_EQ(opened->path(), dir_ / "probe");
  // A file replacing the path now is not what is hashed: the open file is
  // (its unlinking counts as a change, so this one is refused, see below).
  copy_file(PROBE_REPLACEMENT, dir_ / "unpinned");
  auto binary = VerifiedBinary::verify(std::move(*opened), "probe", list_);
  ASSERT_TRUE(binary.ok()) << binary.error().message();
  EXPECT_EQ(binary->fd(), fd);
  EXPECT_TRUE(binary->verified());
  EXPECT_EQ(testing_support::run_fd(binary->fd()), "original\n");
}

TEST_F(VerifiedBinaryTest, AnOpenedBinaryReplacedBeforeItIsHashedIsRefused) {
  // Unlinking the opened file (a rename over its path) changes its ctime:
  // verification between open and hash refuses rather than guess.
  auto opened = OpenedBinary::open(dir_ / "probe");
  ASSERT_TRUE(opened.ok()) << opened.error().message();
  copy_file(PROBE_REPLACEMENT, dir_ / "replacement");
  ASSERT_EQ(rename((dir_ / "replacement").c_str(), (dir_ / "probe").c_str()), 0);
  auto binary = VerifiedBinary::verify(std::move(*opened), "probe", list_);
  ASSERT_FALSE(binary.ok());
  EXPECT_EQ(binary.error().code, Errc::refused);
  EXPECT_NE(binary.error().message().find("changed"), std::string::npos)
      << binary.error().message();
}

TEST_F(VerifiedBinaryTest, AnOpenedBinaryIsRefusedLikeAPath) {
  copy_file(PROBE_REPLACEMENT, dir_ / "other");
  auto opened = OpenedBinary::open(dir_ / "other");
  ASSERT_TRUE(opened.ok()) << opened.error().message();
  auto binary = VerifiedBinary::verify(std::move(*opened), "probe", list_);
  ASSERT_FALSE(binary.ok());
  EXPECT_EQ(binary.error().code, Errc::refused);
  EXPECT_NE(binary.error().message().find("not whitelisted"), std::string::npos);

  ASSERT_EQ(mkdir((dir_ / "d").c_str(), 0755), 0);
  auto directory = OpenedBinary::open(dir_ / "d");
  ASSERT_FALSE(directory.ok());
  EXPECT_NE(directory.error().message().find("is a directory"), std::string::npos);
  EXPECT_EQ(OpenedBinary::open(dir_ / "missing").error().code, Errc::not_found);
}

}  // namespace
}  // namespace stockade
