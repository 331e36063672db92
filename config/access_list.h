// The access list of the control socket: which plugins a connected peer may
// call and whether it may administer the daemon. Pure: the peer's ids come
// from the kernel (SO_PEERCRED, SO_PEERGROUPS) and the rules' names were
// resolved when the config was loaded (control_config.h), so matching does
// no I/O and gives the same answer for the same inputs.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "stockade/config.h"

namespace stockade::supervisor {

// Who is on the other end of a connection, as the kernel says.
struct PeerCredentials {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups{};  // supplementary groups (SO_PEERGROUPS)
};

// What the matching entries grant together.
struct ClientAccess {
  bool matched = false;                // some entry matched; false: refuse the peer
  bool all_plugins = false;            // an entry said "*"
  std::vector<std::string> plugins{};  // sorted, without duplicates; unused when all_plugins
  bool admin = false;                  // reload, restart, metrics

  bool may_call(std::string_view plugin) const;
};

// Every entry that matches `peer` adds what it grants (there are no deny
// entries, so order does not matter): a uid or user entry matches the peer's
// uid, a gid or group entry its gid or any of its supplementary groups. An
// entry whose name was never resolved matches nobody. root (uid 0) is not
// special: it is admitted only when listed.
ClientAccess match_client(const std::vector<ClientRule>& clients, const PeerCredentials& peer);

}  // namespace stockade::supervisor
