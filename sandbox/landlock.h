// Parent side of Landlock: probe the kernel's ABI once and fill the plan.
#pragma once

#include "sandbox/child_plan.h"

namespace stockade::sandbox {

// The Landlock ABI version of the running kernel, 0 when unavailable.
int landlock_abi();

// The plan for `abi`: write-class rights handled, granted beneath
// `writable_paths` (null-terminated; must outlive the child's setup).
LandlockPlan landlock_plan(int abi, const char* const* writable_paths);

}  // namespace stockade::sandbox
