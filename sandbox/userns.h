// The sandbox's user namespace: one id mapped, written by the parent.
//
// Inside, the plugin runs as `inner_uid`/`inner_gid` (non-root); outside, that
// is `outer_uid`/`outer_gid` when the supervisor is root, or the supervisor's
// own ids when it is not (an unprivileged process may map only itself). uid 0
// is never mapped, so nothing in the sandbox is root in any namespace.
#pragma once

#include <sys/types.h>

#include "stockade/result.h"
#include "sandbox/policy.h"

namespace stockade::sandbox {

struct IdMapping {
  uid_t inner_uid, outer_uid;
  gid_t inner_gid, outer_gid;
  // A privileged parent keeps setgroups allowed, so the child can drop the
  // supplementary groups it inherited; an unprivileged one must deny it
  // before writing gid_map (the kernel requires it since 3.19).
  bool deny_setgroups;
};

IdMapping id_mapping_for(const Policy& policy);

// Writes /proc/<pid>/{uid_map,setgroups,gid_map}.
Status write_id_maps(pid_t pid, const IdMapping& mapping);

}  // namespace stockade::sandbox
