"""Caps glibc's malloc arenas to what the sandbox's address space can hold.

The sandbox sets RLIMIT_AS to twice resources.max_memory_mb, and glibc gives
each thread that mallocs an arena of its own reserving 64 MiB of address
space: in a 64 MiB plugin, 64 worker threads ran out of it after about 46
(MemoryError in the handlers, threads that could not start). As the C++ SDK
does, arenas may reserve at most a quarter of the limit: one below 512 MiB,
at most 8. Process-wide, before the SDK starts its threads."""

import resource

ARENA_RESERVE_BYTES = 64 << 20
_M_ARENA_MAX = -8  # glibc's malloc.h


def arenas_for(limit_bytes):
    """The arena count for an address-space limit (0: none, nothing to cap)."""
    if limit_bytes <= 0:
        return 0
    return max(1, min(8, limit_bytes // 4 // ARENA_RESERVE_BYTES))


def limit_malloc_arenas():
    """Applies arenas_for(RLIMIT_AS) with mallopt(M_ARENA_MAX); returns the
    count applied, or 0 when nothing changed (no limit, no glibc, no ctypes)."""
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY:
        return 0
    arenas = arenas_for(soft)
    try:
        # Imported here: a Python built without _ctypes still serves.
        import ctypes
        mallopt = ctypes.CDLL(None).mallopt
    except (ImportError, OSError, AttributeError):
        return 0  # no ctypes, or not glibc (musl has no arenas to cap)
    return arenas if mallopt(_M_ARENA_MAX, arenas) == 1 else 0
