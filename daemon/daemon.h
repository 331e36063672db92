// `stockade serve`: the long-running supervisor of a production host. It
// loads the operator's config, runs one Supervisor, listens on the control
// socket (control/control.fbs) for the clients the access list admits,
// reloads on SIGHUP or a Reload request, stops cleanly on SIGTERM/SIGINT and
// speaks systemd's notify protocol. The one header cli/ includes;
// docs/operators.md ("stockade serve") is the operator's guide.
#pragma once

#include <string>

#include "daemon/log_format.h"
#include "stockade/result.h"

namespace stockade::daemon {

struct ServeOptions {
  std::string config_path{};
  LogFormat log_format = LogFormat::text;
};

// Runs in the foreground until SIGTERM or SIGINT. Returns success after a
// clean shutdown; an Error when it could not start (the config, the
// whitelist, the plugins folder, the socket), already logged.
Status serve(const ServeOptions& options);

}  // namespace stockade::daemon
