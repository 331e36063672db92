// Hostile: resource bombs. Each ends at the policy's limit (HostileLimits),
// never at the host's. As root the cgroup adds its limits on top of the
// rlimits; unprivileged there is no usable cgroup and the rlimits alone hold,
// which is what these tests assert in both cases.
#include <signal.h>

#include <string>

#include <gtest/gtest.h>

#include "tests/hostile/hostile_fixture.h"

namespace stockade::hostile {
namespace {

TEST_F(Hostile, ForkBombStopsBelowTheProcessLimit) {
  ProbeRun result = run("fork_bomb", {std::to_string(HostileLimits::processes)});
  expect_exit(result, kBlocked);
  long forks = number_after(result.output, "after");
  EXPECT_GE(forks, 1) << result.summary();
  EXPECT_LT(forks, HostileLimits::processes) << result.summary();
  EXPECT_NE(result.output.find("children: EAGAIN"), std::string::npos) << result.summary();
}

TEST_F(Hostile, ThreadBombStopsBelowTheProcessLimit) {
  ProbeRun result = run("thread_bomb", {std::to_string(HostileLimits::processes)});
  expect_exit(result, kBlocked);
  long threads = number_after(result.output, "after");
  EXPECT_GE(threads, 1) << result.summary();
  EXPECT_LT(threads, HostileLimits::processes) << result.summary();
  EXPECT_NE(result.output.find("threads: EAGAIN"), std::string::npos) << result.summary();
}

TEST_F(Hostile, MemoryBombStopsBelowTheMemoryLimit) {
  ProbeRun result = run("memory_bomb", {std::to_string(HostileLimits::memory)});
  expect_exit(result, kBlocked);
  long mib = number_after(result.output, "after");
  EXPECT_GE(mib, 1) << result.summary();
  EXPECT_LT(mib, static_cast<long>(HostileLimits::memory / sandbox::kMiB)) << result.summary();
  EXPECT_NE(result.output.find("MiB: ENOMEM"), std::string::npos) << result.summary();
}

TEST_F(Hostile, CpuSpinIsEndedByTheCpuLimit) {
  ProbeRun result = run("cpu_spin");
  EXPECT_EQ(result.status.kind, Kind::cpu_limit) << result.summary();
  EXPECT_EQ(result.status.signal, SIGXCPU) << result.summary();
}

TEST_F(Hostile, FileSizeBombIsEndedByTheFileSizeLimit) {
  ProbeRequest request;
  request.probe = "file_size_bomb";
  request.args = {std::to_string(HostileLimits::file_size)};
  // /tmp larger than the file size limit, so RLIMIT_FSIZE is what stops it.
  request.policy.tmp_bytes = 4 * HostileLimits::file_size;
  ProbeRun result = run(request);
  EXPECT_EQ(result.status.kind, Kind::file_size_limit) << result.summary();
  EXPECT_EQ(result.status.signal, SIGXFSZ) << result.summary();
}

TEST_F(Hostile, TmpFillStopsAtTheTmpSize) {
  ProbeRun result = run("tmp_fill", {std::to_string(HostileLimits::tmp)});
  expect_exit(result, kBlocked);
  long written = number_after(result.output, "after");
  EXPECT_GE(written, 1) << result.summary();
  EXPECT_LE(written, static_cast<long>(HostileLimits::tmp)) << result.summary();
  EXPECT_NE(result.output.find("bytes: ENOSPC"), std::string::npos) << result.summary();
}

TEST_F(Hostile, FdExhaustionStopsBelowTheOpenFilesLimit) {
  ProbeRun result = run("fd_exhaustion", {std::to_string(HostileLimits::open_files)});
  expect_exit(result, kBlocked);
  long opened = number_after(result.output, "after");
  EXPECT_GE(opened, 1) << result.summary();
  EXPECT_LT(opened, HostileLimits::open_files) << result.summary();
  EXPECT_NE(result.output.find("files: EMFILE"), std::string::npos) << result.summary();
}

}  // namespace
}  // namespace stockade::hostile
