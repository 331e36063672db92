// Spare network namespaces, made ahead of time on a thread of their own.
//
// Why: creating a network namespace is the dearest part of a sandbox's
// clone3 (1.6-2.8 ms per unshare(CLONE_NEWNET) measured on the 2-vCPU
// development guest, 2026-12; 0.6-0.8 ms on quieter machines). A launch
// that takes a spare instead enters it on the launching thread (setns, 2 us
// there and back), clones without CLONE_NEWNET so that the child is born in
// it, and returns the thread to its own namespace.
//
// Each spare is fresh, empty (loopback down) and handed to exactly one
// sandbox: never reused, never shared. It is owned by the supervisor's user
// namespace rather than the sandbox's, so the plugin has no capability over
// it at all (with CLONE_NEWNET it would hold CAP_NET_ADMIN there, in an
// empty namespace). Only where we may make and enter network namespaces
// (CAP_SYS_ADMIN: the supervisor as root); elsewhere the first refusal
// turns the pool off and every launch uses CLONE_NEWNET as before.
#pragma once

#include "base/unique_fd.h"

namespace stockade::sandbox {

// A fresh network namespace (an fd of it), or an empty UniqueFd when none
// is ready (the caller then clones with CLONE_NEWNET). Never blocks; wakes
// the refilling thread, which is started on the first call.
UniqueFd take_spare_netns();
// warm_spare_netns() (sandbox.h) starts the thread before the first launch.

}  // namespace stockade::sandbox
