// Was this process started by stockade? A plugin run by hand from a shell has
// no protocol socket on fd 3 and no cookie, and should say what it is rather
// than hang reading a terminal or write frames into one.
#pragma once

#include <optional>
#include <string>

namespace stockade::sdk::detail {

// Why the process does not look started by stockade, or nullopt if it does:
// `fd` must be a socket and `cookie_env` must be set.
std::optional<std::string> not_started_by_stockade(int fd, const char* cookie_env);

// The one line printed to stderr for a plugin started by hand.
std::string started_by_hand_message(const std::string& plugin_name, const std::string& reason);

}  // namespace stockade::sdk::detail
