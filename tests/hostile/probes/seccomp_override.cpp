// Trying to lift the filter: no_new_privs cannot be cleared, and a new,
// permissive filter only stacks on the old one (the strictest wins). After
// both attempts the probe calls ptrace, which must still be killed.
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "probe.h"

int main() {
  if (prctl(PR_SET_NO_NEW_PRIVS, 0, 0, 0, 0) == 0) probe::finish(probe::kEscaped, "cleared no_new_privs");
  std::printf("clear no_new_privs: %s\n", probe::errno_name(errno));
  std::fflush(stdout);
  sock_filter allow_all[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
  sock_fprog program{1, allow_all};
  long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program);
  std::printf("permissive filter: %s\n", rc == 0 ? "stacked" : probe::errno_name(errno));
  std::fflush(stdout);
  if (ptrace(PTRACE_TRACEME, 0, nullptr, nullptr) == 0) probe::finish(probe::kEscaped, "ptrace allowed after override");
  probe::finish(probe::kBlocked, "ptrace: %s", probe::errno_name(errno));
}
