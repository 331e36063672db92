// Landlock definitions beyond Debian 12's headers (which stop at ABI 2) and
// the parent-side choice of what the child restricts.
//
// What Landlock adds on top of the read-only mounts: write-class access
// (create, remove, write, truncate, device ioctls) only beneath /tmp and for
// the /dev nodes; from ABI 6, no connecting to abstract unix sockets or
// signalling processes outside the sandbox (matters with Network::host, where
// the host's abstract sockets share our network namespace). Reading and
// executing are left to the mounts: the verified binary is executed from an fd
// whose path lies in the detached host tree, which no rule could cover.
#pragma once

#include <cstddef>
#include <cstdint>

namespace stockade::sandbox {

struct LandlockRulesetAttr {
  uint64_t handled_access_fs;
  uint64_t handled_access_net;  // ABI 4
  uint64_t scoped;              // ABI 6
};

inline constexpr uint64_t kLandlockAccessFsTruncate = 1ULL << 14;  // ABI 3
inline constexpr uint64_t kLandlockAccessFsIoctlDev = 1ULL << 15;  // ABI 5
inline constexpr uint64_t kLandlockScopeAbstractUnixSocket = 1ULL << 0;  // ABI 6
inline constexpr uint64_t kLandlockScopeSignal = 1ULL << 1;              // ABI 6

// The struct size the kernel of that ABI understands (larger sizes with
// non-zero unknown fields are refused with E2BIG).
inline constexpr size_t landlock_attr_size(int abi) {
  return abi >= 6 ? 24 : abi >= 4 ? 16 : 8;
}

}  // namespace stockade::sandbox
