// The hasher agrees with the published SHA-256 test vectors and with itself
// however the input is split; reading a file leaves its offset alone.
#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "base/unique_fd.h"
#include "test_files.h"
#include "whitelist/sha256.h"

namespace stockade {
namespace {

using testing_support::ScratchDir;
using testing_support::write_file;

std::span<const uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

std::string hash_string(const std::string& s) {
  auto hasher = Sha256Hasher::create();
  EXPECT_TRUE(hasher.ok());
  EXPECT_TRUE(hasher->update(bytes_of(s)).ok());
  auto digest = hasher->finish();
  EXPECT_TRUE(digest.ok());
  return to_hex(*digest);
}

TEST(Sha256, MatchesPublishedVectors) {
  EXPECT_EQ(hash_string(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(hash_string("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hash_string("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

// The host's openssl.cnf must not decide whether we can hash (or how): a
// config that activates only the null provider would leave no SHA256 to
// fetch if it were read. A death test in the "threadsafe" style re-executes
// this binary, so OpenSSL starts uninitialised with OPENSSL_CONF set.
TEST(Sha256, HostOpensslConfigIsNotRead) {
  ScratchDir dir;
  const std::string conf = dir.path() + "/openssl.cnf";
  write_file(conf,
             "openssl_conf = openssl_init\n[openssl_init]\nproviders = provider_sect\n"
             "[provider_sect]\nnull = null_sect\n[null_sect]\nactivate = 1\n");
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        setenv("OPENSSL_CONF", conf.c_str(), 1);
        const bool same = hash_string("abc") ==
                          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        std::_Exit(same ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

TEST(Sha256, SplitUpdatesEqualOneUpdateAndFinishStartsOver) {
  const std::string text(100000, 'x');
  auto hasher = Sha256Hasher::create();
  ASSERT_TRUE(hasher.ok());
  for (size_t i = 0; i < text.size(); i += 777) {
    ASSERT_TRUE(hasher->update(bytes_of(text.substr(i, 777))).ok());
  }
  auto split = hasher->finish();
  ASSERT_TRUE(split.ok());
  EXPECT_EQ(to_hex(*split), hash_string(text));
  // After finish() the hasher is fresh again.
  ASSERT_TRUE(hasher->update(bytes_of("abc")).ok());
  EXPECT_EQ(to_hex(*hasher->finish()), hash_string("abc"));
}

TEST(Sha256, OfFdStreamsAFileLargerThanOneBlockAndKeepsTheOffset) {
  ScratchDir dir;
  std::string content;
  for (size_t i = 0; content.size() < 3 * 1024 * 1024 + 17; ++i) content += std::to_string(i);
  write_file(dir / "big", content);
  UniqueFd fd(open((dir / "big").c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(fd.valid());
  ASSERT_EQ(lseek(fd.get(), 12345, SEEK_SET), 12345);
  uint64_t hashed = 0;
  auto digest = sha256_of_fd(fd.get(), &hashed);
  ASSERT_TRUE(digest.ok()) << digest.error().message();
  EXPECT_EQ(to_hex(*digest), hash_string(content));
  EXPECT_EQ(hashed, content.size());
  EXPECT_EQ(lseek(fd.get(), 0, SEEK_CUR), 12345);
}

TEST(Sha256, OfFdHashesEmptyAndSmallFilesWhole) {
  // The read buffer is sized to a small file: an empty file, one of a few
  // bytes and one just under a block all hash whole.
  ScratchDir dir;
  for (const std::string& content : {std::string(), std::string("abc"), std::string(1024 * 1024 - 1, 'y')}) {
    write_file(dir / "small", content);
    UniqueFd fd(open((dir / "small").c_str(), O_RDONLY | O_CLOEXEC));
    ASSERT_TRUE(fd.valid());
    uint64_t hashed = 0;
    auto digest = sha256_of_fd(fd.get(), &hashed);
    ASSERT_TRUE(digest.ok()) << digest.error().message();
    EXPECT_EQ(to_hex(*digest), hash_string(content));
    EXPECT_EQ(hashed, content.size());
  }
}

TEST(Sha256, OfFdFailsOnAPipeWithErrno) {
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  UniqueFd r(p[0]), w(p[1]);
  auto digest = sha256_of_fd(r.get());
  ASSERT_FALSE(digest.ok());
  EXPECT_EQ(digest.error().sys_errno, ESPIPE);
}

TEST(Sha256, HexRoundTripsAndParseRefusesUppercaseAndWrongLength) {
  const std::string hex = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  auto digest = parse_digest(hex);
  ASSERT_TRUE(digest.ok());
  EXPECT_EQ(to_hex(*digest), hex);
  std::string upper = hex;
  upper[0] = 'B';
  EXPECT_FALSE(parse_digest(upper).ok());
  EXPECT_FALSE(parse_digest(hex.substr(1)).ok());
  EXPECT_FALSE(parse_digest(hex + "0").ok());
  EXPECT_FALSE(parse_digest(std::string(64, 'g')).ok());
}

TEST(Sha256, DigestsEqualComparesEveryByte) {
  Sha256Digest a{};
  Sha256Digest b{};
  EXPECT_TRUE(digests_equal(a, b));
  b[31] = 1;
  EXPECT_FALSE(digests_equal(a, b));
  b[31] = 0;
  b[0] = 0x80;
  EXPECT_FALSE(digests_equal(a, b));
}

}  // namespace
}  // namespace stockade
