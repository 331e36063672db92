#include "cli/remote_call.h"

#include <unistd.h>

#include <cstdio>

#include "cli/daemon_client.h"
#include "cli/exit_codes.h"
#include "cli/terminal_text.h"

namespace stockade::supervisor {
namespace {

// The daemon applies the call's deadline; the client waits a little longer
// so that the daemon's DEADLINE_EXCEEDED, not our own timeout, is what the
// user sees.
constexpr std::chrono::milliseconds kWaitBeyondDeadline{5000};

int print_info(const control::InfoReplyInfo& info) {
  std::string out = "name: " + info.name + "\nversion: " + info.version +
                    "\ndescription: " + info.description + "\n";
  auto list = [&out](const char* label, const std::vector<std::string>& items) {
    out += label;
    out += ':';
    for (const auto& item : items) out += " " + item;
    out += '\n';
  };
  list("capabilities", info.capabilities);
  list("methods", info.methods);
  for (const auto& [key, value] : info.metadata) out += "metadata: " + key + "=" + value + "\n";
  print_text(out);
  return kExitOk;
}

// The payload as is, byte for byte, into a pipe or file; escaped when
// stdout is a terminal, which must not obey what a plugin wrote.
void print_payload(const std::vector<std::uint8_t>& payload) {
  const std::string_view bytes(reinterpret_cast<const char*>(payload.data()), payload.size());
  if (::isatty(STDOUT_FILENO) == 1) {
    print_text(bytes);
  } else {
    std::fwrite(bytes.data(), 1, bytes.size(), stdout);
  }
  std::fflush(stdout);
}

}  // namespace

int run_remote_call(const RemoteCall& call) {
  auto client = connect_daemon(call.socket);
  if (!client) {
    print_error(client.error().message());
    return exit_code_for_transport(client.error());
  }
  control::WaitLimit limit;
  if (call.timeout_ms) limit = std::chrono::milliseconds(*call.timeout_ms) + kWaitBeyondDeadline;

  if (call.info) {
    auto answer = client->info(call.plugin, limit);
    if (!answer) {
      print_error(answer.error().message());
      return exit_code_for_transport(answer.error());
    }
    if (const auto* e = std::get_if<control::ErrorInfo>(&*answer)) {
      print_error("info failed: " + describe(*e));
      return exit_code_for_call_error(*e);
    }
    return print_info(std::get<control::InfoReplyInfo>(*answer));
  }
  if (call.health) {
    auto answer = client->health(call.plugin, limit);
    if (!answer) {
      print_error(answer.error().message());
      return exit_code_for_transport(answer.error());
    }
    if (const auto* e = std::get_if<control::ErrorInfo>(&*answer)) {
      print_error("health failed: " + describe(*e));
      return exit_code_for_call_error(*e);
    }
    const auto& h = std::get<control::HealthReplyInfo>(*answer);
    print_text(std::string(h.serving ? "SERVING" : "NOT_SERVING") + (h.message.empty() ? "" : ": ") +
               h.message + "\n");
    return h.serving ? kExitOk : kExitNo;
  }
  control::CallRequest request{call.plugin, call.method, call.payload, call.timeout_ms,
                               std::nullopt};
  auto answer = client->call(request, limit);
  if (!answer) {
    print_error("call failed: " + answer.error().message());
    return exit_code_for_transport(answer.error());
  }
  if (const auto* e = std::get_if<control::ErrorInfo>(&*answer)) {
    print_error("call failed: " + describe(*e));
    return exit_code_for_call_error(*e);
  }
  print_payload(std::get<control::CallReplyInfo>(*answer).payload);
  return kExitOk;
}

}  // namespace stockade::supervisor
