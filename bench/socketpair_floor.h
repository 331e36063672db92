// The floor most benchmarks here compare against: round trips of `size`
// bytes over one AF_UNIX socketpair to a forked child that echoes them,
// `depth` messages in flight (written in one write, as a pipelining client
// would). What the kernel costs, with no framing, no sandbox and warm
// buffers on both sides.
#pragma once

#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "bench/bench_stats.h"

namespace stockade::bench {

// All of [p, p + n) written or read; false at end of stream or on an error.
inline bool full_io(bool write_side, int fd, std::uint8_t* p, std::size_t n) {
  while (n > 0) {
    const ssize_t r = write_side ? ::write(fd, p, n) : ::read(fd, p, n);
    if (r <= 0) return false;
    p += r;
    n -= static_cast<std::size_t>(r);
  }
  return true;
}

// Where the floor's two processes run. Left to the scheduler, the floor has
// two modes: both on one CPU, a round trip is two context switches there;
// on two CPUs, each message wakes the other, which on virtual machines often
// means waking an idle vCPU (3 us against 50-70 us on one guest). The
// pinned placements measure each mode on purpose.
enum class Placement { free, one_cpu, two_cpus };

// The CPU sets for the floor's two processes under a pinned `placement`,
// taken from the CPUs this process may run on; false if there are too few.
inline bool cpus_for(Placement placement, cpu_set_t& parent, cpu_set_t& child) {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  CPU_ZERO(&parent);
  CPU_ZERO(&child);
  if (::sched_getaffinity(0, sizeof allowed, &allowed) != 0) return false;
  int first = -1, second = -1;
  for (int cpu = 0; cpu < CPU_SETSIZE && second < 0; ++cpu) {
    if (!CPU_ISSET(cpu, &allowed)) continue;
    (first < 0 ? first : second) = cpu;
  }
  if (first < 0 || (placement == Placement::two_cpus && second < 0)) return false;
  CPU_SET(first, &parent);
  CPU_SET(placement == Placement::one_cpu ? first : second, &child);
  return true;
}

// Round trips per second (messages, not batches); 0 if `placement` is
// impossible here (two_cpus on one CPU). Exits the benchmark if the floor
// itself cannot be measured.
inline double socketpair_round_trips_per_s(std::size_t size, int depth, int rounds,
                                           Placement placement = Placement::free) {
  const bool pinned = placement != Placement::free;
  cpu_set_t before, mine, theirs;
  if (pinned) {
    if (::sched_getaffinity(0, sizeof before, &before) != 0 || !cpus_for(placement, mine, theirs) ||
        ::sched_setaffinity(0, sizeof mine, &mine) != 0) {
      return 0;
    }
  }
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    std::perror("bench: socketpair for the floor");
    std::exit(1);
  }
  std::vector<std::uint8_t> buf(size * static_cast<std::size_t>(depth), 0x5a);
  const pid_t child = ::fork();
  if (child < 0) {
    std::perror("bench: fork for the floor");
    std::exit(1);
  }
  if (child == 0) {
    // Pinned before it reads; failing that, it runs where it may (a
    // cgroup's cpuset can refuse the set): the figure is then the free one.
    if (pinned) (void)::sched_setaffinity(0, sizeof theirs, &theirs);
    ::close(sv[0]);
    while (full_io(false, sv[1], buf.data(), buf.size()) && full_io(true, sv[1], buf.data(), buf.size())) {
    }
    ::_exit(0);
  }
  ::close(sv[1]);
  const auto start = std::chrono::steady_clock::now();
  bool ok = true;
  for (int i = 0; i < rounds && ok; ++i) {
    ok = full_io(true, sv[0], buf.data(), buf.size()) && full_io(false, sv[0], buf.data(), buf.size());
  }
  const double elapsed = seconds_since(start);
  ::close(sv[0]);
  ::waitpid(child, nullptr, 0);
  if (pinned) (void)::sched_setaffinity(0, sizeof before, &before);
  if (!ok) {
    std::fprintf(stderr, "bench: the floor's echo child went away\n");
    std::exit(1);
  }
  return rounds * depth / elapsed;
}

}  // namespace stockade::bench
