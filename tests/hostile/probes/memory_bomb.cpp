// Memory bomb: allocate and touch memory until something stops it. argv: the
// limit in bytes; touching more than that is a hole. Allocation failure is
// the expected end (RLIMIT_AS); a cgroup OOM kill is also a stop.
#include <sys/mman.h>

#include "probe.h"

int main(int argc, char** argv) {
  long limit = probe::arg_long(argc, argv, 1);
  constexpr long kChunk = 1024 * 1024;
  long touched = 0;
  while (touched <= 4 * limit) {
    void* chunk = mmap(nullptr, kChunk, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (chunk == MAP_FAILED) break;
    std::memset(chunk, 0xa5, kChunk);
    touched += kChunk;
  }
  if (touched > limit) probe::finish(probe::kEscaped, "touched %ld MiB, limit %ld MiB", touched / kChunk, limit / kChunk);
  probe::finish(probe::kBlocked, "mmap failed after %ld MiB: %s", touched / kChunk, probe::errno_name(errno));
}
