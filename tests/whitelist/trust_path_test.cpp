// check_trusted: sshd's StrictModes rules on real files and folders, as root
// and as uid 65534 (tests/support/run_unprivileged.sh).
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "test_files.h"
#include "whitelist/trust_path.h"

namespace stockade {
namespace {

using testing_support::ScratchDir;
using testing_support::write_file;

// Neither root nor us, when we are root; as anyone else, chown is not ours.
constexpr uid_t kStranger = 65534;
constexpr gid_t kOtherGroup = 100;

bool root() { return ::geteuid() == 0; }

Status check(const std::string& path) {
  auto fd = open_trusted(path, O_RDONLY | O_NOCTTY, "whitelist");
  if (!fd) return fd.error();
  return {};
}

std::string message_of(const Status& s) { return s ? std::string("accepted") : s.error().message(); }

class TrustPath : public ::testing::Test {
 protected:
  void SetUp() override {
    // mkdtemp makes 0700, ours, in the sticky /tmp.
    ASSERT_EQ(::mkdir((dir_ / "etc").c_str(), 0755), 0);
    write_file(file(), "pins\n", 0644);
  }
  std::string file() const { return dir_ / "etc/whitelist"; }
  ScratchDir dir_;
};

TEST_F(TrustPath, OwnFileInOwnFolderInStickyTmpIsAccepted) {
  EXPECT_TRUE(check(file())) << message_of(check(file()));
}

TEST_F(TrustPath, WorldWritableFileIsRefusedNamingOwnerModeAndFix) {
  ASSERT_EQ(::chmod(file().c_str(), 0666), 0);
  auto s = check(file());
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Errc::refused);
  const std::string m = s.error().message();
  // As uid 65534 its group is 65534's too, and named as well.
  EXPECT_NE(m.find(file() + ": the whitelist is writable by "), std::string::npos) << m;
  EXPECT_NE(m.find("every user"), std::string::npos) << m;
  EXPECT_NE(m.find("owner uid " + std::to_string(::geteuid())), std::string::npos) << m;
  EXPECT_NE(m.find("mode 0666"), std::string::npos) << m;
  EXPECT_NE(m.find("Fix: chmod go-w " + file()), std::string::npos) << m;
}

TEST_F(TrustPath, GroupWritableFileIsRefusedUnlessTheGroupIsRoots) {
  ASSERT_EQ(::chmod(file().c_str(), 0664), 0);
  if (root()) {
    // root's own group: its members are as trusted as root.
    EXPECT_TRUE(check(file())) << message_of(check(file()));
    ASSERT_EQ(::chown(file().c_str(), static_cast<uid_t>(-1), kOtherGroup), 0);
  }
  // As uid 65534 the file's group is 65534's: not root's.
  auto s = check(file());
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().what.find("Fix: chmod g-w " + file()), std::string::npos) << s.error().what;
}

TEST_F(TrustPath, FileOwnedByAnotherUserIsRefused) {
  if (!root()) GTEST_SKIP() << "only root can give a file away";
  ASSERT_EQ(::chown(file().c_str(), kStranger, kStranger), 0);
  auto s = check(file());
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().what.find("is owned by uid 65534"), std::string::npos) << s.error().what;
  EXPECT_NE(s.error().what.find("Fix: chown root " + file()), std::string::npos) << s.error().what;
}

TEST_F(TrustPath, WorldWritableFolderAboveIsRefused) {
  ASSERT_EQ(::chmod((dir_ / "etc").c_str(), 0777), 0);
  auto s = check(file());
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().what.find("the folder " + (dir_ / "etc") + " on the whitelist's path"),
            std::string::npos)
      << s.error().what;
  EXPECT_NE(s.error().what.find("chmod go-w " + (dir_ / "etc")), std::string::npos);
}

TEST_F(TrustPath, StickyFolderIsAcceptedOnlyWhenTheEntryBelowIsTrusted) {
  ASSERT_EQ(::chmod((dir_ / "etc").c_str(), 01777), 0);
  EXPECT_TRUE(check(file())) << message_of(check(file()));
  if (!root()) return;
  ASSERT_EQ(::chown(file().c_str(), kStranger, kStranger), 0);
  auto s = check(file());
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().what.find("inside the sticky, shared folder " + (dir_ / "etc")),
            std::string::npos)
      << s.error().what;
}

