#include "cli/daemon_client.h"

#include <cstdio>

#include "cli/exit_codes.h"
#include "cli/terminal_text.h"

namespace stockade::supervisor {

using control::fb::Code;
using ControlDelivery = control::fb::Delivery;

Result<control::ControlClient> connect_daemon(const std::optional<std::string>& socket) {
  return control::ControlClient::connect(control::resolve_socket_path(socket));
}

int exit_code_for_transport(const Error& error) {
  switch (error.code) {
    case Errc::refused:
    case Errc::limit: return kExitRefused;
    case Errc::invalid_input: return kExitOwnFailure;
    case Errc::timeout: return kExitDeadline;
    default: return kExitUnanswered;  // not running, gone, a bad answer
  }
}

int exit_code_for_call_error(const control::ErrorInfo& e) {
  if (e.code == Code::PERMISSION_DENIED) return kExitRefused;
  if (e.code == Code::DEADLINE_EXCEEDED) return kExitDeadline;
  if (e.delivery == ControlDelivery::NOT_SENT) {
    // Refused before it was sent: beyond the plugin's frame limit; or the
    // daemon has no such plugin.
    if (e.code == Code::INVALID_ARGUMENT) return kExitRefused;
    if (e.code == Code::NOT_FOUND) return kExitNotFound;
  }
  if (e.delivery == ControlDelivery::ANSWERED) return kExitNo;
  if (e.plugin_exit && *e.plugin_exit > kExitSignalBase) return *e.plugin_exit;
  return kExitUnanswered;
}

int exit_code_for_admin_error(const control::ErrorInfo& e) {
  switch (e.code) {
    case Code::PERMISSION_DENIED: return kExitRefused;
    case Code::NOT_FOUND: return kExitNotFound;
    case Code::DEADLINE_EXCEEDED:
    case Code::UNAVAILABLE: return kExitUnanswered;
    default: return kExitNo;
  }
}

std::string describe(const control::ErrorInfo& e) {
  std::string text = control::code_name(e.code);
  if (!e.message.empty()) text += ": " + e.message;
  if (e.attempts > 1) text += " (after " + std::to_string(e.attempts) + " attempts)";
  return text;
}

void print_error(const std::string& line) { std::fprintf(stderr, "stockade: %s\n", line.c_str()); }

void print_text(std::string_view text) {
  const std::string escaped = escape_for_terminal(text);
  std::fwrite(escaped.data(), 1, escaped.size(), stdout);
}

}  // namespace stockade::supervisor
