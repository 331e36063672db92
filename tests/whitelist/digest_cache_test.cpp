// DigestCache, alone and behind VerifiedBinary::verify: a digest stands for
// a hash only while the file is the one hashed, unchanged, last changed long
// enough before the hash, and on a filesystem only this kernel writes.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

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

const Sha256Digest kSomeDigest{1, 2, 3};

TEST(DigestCache, AnswersForTheFileItRecordedAndCountsTheHit) {
  ScratchDir dir;
  copy_file(PROBE_ORIGINAL, dir / "probe");
  auto fd = open_read(dir / "probe");
  DigestCache cache(16, 0ns);
  EXPECT_FALSE(cache.find(stat_of(fd.get())));
  cache.remember(fd.get(), stat_of(fd.get()), kSomeDigest, later_by(1s));
  EXPECT_TRUE(cache.has(stat_of(fd.get())));
  EXPECT_EQ(cache.hits(), 0u);
  auto found = cache.find(stat_of(fd.get()));
  ASSERT_TRUE(found);
  EXPECT_TRUE(digests_equal(*found, kSomeDigest));
  EXPECT_EQ(cache.hits(), 1u);
}

TEST(DigestCache, DoesNotRecordAFileChangedTooShortlyBeforeItsHash) {
  // Just written, hashed now: a second write in the same timestamp tick
  // would leave the same ctime, so nothing may be recorded.
  ScratchDir dir;
  copy_file(PROBE_ORIGINAL, dir / "probe");
  auto fd = open_read(dir / "probe");
  DigestCache cache;  // the default settle time, 5 s
  cache.remember(fd.get(), stat_of(fd.get()), kSomeDigest, realtime_now());
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_FALSE(cache.find(stat_of(fd.get())));
  // Hashed 6 s after its last change: recorded.
  cache.remember(fd.get(), stat_of(fd.get()), kSomeDigest, later_by(6s));
  EXPECT_EQ(cache.size(), 1u);
}

TEST(DigestCache, AnyWriteToTheFileMakesItsEntryUseless) {
  ScratchDir dir;
  copy_file(PROBE_ORIGINAL, dir / "probe");
  auto fd = open_read(dir / "probe");
  DigestCache cache(16, 0ns);
  const struct stat before = stat_of(fd.get());
  cache.remember(fd.get(), before, kSomeDigest, later_by(1s));
  ASSERT_TRUE(cache.has(before));
  // Past one tick of the timestamps' coarse clock (at most 10 ms).
  std::this_thread::sleep_for(30ms);
  flip_a_byte(dir / "probe", 100);
  const struct stat after = stat_of(fd.get());
  EXPECT_EQ(after.st_ino, before.st_ino);
  EXPECT_EQ(after.st_size, before.st_size);
  EXPECT_FALSE(cache.has(after));
  EXPECT_FALSE(cache.find(after));
}

TEST(DigestCache, ALinkOrAChmodMakesItsEntryUselessToo) {
  // Neither changes a byte, but both move the ctime: the cache cannot tell
  // them from a change of content, so it hashes again (which is cheap to be
  // wrong about, unlike the other way round).
  ScratchDir dir;
  copy_file(PROBE_ORIGINAL, dir / "probe");
  auto fd = open_read(dir / "probe");
  DigestCache cache(16, 0ns);
  cache.remember(fd.get(), stat_of(fd.get()), kSomeDigest, later_by(1s));
  std::this_thread::sleep_for(30ms);
  ASSERT_EQ(::link((dir / "probe").c_str(), (dir / "again").c_str()), 0);
  EXPECT_FALSE(cache.has(stat_of(fd.get())));
  cache.remember(fd.get(), stat_of(fd.get()), kSomeDigest, later_by(1s));
  ASSERT_TRUE(cache.has(stat_of(fd.get())));
  std::this_thread::sleep_for(30ms);
  ASSERT_EQ(::fchmod(fd.get(), 0700), 0);
  EXPECT_FALSE(cache.has(stat_of(fd.get())));
}

TEST(DigestCache, RecordsNothingFromAFilesystemItsKernelDoesNotWriteAlone) {
  // procfs stands for the filesystems whose bytes can change without the
  // ctime moving here (network, FUSE, overlay): never recorded.
  auto fd = open_read("/proc/self/status");
  DigestCache cache(16, 0ns);
  cache.remember(fd.get(), stat_of(fd.get()), kSomeDigest, later_by(1s));
  EXPECT_EQ(cache.size(), 0u);
}

TEST(DigestCache, HoldsAtMostItsCapacityAndDropsTheFirstMade) {
  ScratchDir dir;
  DigestCache cache(2, 0ns);
  std::vector<UniqueFd> fds;
  for (const char* name : {"a", "b", "c"}) {
    copy_file(PROBE_ORIGINAL, dir / name);
    fds.push_back(open_read(dir / name));
    cache.remember(fds.back().get(), stat_of(fds.back().get()), kSomeDigest, later_by(1s));
  }
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_FALSE(cache.has(stat_of(fds[0].get())));
  EXPECT_TRUE(cache.has(stat_of(fds[1].get())));
  EXPECT_TRUE(cache.has(stat_of(fds[2].get())));
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
