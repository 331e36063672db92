// Hostile: the filesystem view. Granted read-only paths that a local user
// races (a folder swapped for a symlink while sandboxes start), the host's
// /dev nodes, and what the plugin learns of its binary's host path.
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "tests/hostile/hostile_fixture.h"
#include "tests/support/temp_dir.h"

namespace stockade::hostile {
namespace {

// A local user who can write below a granted prefix exchanges, in a loop, a
// folder (marker "inside") with a symlink to a folder outside every granted
// prefix (marker "outside") while sandboxes are launched with the folder
// granted. The path is checked and bound as one open with no symlink
// followed, so a launch either binds the folder or is refused ("contains a
// symbolic link"); none ever reads the outside marker. (Before: realpath in
// the supervisor, then an open following symlinks in the child; 43 of 200
// launches by hand got the outside folder.)
TEST_F(Hostile, GrantedFolderSwappedForASymlinkNeverLeadsOutside) {
  // World-readable: the unprivileged run reads them as uid 65534.
  stockade::testing::TempDir granted("stockade-granted-", 0755);
  stockade::testing::TempDir outside("stockade-outside-", 0755);
  stockade::testing::write_file(outside.file("marker"), "outside", 0644);
  const std::string swap = granted.file("swap");
  const std::string link = granted.file("link");
  ASSERT_EQ(::mkdir(swap.c_str(), 0755), 0);
  stockade::testing::write_file(swap + "/marker", "inside", 0644);
  ASSERT_EQ(::symlink(outside.path().c_str(), link.c_str()), 0);

  std::atomic<bool> stop{false};
  std::atomic<long> exchanges{0};
  std::thread swapper([&] {
    while (!stop.load(std::memory_order_relaxed)) {
      if (::renameat2(AT_FDCWD, swap.c_str(), AT_FDCWD, link.c_str(), RENAME_EXCHANGE) == 0)
        exchanges.fetch_add(1, std::memory_order_relaxed);
    }
  });
  // Stopped and joined on every way out, a failed ASSERT's included.
  struct StopSwapper {
    std::atomic<bool>& stop;
    std::thread& thread;
    ~StopSwapper() {
      stop = true;
      if (thread.joinable()) thread.join();
    }
  } stop_swapper{stop, swapper};

  int bound = 0, refused = 0;
  // Bounded by count and by a few seconds of wall time (not an assertion).
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(4);
  for (int i = 0; i < 150 && std::chrono::steady_clock::now() < until; ++i) {
    ProbeRequest request;
    request.probe = "granted_marker";
    request.args = {swap + "/marker"};
    request.policy.readonly_paths = {swap};
    request.policy.readonly_prefixes = {granted.path()};
    ProbeRun result = run_probe(request);
    EXPECT_TRUE(result.leftover_processes.empty()) << result.summary();
    if (!result.spawned) {
      EXPECT_NE(result.spawn_error.find("sandbox step bind " + swap + ": contains a symbolic link"),
                std::string::npos)
          << result.spawn_error;
      ++refused;
      continue;
    }
    ASSERT_NE(result.output, "marker outside\n") << "launch " << i << " bound the outside folder";
    EXPECT_EQ(result.output, "marker inside\n") << result.summary();
    ++bound;
  }
  stop = true;
  swapper.join();
  EXPECT_GT(exchanges.load(), 0);
  EXPECT_GT(bound + refused, 0);
  std::printf("race: %d launches bound the folder, %d were refused, %ld exchanges\n", bound,
              refused, exchanges.load());
}

// The host's /dev/null is bound into every sandbox: writing to it is fine,
// touching the host inode (times, mode) is not.
TEST_F(Hostile, HostDeviceNodesCannotBeRetouched) {
  struct stat before;
  ASSERT_EQ(::stat("/dev/null", &before), 0);
  expect_blocked(run("dev_node_times"),
                 "write /dev/null: ok, utimensat /dev/null: EROFS, utimensat /dev/zero: EROFS, "
                 "utimensat /dev/urandom: EROFS, chmod /dev/null: EROFS");
  struct stat after;
  ASSERT_EQ(::stat("/dev/null", &after), 0);
  EXPECT_EQ(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
  EXPECT_EQ(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
  EXPECT_EQ(after.st_atim.tv_sec, before.st_atim.tv_sec);
  EXPECT_EQ(after.st_atim.tv_nsec, before.st_atim.tv_nsec);
  EXPECT_EQ(after.st_mode, before.st_mode);
}

// The verified inode is bound at /run/stockade/plugin and exec'd from there:
// the plugin's /proc/self/exe does not tell where the binary lives on the host.
TEST_F(Hostile, ProcSelfExeNamesThePathInsideNotTheHostPath) {
  expect_blocked(run("proc_self_exe"), "exe /run/stockade/plugin");
}

}  // namespace
}  // namespace stockade::hostile
