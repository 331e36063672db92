// Run code that no file holds: write machine code into anonymous memory and
// jump to it, either from a writable and executable mapping ("rwx") or by
// making a written page executable ("mprotect"). Without sandbox.allow_jit
// the filter refuses both; /tmp and /dev are noexec, so no file route exists.
// The payload returns 66: `mov eax, 66; ret` (x86_64).
#include <sys/mman.h>

#include "probe.h"

#if !defined(__x86_64__)
int main() { probe::finish(probe::kProbeError, "no payload for this architecture"); }
#else
int main(int argc, char** argv) {
  const unsigned char payload[] = {0xb8, 0x42, 0x00, 0x00, 0x00, 0xc3};
  const char* mode = probe::arg_str(argc, argv, 1);
  const bool rwx = std::strcmp(mode, "rwx") == 0;
  if (!rwx && std::strcmp(mode, "mprotect") != 0) probe::finish(probe::kProbeError, "usage: rwx|mprotect");
  const int prot = rwx ? PROT_READ | PROT_WRITE | PROT_EXEC : PROT_READ | PROT_WRITE;
  void* page = mmap(nullptr, 4096, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) probe::finish(probe::kBlocked, "mmap %s: %s", mode, probe::errno_name(errno));
  std::memcpy(page, payload, sizeof(payload));
  if (!rwx && mprotect(page, 4096, PROT_READ | PROT_EXEC) != 0)
    probe::finish(probe::kBlocked, "mprotect PROT_EXEC: %s", probe::errno_name(errno));
  int result = reinterpret_cast<int (*)()>(page)();
  probe::finish(result == 66 ? probe::kEscaped : probe::kProbeError, "payload ran from anonymous memory: %d", result);
}
#endif
