// Process creation for the sandbox: clone3 that runs a function in the child.
//
// Why CLONE_VM: a plain fork copies the supervisor's page tables, which costs
// time proportional to its memory (11 ms for a 256 MiB parent on the CI
// machines). With CLONE_VM the child borrows the parent's address space on its
// own stack until execveat gives it a fresh one, so launch cost does not grow
// with the supervisor. The price: until exec the child may only make raw,
// allocation-free syscalls (raw_syscall.h) and must not touch libc state.
#pragma once

#include <linux/sched.h>

namespace stockade::sandbox {

using ChildFunction = int (*)(void*);

// clone3(`args`) and, in the child, exit(fn(arg)). With `share_memory` the
// child runs on [args->stack, args->stack + args->stack_size) in the parent's
// address space (CLONE_VM is added to the flags); without, it runs on a copy
// of the parent's memory and `stack` must be 0. Returns the child's pid in the
// parent or -errno.
long clone3_run(clone_args* args, ChildFunction fn, void* arg, bool share_memory);

// True where clone3_run can share memory (an assembly trampoline exists).
bool clone3_can_share_memory();

}  // namespace stockade::sandbox
