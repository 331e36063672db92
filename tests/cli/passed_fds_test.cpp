// What the sandbox library does with each kind of descriptor it is asked to
// pass (sandbox/passed_fds.h): never a description of a host file or
// terminal; pipes and devices reopened; sockets shared; files refused.
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "sandbox/passed_fds.h"
#include "tests/support/temp_dir.h"

namespace stockade::sandbox {
namespace {

// The description behind fd, compared by its flags: a fresh one does not
// see a flag set on the other.
bool shares_description(int a, int b) {
  const int before = fcntl(b, F_GETFL);
  fcntl(a, F_SETFL, fcntl(a, F_GETFL) ^ O_NONBLOCK);
  const bool shared = fcntl(b, F_GETFL) != before;
  fcntl(a, F_SETFL, fcntl(a, F_GETFL) ^ O_NONBLOCK);
  return shared;
}

TEST(PassedFds, RegularFilesAndDirectoriesAreRefused) {
  testing::TempDir dir;
  testing::write_file(dir.file("log"), "operator's log\n");
  UniqueFd file(open(dir.file("log").c_str(), O_WRONLY | O_APPEND | O_CLOEXEC));
  ASSERT_TRUE(file.valid());
  auto passed = own_descriptions({{file.get(), 1}});
  ASSERT_FALSE(passed.ok());
  EXPECT_EQ(passed.error().code, Errc::refused);
  EXPECT_NE(passed.error().message().find("regular file"), std::string::npos) << passed.error().message();
  UniqueFd folder(open(dir.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  EXPECT_FALSE(own_descriptions({{folder.get(), 0}}).ok());
}

TEST(PassedFds, PtyMastersAreRefusedAndTerminalsGetADescriptionOfTheirOwn) {
  UniqueFd master(posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
  ASSERT_TRUE(master.valid());
  ASSERT_EQ(grantpt(master.get()), 0);
  ASSERT_EQ(unlockpt(master.get()), 0);
  EXPECT_FALSE(own_descriptions({{master.get(), 0}}).ok());
  UniqueFd slave(open(ptsname(master.get()), O_RDWR | O_NOCTTY | O_CLOEXEC));
  ASSERT_TRUE(slave.valid());
  auto passed = own_descriptions({{slave.get(), 0}});
  ASSERT_TRUE(passed.ok()) << passed.error().message();
  ASSERT_EQ(passed->owned.size(), 1u);
  EXPECT_NE(passed->mappings[0].parent_fd, slave.get());
  EXPECT_FALSE(shares_description(passed->mappings[0].parent_fd, slave.get()));
}

TEST(PassedFds, PipesAreReopenedAndOneParentFdStaysOneDescription) {
  int p[2];
  ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
  UniqueFd read_end(p[0]), write_end(p[1]);
  auto passed = own_descriptions({{read_end.get(), 0}, {write_end.get(), 1}, {write_end.get(), 2}});
  ASSERT_TRUE(passed.ok()) << passed.error().message();
  EXPECT_EQ(passed->owned.size(), 2u);
  EXPECT_FALSE(shares_description(passed->mappings[1].parent_fd, write_end.get()));
  EXPECT_EQ(passed->mappings[1].parent_fd, passed->mappings[2].parent_fd);
}

TEST(PassedFds, SocketsAreShared) {
  int pair[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
  UniqueFd ours(pair[0]), theirs(pair[1]);
  auto passed = own_descriptions({{theirs.get(), 3}});
  ASSERT_TRUE(passed.ok()) << passed.error().message();
  EXPECT_EQ(passed->mappings[0].parent_fd, theirs.get());
  EXPECT_TRUE(passed->owned.empty());
}

TEST(PassedFds, DevNullIsReopened) {
  UniqueFd null(open("/dev/null", O_RDWR | O_CLOEXEC));
  auto passed = own_descriptions({{null.get(), 0}});
  ASSERT_TRUE(passed.ok()) << passed.error().message();
  EXPECT_EQ(passed->owned.size(), 1u);
}

}  // namespace
}  // namespace stockade::sandbox
