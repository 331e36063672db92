// CPU chain: a line of processes, each spinning for a while below the
// per-process RLIMIT_CPU, then forking its successor and exiting, so that no
// single process ever reaches its own limit. argv: LINK_MS LINKS MODE, MODE
// "orphans" (each link forks the next and exits: the next is re-parented to
// init, which reaps it) or "sigign" (the probe, with SIGCHLD ignored, forks
// every link itself: the kernel reaps them at once, into no account but a
// cgroup's). The sandbox's CPU budget must end the whole chain near the
// budget; a chain that completes has used LINK_MS x LINKS.
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstring>

#include "probe.h"

namespace {

long own_cpu_ms() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

// Spins for `ms` of this process's CPU, then reports it on `out`.
void spin_and_report(long ms, int out) {
  volatile unsigned long spins = 0;
  while (own_cpu_ms() < ms) spins = spins + 1;
  char line[32];
  int n = std::snprintf(line, sizeof line, "%ld\n", own_cpu_ms());
  if (write(out, line, static_cast<size_t>(n)) != n) _exit(probe::kProbeError);
}

// One link of the orphan chain: spin, fork the next, exit.
[[noreturn]] void orphan_link(long ms, long left, int out) {
  spin_and_report(ms, out);
  if (left > 1) {
    pid_t next = fork();
    if (next < 0) _exit(probe::kProbeError);
    if (next == 0) orphan_link(ms, left - 1, out);
  }
  _exit(0);
}

}  // namespace

int main(int argc, char** argv) {
  const long link_ms = probe::arg_long(argc, argv, 1);
  const long links = probe::arg_long(argc, argv, 2);
  const bool sigign = std::strcmp(probe::arg_str(argc, argv, 3), "sigign") == 0;
  int report[2];
  if (pipe(report) != 0) probe::finish(probe::kProbeError, "pipe: %s", probe::errno_name(errno));
  if (sigign) signal(SIGCHLD, SIG_IGN);

  if (!sigign) {
    pid_t first = fork();
    if (first < 0) probe::finish(probe::kProbeError, "fork: %s", probe::errno_name(errno));
    if (first == 0) {
      close(report[0]);
      orphan_link(link_ms, links, report[1]);
    }
  }
  // Read one line per link; with sigign, start each link once the last one
  // has reported (and so is about to be auto-reaped).
  long total = 0, done = 0;
  FILE* in = nullptr;
  for (; done < links; ++done) {
    if (sigign) {
      pid_t link = fork();
      if (link < 0) probe::finish(probe::kProbeError, "fork: %s", probe::errno_name(errno));
      if (link == 0) {
        close(report[0]);
        spin_and_report(link_ms, report[1]);
        _exit(0);
      }
    }
    if (in == nullptr) {
      if (!sigign) close(report[1]);  // EOF once every link has gone
      in = fdopen(report[0], "r");
      if (in == nullptr) probe::finish(probe::kProbeError, "fdopen");
    }
    long used = 0;
    if (std::fscanf(in, "%ld", &used) != 1) break;
    total += used;
  }
  if (done == links)
    probe::finish(probe::kEscaped, "chain of %ld processes used %ld ms of CPU", links, total);
  probe::finish(probe::kBlocked, "chain broken after %ld links, %ld ms", done, total);
}
