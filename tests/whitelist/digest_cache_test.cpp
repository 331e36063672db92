// DigestCache, alone and behind VerifiedBinary::verify: a digest stands for
// a hash only while the file is the one hashed, on the mount it was hashed
// on, unchanged, last changed long enough before the hash, with no writer
// when it was opened, and on a disk filesystem only this kernel writes.
#include <fcntl.h>
#include <sched.h>
#include <grp.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "base/unique_fd.h"
#include "test_files.h"
#include "whitelist/digest_cache.h"
#include "whitelist/whitelist.h"

namespace stockade {
namespace {

using namespace std::chrono_literals;
using testing_support::copy_file;
using testing_support::ScratchDir;
using testing_support::sha256_of_path;

struct stat stat_of(int fd) {
  struct stat st {};
  EXPECT_EQ(fstat(fd, &st), 0);
  return st;
}

UniqueFd open_read(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  EXPECT_TRUE(fd) << path;
  return fd;
}

timespec later_by(std::chrono::seconds s) {
  timespec t = realtime_now();
  t.tv_sec += s.count();
  return t;
}

// One byte of the file rewritten in place: same inode, same size.
void flip_a_byte(const std::string& path, off_t at) {
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
  ASSERT_TRUE(fd);
  unsigned char byte = 0;
  ASSERT_EQ(pread(fd.get(), &byte, 1, at), 1);
  byte ^= 0xff;
  ASSERT_EQ(pwrite(fd.get(), &byte, 1, at), 1);
}

// The exit status of `child`, once it has ended; -1 if it did not exit.
int exit_status_of(pid_t child) {
  int status = 0;
  if (waitpid(child, &status, 0) != child || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

bool same_time(const timespec& a, const timespec& b) {
  return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

const Sha256Digest kSomeDigest{1, 2, 3};

// A copy of the probe binary in a scratch folder, open, and a cache with no
// settle time in front of it.
class ACopiedProbe : public ::testing::Test {
 protected:
  void SetUp() override {
    copy_file(PROBE_ORIGINAL, dir / "probe");
    fd = open_read(dir / "probe");
  }
  struct stat now() { return stat_of(fd.get()); }
  // Remembered as hashed a second from now, with the writer check's answer given.
  void record(bool no_writer_seen = true) {
    cache.remember(fd.get(), now(), kSomeDigest, later_by(1s), no_writer_seen);
  }
  ScratchDir dir;
  UniqueFd fd;
  DigestCache cache{16, 0ns};
};

TEST_F(ACopiedProbe, AnswersForTheFileItRecordedAndCountsTheHit) {
  EXPECT_FALSE(cache.find(fd.get(), now()));
  record();
  EXPECT_TRUE(cache.has(fd.get(), now()));
  EXPECT_EQ(cache.hits(), 0u);
  auto found = cache.find(fd.get(), now());
  ASSERT_TRUE(found);
  EXPECT_TRUE(digests_equal(*found, kSomeDigest));
  EXPECT_EQ(cache.hits(), 1u);
}

TEST_F(ACopiedProbe, IsNotRecordedWhenChangedTooShortlyBeforeItsCheck) {
  // Just written, checked now: a second write in the same timestamp tick
  // would leave the same ctime, so nothing may be recorded.
  DigestCache settling;  // the default settle time, 5 s
  settling.remember(fd.get(), now(), kSomeDigest, realtime_now(), true);
  EXPECT_EQ(settling.size(), 0u);
  EXPECT_FALSE(settling.find(fd.get(), now()));
  // Checked 6 s after its last change: recorded.
  settling.remember(fd.get(), now(), kSomeDigest, later_by(6s), true);
  EXPECT_EQ(settling.size(), 1u);
}

TEST_F(ACopiedProbe, AnyWriteToTheFileMakesItsEntryUseless) {
  const struct stat before = now();
  record();
  ASSERT_TRUE(cache.has(fd.get(), before));
  // Past one tick of the timestamps' coarse clock (at most 10 ms).
  std::this_thread::sleep_for(30ms);
  flip_a_byte(dir / "probe", 100);
  const struct stat after = stat_of(fd.get());
  EXPECT_EQ(after.st_ino, before.st_ino);
  EXPECT_EQ(after.st_size, before.st_size);
  EXPECT_FALSE(cache.has(fd.get(), after));
  EXPECT_FALSE(cache.find(fd.get(), after));
}

TEST_F(ACopiedProbe, ALinkOrAChmodMakesItsEntryUselessToo) {
  // Neither changes a byte, but both move the ctime: the cache cannot tell
  // them from a change of content, so it hashes again (which is cheap to be
  // wrong about, unlike the other way round).
  record();
  std::this_thread::sleep_for(30ms);
  ASSERT_EQ(::link((dir / "probe").c_str(), (dir / "again").c_str()), 0);
  EXPECT_FALSE(cache.has(fd.get(), now()));
  record();
  ASSERT_TRUE(cache.has(fd.get(), now()));
  std::this_thread::sleep_for(30ms);
  ASSERT_EQ(::fchmod(fd.get(), 0700), 0);
  EXPECT_FALSE(cache.has(fd.get(), now()));
}

TEST(DigestCache, RecordsNothingFromAFilesystemItsKernelDoesNotWriteAlone) {
  // procfs stands for the filesystems whose bytes can change without the
  // ctime moving here (network, FUSE, overlay): never recorded.
  auto fd = open_read("/proc/self/status");
  DigestCache cache(16, 0ns);
  cache.remember(fd.get(), stat_of(fd.get()), kSomeDigest, later_by(1s), true);
  EXPECT_EQ(cache.size(), 0u);
}

TEST(DigestCache, RecordsNothingFromTmpfsWhereAMappedWriteMovesNoTimestamp) {
  // On tmpfs a page read through a shared mapping is written without a
  // fault, so without a new mtime or ctime: a cached digest would vouch for
  // the new bytes. Shown first, then that nothing is recorded.
  const std::string path = "/dev/shm/stockade-digest-cache-" + std::to_string(getpid());
  copy_file(PROBE_ORIGINAL, path);
  struct Unlink {
    std::string p;
    ~Unlink() { ::unlink(p.c_str()); }
  } unlink_at_end{path};
  auto fd = open_read(path);
  const struct stat before = stat_of(fd.get());
  std::this_thread::sleep_for(30ms);
  {
    UniqueFd rw(::open(path.c_str(), O_RDWR | O_CLOEXEC));
    ASSERT_TRUE(rw);
    void* map = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, rw.get(), 0);
    ASSERT_NE(map, MAP_FAILED);
    auto* bytes = static_cast<volatile unsigned char*>(map);
    const unsigned char first = bytes[100];  // read first: the page is mapped writable at once
    bytes[100] = static_cast<unsigned char>(first ^ 0xff);
    ASSERT_EQ(munmap(map, 4096), 0);
  }
  const struct stat after = stat_of(fd.get());
  // Informational: a kernel that moved the times here would not make the
  // rule wrong, so the demonstration is printed, not asserted.
  if (!same_time(before.st_ctim, after.st_ctim) || !same_time(before.st_mtim, after.st_mtim)) {
    std::printf("note: this kernel moved tmpfs times on a mapped write\n");
  } else {
    std::printf("shown: a mapped write on tmpfs left mtime and ctime as they were\n");
  }
  DigestCache cache(16, 0ns);
  cache.remember(fd.get(), after, kSomeDigest, later_by(1s), true);
  EXPECT_EQ(cache.size(), 0u);
}

TEST_F(ACopiedProbe, RecordsNothingWhenNobodyCouldSayThereWasNoWriter) {
  // Without the read lease's answer, a writer's already dirty page could
  // change bytes after the hash without moving a timestamp.
  record(false);
  EXPECT_EQ(cache.size(), 0u);
  record();
  EXPECT_EQ(cache.size(), 1u);
}

TEST(DigestCache, ABinaryWhoseWriterCheckWasSkippedIsNotRecorded) {
  // A binary owned by root opened by another user: the read lease cannot be
  // asked (not the owner, no CAP_LEASE), so the open says no writer was
  // seen, and nothing is recorded. As root: a root-owned copy in a folder
  // uid 65534 may read, recorded when root verifies it (the control) and
  // not when uid 65534 does, in a child. As another user: /usr/bin/true.
  std::string binary = "/usr/bin/true";
  std::string folder;
  if (geteuid() == 0) {
    char tmpl[] = "/tmp/stockade-digest-lease-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    folder = tmpl;
    ASSERT_EQ(::chmod(folder.c_str(), 0755), 0);
    binary = folder + "/probe";
    copy_file(PROBE_ORIGINAL, binary);
    std::this_thread::sleep_for(30ms);
  }
  struct Remove {
    std::string file, dir;
    ~Remove() {
      if (!dir.empty()) {
        ::unlink(file.c_str());
        ::rmdir(dir.c_str());
      }
    }
  } remove_at_end{binary, folder};
  auto list = Whitelist::parse(to_hex(sha256_of_path(binary)) + "  probe\n", "test");
  ASSERT_TRUE(list.ok());
  if (geteuid() == 0) {
    DigestCache cache(16, 0ns);
    auto opened = OpenedBinary::open(binary);
    ASSERT_TRUE(opened.ok()) << opened.error().message();
    EXPECT_TRUE(opened->no_writer_seen());
    ASSERT_TRUE(VerifiedBinary::verify(std::move(*opened), "probe", *list, &cache).ok());
    ASSERT_EQ(cache.size(), 1u) << binary << " was not recorded as root: the control is moot";
  }
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (geteuid() == 0) {
      if (setgroups(0, nullptr) != 0 || setresgid(65534, 65534, 65534) != 0 ||
          setresuid(65534, 65534, 65534) != 0) {
        _exit(10);
      }
    }
    auto opened = OpenedBinary::open(binary);
    if (!opened.ok()) _exit(11);
    if (opened->no_writer_seen()) _exit(12);
    DigestCache cache(16, 0ns);
    if (!VerifiedBinary::verify(std::move(*opened), "probe", *list, &cache).ok()) _exit(13);
    _exit(cache.size() == 0 ? 0 : 14);
  }
  EXPECT_EQ(exit_status_of(child), 0) << "10: cannot become uid 65534; 11: cannot open; 12: the "
                                       "open said no writer was seen; 13: refused; 14: recorded";
}

TEST_F(ACopiedProbe, KeysOnTheMountSoTheSameInodeElsewhereIsAnotherEntry) {
  // Another filesystem mounted where one was (a new image on the same loop
  // device) can show the same device, inode, size and times; its mount id
  // is new. Shown with a bind mount of the scratch folder, in a child with
  // mount and user namespaces of its own: the same inode, another mount.
  ASSERT_EQ(::mkdir((dir / "elsewhere").c_str(), 0700), 0);
  record();
  ASSERT_EQ(cache.size(), 1u) << "not recorded: the scratch folder " << dir.path()
                              << " must be on ext4 or XFS on a local disk";
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const int flags = geteuid() == 0 ? CLONE_NEWNS : CLONE_NEWUSER | CLONE_NEWNS;
    if (unshare(flags) != 0) _exit(10);
    if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) _exit(11);
    if (mount(dir.path().c_str(), (dir / "elsewhere").c_str(), nullptr, MS_BIND, nullptr) != 0) {
      _exit(12);
    }
    UniqueFd other(::open((dir / "elsewhere/probe").c_str(), O_RDONLY | O_CLOEXEC));
    if (!other) _exit(13);
    struct stat st {};
    if (fstat(other.get(), &st) != 0) _exit(14);
    const struct stat here = stat_of(fd.get());
    if (st.st_ino != here.st_ino || st.st_dev != here.st_dev) _exit(15);
    if (!cache.has(fd.get(), here)) _exit(16);       // the mount it was recorded on
    _exit(cache.has(other.get(), st) ? 17 : 0);     // the same inode through another mount
  }
  EXPECT_EQ(exit_status_of(child), 0) << "10-14: setup failed; 15: not the same inode; 16: the "
                                       "entry was lost; 17: another mount found the entry";
}

TEST(DigestCache, ALoopDeviceIsNotALocalDisk) {
  // A loop device's bytes are a file's, which can change under the mounted
  // filesystem without its inodes knowing; likewise zram and nbd (virtual).
  EXPECT_FALSE(is_local_disk(makedev(7, 0)));
  EXPECT_FALSE(is_local_disk(makedev(43, 0)));  // nbd0
  // The scratch folder's disk, where the tests above record entries.
  ScratchDir dir;
  struct stat st {};
  ASSERT_EQ(::stat(dir.path().c_str(), &st), 0);
  EXPECT_TRUE(is_local_disk(st.st_dev)) << dir.path() << " is on " << major(st.st_dev) << ":"
                                        << minor(st.st_dev) << ", not a disk this test knows";
}

TEST(DigestCache, HoldsAtMostItsCapacityAndDropsTheFirstMade) {
  ScratchDir dir;
  DigestCache cache(2, 0ns);
  std::vector<UniqueFd> fds;
  for (const char* name : {"a", "b", "c"}) {
    copy_file(PROBE_ORIGINAL, dir / name);
    fds.push_back(open_read(dir / name));
    cache.remember(fds.back().get(), stat_of(fds.back().get()), kSomeDigest, later_by(1s), true);
  }
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_FALSE(cache.has(fds[0].get(), stat_of(fds[0].get())));
  EXPECT_TRUE(cache.has(fds[1].get(), stat_of(fds[1].get())));
  EXPECT_TRUE(cache.has(fds[2].get(), stat_of(fds[2].get())));
}

// --- behind VerifiedBinary::verify ---------------------------------------------

class VerifyWithDigestCache : public ::testing::Test {
 protected:
  void SetUp() override {
    copy_file(PROBE_ORIGINAL, dir_ / "probe");
    auto list = Whitelist::parse(to_hex(sha256_of_path(dir_ / "probe")) + "  probe\n", "test");
    ASSERT_TRUE(list.ok());
    list_ = std::move(list).value();
    // The file's last change one tick behind, so a settle time of 0 holds.
    std::this_thread::sleep_for(30ms);
  }
  Result<VerifiedBinary> verify() {
    auto opened = OpenedBinary::open(dir_ / "probe");
    if (!opened) return std::move(opened).error();
    return VerifiedBinary::verify(std::move(*opened), "probe", list_, &cache_);
  }
  ScratchDir dir_;
  Whitelist list_;
  DigestCache cache_{16, 0ns};
};

TEST_F(VerifyWithDigestCache, TheSecondVerificationTakesTheRecordedDigestAndStillRuns) {
  auto first = verify();
  ASSERT_TRUE(first.ok()) << first.error().message();
  EXPECT_EQ(cache_.size(), 1u);
  EXPECT_EQ(cache_.hits(), 0u);
  auto second = verify();
  ASSERT_TRUE(second.ok()) << second.error().message();
  EXPECT_EQ(cache_.hits(), 1u);
  EXPECT_TRUE(digests_equal(second->digest(), first->digest()));
  EXPECT_EQ(testing_support::run_fd(second->fd()), "original\n");
}

TEST_F(VerifyWithDigestCache, ABinaryRewrittenInPlaceIsHashedAgainAndRefused) {
  ASSERT_TRUE(verify().ok());
  ASSERT_EQ(cache_.size(), 1u);
  flip_a_byte(dir_ / "probe", 200);
  auto again = verify();
  ASSERT_FALSE(again.ok()) << "a changed binary was vouched for by its old digest";
  EXPECT_EQ(again.error().code, Errc::refused);
  EXPECT_NE(again.error().message().find("not whitelisted"), std::string::npos)
      << again.error().message();
  EXPECT_EQ(cache_.hits(), 0u);
}

TEST_F(VerifyWithDigestCache, ABinaryUnpinnedSinceIsRefusedDespiteItsRecordedDigest) {
  ASSERT_TRUE(verify().ok());
  auto other = Whitelist::parse(to_hex(sha256_of_path(PROBE_REPLACEMENT)) + "  probe\n", "test");
  ASSERT_TRUE(other.ok());
  list_ = std::move(other).value();
  auto again = verify();
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, Errc::refused);
  EXPECT_EQ(cache_.hits(), 1u);  // the digest came from the cache; the whitelist said no
}

TEST_F(VerifyWithDigestCache, ABinaryMadeWritableByEveryoneIsRefusedDespiteItsRecordedDigest) {
  ASSERT_TRUE(verify().ok());
  ASSERT_EQ(::chmod((dir_ / "probe").c_str(), 0757), 0);
  auto again = verify();
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().message().find("writable by every user"), std::string::npos)
      << again.error().message();
}

}  // namespace
}  // namespace stockade
