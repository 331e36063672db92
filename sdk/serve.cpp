#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "sdk/handshake.h"
#include "sdk/launch_check.h"
#include "sdk/malloc_arenas.h"
#include "stockade/sdk.h"
#include "sdk/session.h"

namespace stockade {

int serve(sdk::Plugin& plugin, const sdk::ServeOptions& options) {
  using namespace sdk::detail;
  sdk::Info info;
  try {
    info = plugin.info();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "stockade plugin: info() threw: %s\n", e.what());
    return 1;
  }
  const std::string name = info.name.empty() ? "stockade plugin" : info.name;

  if (auto reason = not_started_by_stockade(options.socket_fd, options.cookie_env)) {
    std::fputs(started_by_hand_message(name, *reason).c_str(), stderr);
    return 1;
  }
  const char* cookie = std::getenv(options.cookie_env);
  auto negotiated = handshake(options.socket_fd, {info.name, info.version, cookie, true},
                              options.handshake_timeout);
  if (!negotiated) {
    std::fprintf(stderr, "%s: handshake failed: %s\n", name.c_str(),
                 negotiated.error().message().c_str());
    return 1;
  }
  // Before the session starts its threads (see malloc_arenas.h).
  if (options.limit_malloc_arenas) limit_malloc_arenas();
  Session session(plugin, name, options, options.socket_fd, *negotiated);
  return session.run();
}

}  // namespace stockade
