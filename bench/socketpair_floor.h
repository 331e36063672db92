// The floor most benchmarks here compare against: round trips of `size`
// bytes over one AF_UNIX socketpair to a forked child that echoes them,
// `depth` messages in flight (written in one write, as a pipelining client
// would). What the kernel costs, with no framing, no sandbox and warm
// buffers on both sides.
#pragma once

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

// Round trips per second (messages, not batches). Exits the benchmark if the
// floor itself cannot be measured.
inline double socketpair_round_trips_per_s(std::size_t size, int depth, int rounds) {
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
  if (!ok) {
    std::fprintf(stderr, "bench: the floor's echo child went away\n");
    std::exit(1);
  }
  return rounds * depth / elapsed;
}

}  // namespace stockade::bench
