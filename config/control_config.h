// The config's keys for `stockade serve`: "control" (the socket's path, mode
// and group) and "clients" (the access list). Reading checks types and
// shapes; validation checks meaning; resolution turns user and group names
// into ids against the host's user database. config.cpp calls all three.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "config/strict_json.h"
#include "stockade/config.h"

namespace stockade::supervisor {

// sun_path holds 108 bytes with the terminating NUL.
inline constexpr size_t kMaxSocketPathBytes = 107;
inline constexpr size_t kMaxClientNameBytes = 256;

// "control": {"socket", "mode", "group"}. `r` reads the "control" object;
// problems beyond the reader's own (a bad mode) go to `problems`.
void read_control(ObjectReader& r, ControlSocket& out, Problems& problems);
// "clients": [{"uid" | "gid" | "user" | "group", "plugins", "admin"}, ...].
// `r` reads the top-level object of the file `source`.
void read_clients(ObjectReader& r, const std::string& source, std::vector<ClientRule>& out,
                  Problems& problems);

// Absolute socket path that fits sun_path; plugin names; "*" alone. Appends
// to `problems`, each naming `source` and the key path.
void validate_control(const Config& config, Problems& problems);

// How names become ids; the default asks NSS (getpwnam_r, getgrnam_r).
struct NameLookup {
  std::optional<uid_t> (*user)(const std::string& name);
  std::optional<gid_t> (*group)(const std::string& name);
};
NameLookup system_name_lookup();

// Sets control.group_id and every clients[i].id named by a user or group; a
// name the lookup does not know is a problem naming the key.
void resolve_control_names(Config& config, const NameLookup& lookup, Problems& problems);

}  // namespace stockade::supervisor
