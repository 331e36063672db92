// `stockade call --socket PATH PLUGIN ...`: the call made by `stockade serve`
// instead of a plugin started for it. cli/call.cpp parses the options (the
// same as the in-process call's) and hands over here.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <cstdint>

namespace stockade::supervisor {

struct RemoteCall {
  std::optional<std::string> socket{};  // empty: $STOCKADE_SOCKET, then the default
  std::string plugin{};
  std::string method = "execute";
  std::vector<std::uint8_t> payload{};
  std::optional<std::uint32_t> timeout_ms{};
  bool info = false;    // Info instead of Execute
  bool health = false;  // Health instead of Execute
};

// Prints what the in-process call prints and returns the same exit codes.
int run_remote_call(const RemoteCall& call);

}  // namespace stockade::supervisor
