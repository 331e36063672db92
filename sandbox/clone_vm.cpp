#include "sandbox/clone_vm.h"

#include <sys/syscall.h>

#include "sandbox/raw_syscall.h"

#if defined(__x86_64__)
extern "C" long stockade_clone3_trampoline(clone_args* args, unsigned long size,
                                           stockade::sandbox::ChildFunction fn, void* arg);
#endif

namespace stockade::sandbox {

bool clone3_can_share_memory() {
#if defined(__x86_64__)
  return true;
#else
  return false;
#endif
}

long clone3_run(clone_args* args, ChildFunction fn, void* arg, bool share_memory) {
#if defined(__x86_64__)
  if (share_memory) {
    args->flags |= CLONE_VM;
    return stockade_clone3_trampoline(args, sizeof(*args), fn, arg);
  }
#else
  (void)share_memory;
#endif
  // Fork-like: the child returns here on a copy of this stack.
  args->flags &= ~static_cast<unsigned long long>(CLONE_VM);
  args->stack = 0;
  args->stack_size = 0;
  long rc = raw::call(SYS_clone3, args, sizeof(*args));
  if (rc == 0) {
    raw::call(SYS_exit, fn(arg));
    __builtin_unreachable();
  }
  return rc;
}

}  // namespace stockade::sandbox
