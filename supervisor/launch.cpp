#include "supervisor/launch.h"
#include "base/error.h"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>

#include "config/effective_policy.h"
#include "config/interpreted_launch.h"
#include "whitelist/digest_cache.h"
#include "whitelist/whitelist.h"
#include "wire/protocol.h"

namespace stockade::supervisor {
namespace {

Result<FdPair> make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return sys_error("cannot create the output pipe", "pipe2");
  return FdPair{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

}  // namespace

Result<std::string> make_cookie() {
  std::array<uint8_t, 16> bytes{};
  size_t got = 0;
  while (got < bytes.size()) {
    ssize_t n = ::getrandom(bytes.data() + got, bytes.size() - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return sys_error("cannot draw the plugin cookie", "getrandom");
    }
    got += static_cast<size_t>(n);
  }
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (uint8_t b : bytes) {
    hex += kDigits[b >> 4];
    hex += kDigits[b & 0xf];
  }
  return hex;
}

Result<LaunchedPlugin> launch_plugin(const Manifest& manifest, const LaunchSettings& settings) {
  // The script and files of an interpreted plugin: sealed, hashed and checked
  // before anything starts; the sandbox gets the sealed copies.
  auto files = verify_interpreted_files(manifest, settings.whitelist);
  if (!files) return files.error();
  // The binary (or the interpreter): opened and checked now, hashed while
  // the sandbox is built around it.
  auto binary = open_plugin_binary(manifest);
  if (!binary) return binary.error();
  sandbox::BinaryVerifier verify = [&](OpenedBinary&& opened) -> Result<VerifiedBinary> {
    return verify_plugin_binary(std::move(opened), manifest, settings.whitelist,
                                settings.digests.get());
  };
  // A digest already known: verified here at once (no hash to overlap, so
  // no verifier thread to start), before anything is built around it.
  std::optional<VerifiedBinary> known;
  if (settings.whitelist != nullptr && settings.digests &&
      settings.digests->has(binary->fd(), binary->opened_state())) {
    auto verified = verify(std::move(*binary));
    if (!verified) return verified.error();
    known.emplace(std::move(*verified));
  }

  auto cookie = make_cookie();
  if (!cookie) return cookie.error();
  LaunchRequest request;
  request.argv0 = manifest.name;
  request.runtime_env[wire::kCookieEnvVar] = *cookie;
  auto policy = effective_policy(manifest, settings.ceilings, settings.identity, request);
  if (!policy) return policy.error();
  if (*files) provide_interpreted_files(**files, *policy);

  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
    return sys_error("cannot create the plugin socket", "socketpair");
  }
  UniqueFd ours(pair[0]);
  UniqueFd theirs(pair[1]);
  // stdout and stderr share one pipe: one descriptor per plugin in the
  // supervisor, not two (issue 13: 10,000 plugins on one host); the log
  // then says "output" for both.
  auto out = make_pipe();
  if (!out) return out.error();
  UniqueFd null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!null) return sys_error("cannot open", "/dev/null");

  std::vector<sandbox::FdMapping> fds = {{null.get(), 0},
                                         {out->second.get(), 1},
                                         {out->second.get(), 2},
                                         {theirs.get(), wire::kPluginSocketFd}};
  auto child = known ? sandbox::spawn(*known, *policy, fds)
                     : sandbox::spawn(std::move(*binary), verify, *policy, fds);
  if (!child) return child.error();
  // Our copies of the child's ends close here (scope end), so the plugin's
  // exit shows up as EOF on the socket and the pipe.
  LaunchedPlugin launched{std::move(*child), std::move(ours), std::move(out->first), std::move(*cookie),
                          known.has_value()};
  return launched;
}

}  // namespace stockade::supervisor
