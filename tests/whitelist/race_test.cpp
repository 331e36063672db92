// The race the design is about: verify a file, replace its path, run the
// VerifiedBinary. What runs must be what was verified.
#include <stdio.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "test_files.h"
#include "whitelist/whitelist.h"

namespace stockade {
namespace {

using testing_support::copy_file;
using testing_support::run_fd;
using testing_support::ScratchDir;
using testing_support::sha256_of_path;

class RenameOverRace : public ::testing::TestWithParam<bool> {};

TEST_P(RenameOverRace, TheVerifiedContentRunsAfterAnotherFileIsRenamedOverItsPath) {
  const bool use_fexecve = GetParam();
  ScratchDir dir;
  copy_file(PROBE_ORIGINAL, dir / "plugin");
  auto list = Whitelist::parse(to_hex(sha256_of_path(PROBE_ORIGINAL)) + "  plugin\n", "test");
  ASSERT_TRUE(list.ok());

  auto binary = VerifiedBinary::verify(dir / "plugin", "plugin", *list);
  ASSERT_TRUE(binary.ok()) << binary.error().message();

  // The attacker's move: a different binary atomically takes over the path.
  copy_file(PROBE_REPLACEMENT, dir / "plugin.new");
  ASSERT_EQ(rename((dir / "plugin.new").c_str(), (dir / "plugin").c_str()), 0);
  ASSERT_EQ(testing_support::read_file(dir / "plugin"),
            testing_support::read_file(PROBE_REPLACEMENT));

  EXPECT_EQ(run_fd(binary->fd(), use_fexecve), "original\n");
  // Running it again still runs the verified content: the fd is reusable.
  EXPECT_EQ(run_fd(binary->fd(), use_fexecve), "original\n");

  // And the replacement, checked by its path, is refused.
  auto replaced = VerifiedBinary::verify(dir / "plugin", "plugin", *list);
  ASSERT_FALSE(replaced.ok());
  EXPECT_EQ(replaced.error().code, Errc::refused);
}

TEST_P(RenameOverRace, TheVerifiedContentRunsAfterThePathIsUnlinked) {
  const bool use_fexecve = GetParam();
  ScratchDir dir;
  copy_file(PROBE_ORIGINAL, dir / "plugin");
  auto list = Whitelist::parse(to_hex(sha256_of_path(PROBE_ORIGINAL)) + "  plugin\n", "test");
  ASSERT_TRUE(list.ok());
  auto binary = VerifiedBinary::verify(dir / "plugin", "plugin", *list);
  ASSERT_TRUE(binary.ok()) << binary.error().message();
  ASSERT_EQ(unlink((dir / "plugin").c_str()), 0);
  EXPECT_EQ(run_fd(binary->fd(), use_fexecve), "original\n");
}

INSTANTIATE_TEST_SUITE_P(ExecveatAndFexecve, RenameOverRace, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& param_info) {
                           return param_info.param ? "fexecve" : "execveat";
                         });

}  // namespace
}  // namespace stockade
