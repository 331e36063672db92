// Rewrite our own code through /proc/self/mem: the kernel lets a process
// write its read-only, executable pages there (FOLL_FORCE), which would undo
// the no-writable-executable-memory rule without any mmap or mprotect. The
// sandbox's Landlock rules allow writes only beneath /tmp and /dev.
#include <fcntl.h>
#include <unistd.h>

#include <cstdint>

#include "probe.h"

namespace {
[[gnu::noinline]] int target() { return 0; }
}  // namespace

int main() {
  int mem = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
  if (mem < 0) probe::finish(probe::kBlocked, "open /proc/self/mem O_RDWR: %s", probe::errno_name(errno));
#if defined(__x86_64__)
  const unsigned char payload[] = {0xb8, 0x42, 0x00, 0x00, 0x00, 0xc3};  // mov eax, 66; ret
  const auto where = static_cast<off_t>(reinterpret_cast<uintptr_t>(&target));
  if (pwrite(mem, payload, sizeof(payload), where) != static_cast<ssize_t>(sizeof(payload)))
    probe::finish(probe::kBlocked, "pwrite /proc/self/mem: %s", probe::errno_name(errno));
  int (*volatile call)() = &target;
  probe::finish(call() == 66 ? probe::kEscaped : probe::kProbeError, "rewrote own code through /proc/self/mem");
#else
  probe::finish(probe::kEscaped, "opened /proc/self/mem for writing");
#endif
}
