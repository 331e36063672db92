// `int 0x80` enters the 32-bit (i386) syscall table from a 64-bit process,
// with different numbers: a filter that ignores the arch lets i386 syscalls
// through under the number of an allowed native one. With IA32 emulation the
// filter must kill (bad arch); without it the instruction faults (SIGSEGV).
#include "probe.h"

int main() {
  long rc = 20;  // i386 getpid
  asm volatile("int $0x80" : "+a"(rc) : : "memory");
  if (rc >= 0) probe::finish(probe::kEscaped, "i386 getpid returned %ld", rc);
  probe::finish(probe::kBlocked, "i386 getpid: %s", probe::errno_name(static_cast<int>(-rc)));
}
