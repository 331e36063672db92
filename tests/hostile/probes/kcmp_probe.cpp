// kcmp compares kernel objects of two processes and leaks their order
// (kernel pointer comparisons: a KASLR aid).
#include <linux/kcmp.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "probe.h"

int main() {
  long rc = syscall(SYS_kcmp, getpid(), getpid(), KCMP_FILE, 0, 1);
  if (rc >= 0) probe::finish(probe::kEscaped, "kcmp returned %ld", rc);
  probe::finish(probe::kBlocked, "kcmp: %s", probe::errno_name(errno));
}
