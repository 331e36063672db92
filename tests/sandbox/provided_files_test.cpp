// Policy::provided_files: sealed memfds provided at their relative paths under
// one read-only folder (an interpreted plugin's script and files), copied by
// the child from the fds before pivot_root. Root and unprivileged, like the
// whole suite.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>

#include "base/unique_fd.h"
#include "tests/sandbox/sandbox_fixture.h"

namespace stockade::sandbox::test {
namespace {

UniqueFd sealed(const std::string& content) {
  UniqueFd fd(::memfd_create("provided-test", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  EXPECT_TRUE(fd);
  EXPECT_EQ(::write(fd.get(), content.data(), content.size()),
            static_cast<ssize_t>(content.size()));
  EXPECT_EQ(::fcntl(fd.get(), F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK), 0);
  return fd;
}

TEST(SandboxProvidedFiles, AppearAtTheirRelativePathsWithTheSealedContent) {
  const std::string module(100000, 'm');
  UniqueFd script = sealed("print('pinned')\n");
  UniqueFd lib = sealed(module);
  UniqueFd empty = sealed("");
  Policy policy = policy_for({"sandbox_probe", "cat", "/run/stockade/app/main.py"});
  policy.provided_folder = "/run/stockade/app";
  policy.provided_files = {{"main.py", script.get(), 16},
                           {"lib/deep/mod.py", lib.get(), module.size()},
                           {"lib/empty", empty.get(), 0}};
  SandboxRun main = run_sandboxed(policy);
  ASSERT_TRUE(main.status) << main.status.error().message();
  EXPECT_EQ(main.output, "print('pinned')\n");

  policy.argv = {"sandbox_probe", "cat", "/run/stockade/app/lib/deep/mod.py"};
  SandboxRun deep = run_sandboxed(policy);
  ASSERT_TRUE(deep.status) << deep.status.error().message();
  EXPECT_EQ(deep.output, module);

  policy.argv = {"sandbox_probe", "ls", "/run/stockade/app/lib"};
  SandboxRun listing = run_sandboxed(policy);
  ASSERT_TRUE(listing.status) << listing.status.error().message();
  EXPECT_NE(listing.output.find("deep\n"), std::string::npos) << listing.output;
  EXPECT_NE(listing.output.find("empty\n"), std::string::npos) << listing.output;
}

TEST(SandboxProvidedFiles, TheFolderIsReadOnlyToThePlugin) {
  UniqueFd script = sealed("x = 1\n");
  Policy policy = policy_for({"sandbox_probe", "write", "/run/stockade/app/main.py"});
  policy.provided_folder = "/run/stockade/app";
  policy.provided_files = {{"main.py", script.get(), 6}};
  SandboxRun overwrite = run_sandboxed(policy);
  ASSERT_TRUE(overwrite.status) << overwrite.status.error().message();
  EXPECT_NE(overwrite.output.find("Read-only file system"), std::string::npos) << overwrite.output;

  policy.argv = {"sandbox_probe", "write", "/run/stockade/app/new.py"};
  SandboxRun create = run_sandboxed(policy);
  ASSERT_TRUE(create.status) << create.status.error().message();
  EXPECT_NE(create.output.find("Read-only file system"), std::string::npos) << create.output;
}

TEST(SandboxProvidedFiles, EscapingPathsAreRefusedBeforeAnythingStarts) {
  UniqueFd script = sealed("x = 1\n");
  Policy policy = policy_for({"sandbox_probe", "exit", "0"});
  policy.provided_folder = "/run/stockade/app";
  for (const char* bad : {"../etc/passwd", "/abs", "a//b", "a/./b", ""}) {
    policy.provided_files = {{bad, script.get(), 6}};
    SandboxRun run = run_sandboxed(policy);
    EXPECT_FALSE(run.status) << bad;
  }
}

}  // namespace
}  // namespace stockade::sandbox::test
