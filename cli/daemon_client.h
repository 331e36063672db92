// What the client commands of `stockade serve` share (call --socket, status,
// reload, restart, metrics): finding and connecting to the control socket,
// one exit code for each way a request can fail (cli/exit_codes.h), and the
// printing of the daemon's text, which a plugin may have written.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "control/client.h"
#include "stockade/result.h"

namespace stockade::supervisor {

// Connects to --socket's path, else $STOCKADE_SOCKET's, else the default.
Result<control::ControlClient> connect_daemon(const std::optional<std::string>& socket);

// The exit code for a request that got no answer: the daemon not reached or
// gone (3), this client refused by the socket's permissions or the access
// list (126), the request beyond a limit (126), a usage error (125).
int exit_code_for_transport(const Error& error);
// The exit code for the daemon's Error answering a Call: as the in-process
// call's (cli/call.cpp), plus PERMISSION_DENIED (126) and NOT_FOUND before
// anything was sent, the daemon's "no such plugin" (127).
int exit_code_for_call_error(const control::ErrorInfo& error);
// The exit code for the daemon's Error answering status, reload, restart or
// metrics: 126 refused, 127 no such plugin, 3 unavailable or out of time,
// else 1.
int exit_code_for_admin_error(const control::ErrorInfo& error);

// "CODE: message (after N attempts)", as CallError::describe() says it.
std::string describe(const control::ErrorInfo& error);

// "stockade: LINE" on stderr (escaped there, cli/stderr_text.h).
void print_error(const std::string& line);
// Text from the daemon on stdout, escaped for a terminal (cli/terminal_text.h).
void print_text(std::string_view text);

}  // namespace stockade::supervisor
