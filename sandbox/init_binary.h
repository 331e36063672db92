// stockade-init (init/stockade_init.c), compiled into the library and served
// from a sealed memfd: pid 1 of each sandbox execs it where it used to exec
// the plugin, and it runs the plugin as its child (see docs/security-model.md ("Sandbox"),
// "pid 1 is stockade-init"). Internal to sandbox/.
#pragma once

#include "stockade/result.h"

namespace stockade::sandbox {

// A close-on-exec memfd holding init's bytes, created once per process and
// sealed against every change (write, grow, shrink, further seals), so what
// the child execs is exactly what was built. The fd lives as long as the
// process; callers must not close it.
Result<int> init_binary_fd();

}  // namespace stockade::sandbox