TEST_F(TrustPath, SymlinkIsFollowedAndItsTargetsFoldersAreChecked) {
  ASSERT_EQ(::mkdir((dir_ / "shared").c_str(), 0755), 0);
  write_file(dir_ / "shared/real", "pins\n", 0644);
  ASSERT_EQ(::unlink(file().c_str()), 0);
  ASSERT_EQ(::symlink("../shared/real", file().c_str()), 0);
  EXPECT_TRUE(check(file())) << message_of(check(file()));
  ASSERT_EQ(::chmod((dir_ / "shared").c_str(), 0777), 0);
  auto s = check(file());
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().what.find("the folder " + (dir_ / "shared")), std::string::npos)
      << s.error().what;
}

TEST_F(TrustPath, DotDotAndRelativePathsAreWalkedAsTheKernelDoes) {
  ASSERT_EQ(::mkdir((dir_ / "etc/sub").c_str(), 0755), 0);
  EXPECT_TRUE(check(dir_ / "etc/sub/../whitelist")) << message_of(check(dir_ / "etc/sub/../whitelist"));
  char cwd[4096];
  ASSERT_NE(::getcwd(cwd, sizeof cwd), nullptr);
  ASSERT_EQ(::chdir((dir_ / "etc").c_str()), 0);
  const Status relative = check("whitelist");
  ASSERT_EQ(::chmod((dir_ / "etc").c_str(), 0777), 0);
  const Status relative_open = check("./whitelist");
  ASSERT_EQ(::chdir(cwd), 0);
  EXPECT_TRUE(relative) << message_of(relative);
  // The working folder's own folders count: it is on the path.
  ASSERT_FALSE(relative_open);
  EXPECT_NE(relative_open.error().what.find("the folder " + (dir_ / "etc")), std::string::npos)
      << relative_open.error().what;
}

TEST_F(TrustPath, PathThatNoLongerNamesTheOpenFileIsRefused) {
  UniqueFd fd(::open(file().c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(fd);
  ASSERT_EQ(::rename(file().c_str(), (dir_ / "etc/old").c_str()), 0);
  write_file(file(), "other pins\n", 0644);
  auto s = check_trusted(fd.get(), file(), "whitelist");
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().what.find("changed while it was being checked"), std::string::npos)
      << s.error().what;
}

TEST_F(TrustPath, PosixAclThatLetsOthersWriteIsRefused) {
  if (!root()) GTEST_SKIP() << "the case needs a group-writable file of root's group";
  // An access ACL (acl_ea format, version 2): user::rw-, user:65534:rw-,
  // group::r--, mask::rw-, other::r--. Its mask is the mode's group bits.
  struct Entry {
    uint16_t tag, perm;
    uint32_t id;
  };
  const uint32_t version = 2;
  const Entry entries[] = {{0x01, 6, 0xffffffff}, {0x02, 6, kStranger}, {0x04, 4, 0xffffffff},
                           {0x10, 6, 0xffffffff}, {0x20, 4, 0xffffffff}};
  char value[sizeof version + sizeof entries];
  std::memcpy(value, &version, sizeof version);
  std::memcpy(value + sizeof version, entries, sizeof entries);
  if (::setxattr(file().c_str(), "system.posix_acl_access", value, sizeof value, 0) != 0) {
    GTEST_SKIP() << "this filesystem has no POSIX ACLs: " << std::strerror(errno);
  }
  struct stat st {};
  ASSERT_EQ(::stat(file().c_str(), &st), 0);
  ASSERT_EQ(st.st_mode & 0777, 0664u) << "the mask shows as the group bits";
  auto s = check(file());
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().what.find("POSIX ACL"), std::string::npos) << s.error().what;
  EXPECT_NE(s.error().what.find("setfacl -b " + file()), std::string::npos) << s.error().what;
}

}  // namespace
}  // namespace stockade
