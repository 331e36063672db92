// Caps glibc's malloc arenas to what the sandbox's address space can hold.
//
// Why: glibc gives each thread that mallocs an arena of its own (up to 8
// per CPU), and each arena reserves 64 MiB of address space up front (PROT_NONE,
// but counted by RLIMIT_AS). The sandbox sets RLIMIT_AS to twice
// resources.max_memory_mb (beside a cgroup memory limit; to that much
// without one), so in a 64 MiB plugin one such reservation next
// to the SDK's thread stacks left no room: the next thread could not start
// and the next allocation threw std::bad_alloc (measured: 64 calls in
// flight, 67 threads, VmPeak 130 of 128 MiB, SIGABRT). With the cap, threads
// share the arenas there are, at the price of some lock contention in
// malloc.
#pragma once

#include <cstddef>

namespace stockade::sdk::detail {

// Address space a malloc arena may reserve (glibc's HEAP_MAX_SIZE on 64-bit).
inline constexpr std::size_t kArenaReserveBytes = std::size_t{64} << 20;

// The arena count for an address-space limit of `limit_bytes` (0 means
// none): arenas may reserve at most a quarter of it, so the main arena
// alone below 512 MiB, at most 8.
std::size_t malloc_arenas_for(std::size_t limit_bytes);

// Applies malloc_arenas_for(RLIMIT_AS) with mallopt(M_ARENA_MAX) when there
// is a limit (before the SDK starts threads); returns the count applied, or
// 0 when nothing was changed (no limit, or a C library without the knob).
std::size_t limit_malloc_arenas();

}  // namespace stockade::sdk::detail
