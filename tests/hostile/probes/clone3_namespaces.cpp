// clone3 passes its flags in memory, where a seccomp filter cannot look: a
// filter that checks clone's flags must refuse clone3 entirely (ENOSYS, so
// libc falls back to clone) or kill. Like libc, this probe then falls back to
// clone with the same namespace flags.
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "probe.h"

int main() {
  clone_args args{};
  args.flags = CLONE_NEWUSER | CLONE_NEWNET;
  args.exit_signal = SIGCHLD;
  long pid = syscall(SYS_clone3, &args, sizeof args);
  if (pid == 0) _exit(0);
  if (pid > 0) probe::finish(probe::kEscaped, "clone3 with namespace flags succeeded");
  if (errno != ENOSYS) probe::finish(probe::kBlocked, "clone3: %s", probe::errno_name(errno));
  std::printf("clone3: ENOSYS, falling back to clone\n");
  std::fflush(stdout);
  pid = syscall(SYS_clone, CLONE_NEWUSER | CLONE_NEWNET | SIGCHLD, nullptr, nullptr, nullptr, 0);
  if (pid == 0) _exit(0);
  if (pid > 0) probe::finish(probe::kEscaped, "clone with namespace flags succeeded");
  probe::finish(probe::kBlocked, "clone: %s", probe::errno_name(errno));
}
