// The x32 ABI is a second syscall table on x86_64 (numbers with bit 30 set):
// a filter that only checks the native numbers lets x32 ones through. The
// sandbox's filter must refuse every x32 number (libseccomp sends them to the
// bad-arch action), whether or not the kernel implements x32.
#include <sys/syscall.h>
#include <unistd.h>

#include "probe.h"

int main() {
  constexpr long kX32SyscallBit = 0x40000000;
  // x32's getpid: harmless if it ran, so any return at all means the filter let it by.
  long rc = syscall(kX32SyscallBit | SYS_getpid);
  if (rc >= 0) probe::finish(probe::kEscaped, "x32 getpid returned %ld", rc);
  probe::finish(probe::kBlocked, "x32 getpid: %s", probe::errno_name(errno));
}
