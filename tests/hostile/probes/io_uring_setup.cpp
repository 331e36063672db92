// io_uring performs I/O on the kernel's side of the seccomp filter (its
// operations are not syscalls) and has had many privilege escalations
// (CVE-2022-29582, CVE-2023-2598). Setting up a ring must be refused.
#include <linux/io_uring.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "probe.h"

int main() {
  io_uring_params params{};
  long fd = syscall(SYS_io_uring_setup, 4, &params);
  if (fd >= 0) probe::finish(probe::kEscaped, "io_uring_setup returned a ring");
  probe::finish(probe::kBlocked, "io_uring_setup: %s", probe::errno_name(errno));
}
