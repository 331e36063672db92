// Memory bomb spread over processes: each child stays under the per-process
// RLIMIT_AS, together they exceed the sandbox's memory limit. Only a limit on
// the whole sandbox (the cgroup) stops this; rlimits alone multiply by the
// process count. argv: children, MiB each, the sandbox limit in MiB. Prints
// how many children filled their share, and how many were killed (SIGKILL,
// the OOM killer's) or failed.
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "probe.h"

int main(int argc, char** argv) {
  long children = probe::arg_long(argc, argv, 1);
  long mib = probe::arg_long(argc, argv, 2);
  long limit_mib = probe::arg_long(argc, argv, 3);
  int ready[2];
  if (pipe(ready) != 0) probe::finish(probe::kProbeError, "pipe: %s", probe::errno_name(errno));
  for (long i = 0; i < children; ++i) {
    pid_t pid = fork();
    if (pid < 0) probe::finish(probe::kProbeError, "fork: %s", probe::errno_name(errno));
    if (pid == 0) {
      close(ready[0]);
      size_t size = static_cast<size_t>(mib) * 1024 * 1024;
      void* block = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (block == MAP_FAILED) _exit(3);
      std::memset(block, 0x5a, size);
      if (write(ready[1], "r", 1) != 1) _exit(4);
      for (;;) pause();
    }
  }
  close(ready[1]);
  // Each child either says "ready" on the pipe and stays, or dies.
  long filled = 0;
  long killed = 0;
  long failed = 0;
  while (filled + killed + failed < children) {
    int status = 0;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid > 0) {
      ++(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL ? killed : failed);
      continue;
    }
    pollfd pfd{ready[0], POLLIN, 0};
    char byte;
    if (poll(&pfd, 1, 10) > 0 && (pfd.revents & POLLIN) != 0 && read(ready[0], &byte, 1) == 1) ++filled;
  }
  int code = filled * mib > limit_mib ? probe::kEscaped : probe::kBlocked;
  probe::finish(code, "filled %ld killed %ld failed %ld", filled, killed, failed);
}
