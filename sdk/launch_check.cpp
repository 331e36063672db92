#include "sdk/launch_check.h"

#include <sys/stat.h>

#include <cstdlib>

namespace stockade::sdk::detail {

std::optional<std::string> not_started_by_stockade(int fd, const char* cookie_env) {
  struct stat st {};
  if (fstat(fd, &st) != 0) return "fd " + std::to_string(fd) + " is not open";
  if (!S_ISSOCK(st.st_mode)) return "fd " + std::to_string(fd) + " is not a socket";
  if (std::getenv(cookie_env) == nullptr) return std::string(cookie_env) + " is not set";
  return std::nullopt;
}

std::string started_by_hand_message(const std::string& plugin_name, const std::string& reason) {
  return plugin_name +
         ": this is a stockade plugin; it is started by the stockade supervisor (see `stockade "
         "call --help`), not by hand. (" +
         reason + ")\n";
}

}  // namespace stockade::sdk::detail
