#include "sdk/malloc_arenas.h"

#include <malloc.h>
#include <sys/resource.h>

#include <algorithm>

namespace stockade::sdk::detail {

std::size_t malloc_arenas_for(std::size_t limit_bytes) {
  if (limit_bytes == 0) return 0;
  return std::clamp<std::size_t>(limit_bytes / 4 / kArenaReserveBytes, 1, 8);
}

std::size_t limit_malloc_arenas() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_AS, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return 0;
#ifdef M_ARENA_MAX
  const std::size_t arenas = malloc_arenas_for(static_cast<std::size_t>(limit.rlim_cur));
  // mallopt returns 1 on success; on failure malloc keeps its default.
  if (::mallopt(M_ARENA_MAX, static_cast<int>(arenas)) == 1) return arenas;
#endif
  return 0;
}

}  // namespace stockade::sdk::detail
