#include "sandbox/landlock.h"

#include <linux/landlock.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox/landlock_abi.h"

namespace stockade::sandbox {

int landlock_abi() {
  static const int abi = [] {
    long rc = syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
    return rc < 0 ? 0 : static_cast<int>(rc);
  }();
  return abi;
}

LandlockPlan landlock_plan(int abi, const char* const* writable_paths) {
  LandlockPlan plan;
  plan.abi = abi;
  if (abi <= 0) return plan;
  uint64_t writes = LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR |
                    LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_CHAR |
                    LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |
                    LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO |
                    LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM;
  if (abi >= 2) writes |= LANDLOCK_ACCESS_FS_REFER;
  if (abi >= 3) writes |= kLandlockAccessFsTruncate;
  if (abi >= 5) writes |= kLandlockAccessFsIoctlDev;
  plan.handled_fs = writes;
  // The whole write set beneath the writable paths; MAKE_CHAR/MAKE_BLOCK stay
  // useless there anyway (no CAP_MKNOD, nodev mounts).
  plan.writable_access = writes;
  if (abi >= 6) plan.scoped = kLandlockScopeAbstractUnixSocket | kLandlockScopeSignal;
  plan.writable_paths = writable_paths;
  return plan;
}

}  // namespace stockade::sandbox
