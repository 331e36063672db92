// process_vm_readv reads another process's memory without ptrace's stop;
// the same permission check, a separate syscall to refuse. Reads its own
// child's memory, the only process it could reach.
#include <sys/uio.h>
#include <unistd.h>

#include "probe.h"

int main() {
  static char secret[16] = "child secret";
  pid_t child = fork();
  if (child == 0) {
    pause();
    _exit(0);
  }
  if (child < 0) probe::finish(probe::kProbeError, "fork: %s", probe::errno_name(errno));
  char copy[16] = {};
  iovec local{copy, sizeof copy};
  iovec remote{secret, sizeof secret};
  if (process_vm_readv(child, &local, 1, &remote, 1, 0) > 0) probe::finish(probe::kEscaped, "read child memory");
  probe::finish(probe::kBlocked, "process_vm_readv: %s", probe::errno_name(errno));
}
