// Raw system calls for the child between clone and exec.
//
// The child is started with CLONE_VM (see clone_vm.h): it shares the
// supervisor's memory and, since CLONE_SETTLS is not used, the calling
// thread's TLS. libc wrappers write `errno` through TLS, so a child calling
// them would scribble on the supervisor thread's errno while that thread runs,
// and some wrappers take locks or allocate. These wrappers issue the syscall
// instruction directly and return -errno instead.
#pragma once

#include <sys/syscall.h>

namespace stockade::sandbox::raw {

#if defined(__x86_64__)
inline long syscall6(long nr, long a = 0, long b = 0, long c = 0, long d = 0, long e = 0,
                     long f = 0) {
  long ret;
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  register long r9 __asm__("r9") = f;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return ret;
}
#elif defined(__aarch64__)
inline long syscall6(long nr, long a = 0, long b = 0, long c = 0, long d = 0, long e = 0,
                     long f = 0) {
  register long x8 __asm__("x8") = nr;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  register long x3 __asm__("x3") = d;
  register long x4 __asm__("x4") = e;
  register long x5 __asm__("x5") = f;
  __asm__ volatile("svc 0"
                   : "+r"(x0)
                   : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
                   : "memory");
  return x0;
}
#else
#error "stockade's sandbox supports x86_64 and aarch64"
#endif

template <typename... Args>
inline long call(long nr, Args... args) {
  return syscall6(nr, (long)args...);
}

// A failed raw call returns -errno in [-4095, -1].
inline bool failed(long rc) { return rc < 0 && rc > -4096; }

}  // namespace stockade::sandbox::raw
