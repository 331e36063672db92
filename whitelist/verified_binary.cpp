// VerifiedBinary: the only ways to make one are verify() and the explicitly
// named development mode.
#include <unistd.h>

#include "whitelist/open_binary.h"
#include "whitelist/whitelist.h"

namespace stockade {
namespace {

Status check_name(std::string_view name) {
  if (is_valid_plugin_name(name)) return {};
  return Error{Errc::invalid_input,
               "invalid plugin name \"" + std::string(name) +
                   "\": 1-128 of [A-Za-z0-9._-], not starting with '.' or '-'",
               {}, 0};
}

Error not_whitelisted(const std::string& path, std::string_view name, const Sha256Digest& digest,
                      bool name_known) {
  const std::string hex = to_hex(digest);
  std::string what = name_known ? "not whitelisted: sha256 " + hex +
                                       " is not among the digests pinned for \"" +
                                       std::string(name) + "\""
                                 : "not whitelisted: no digest is pinned for \"" +
                                       std::string(name) + "\" (sha256 " + hex + ")";
  what += "; if this binary is intended, pin it: plugin-hash --name " + std::string(name) + " " +
          path + " >> WHITELIST";
  return Error{Errc::refused, std::move(what), path, 0};
}

}  // namespace

Result<VerifiedBinary> VerifiedBinary::verify(const std::string& path, std::string_view name,
                                              const Whitelist& whitelist,
                                              const VerifyOptions& options) {
  if (auto ok = check_name(name); !ok) return std::move(ok).error();
  auto hashed = whitelist_internal::open_and_hash(path, options.follow_symlinks);
  if (!hashed) return std::move(hashed).error();
  if (!whitelist.allows(name, hashed->digest)) {
    return not_whitelisted(path, name, hashed->digest, whitelist.has_name(name));
  }
  VerifiedBinary binary;
  binary.fd_ = std::move(hashed->fd);
  binary.path_ = path;
  binary.name_ = std::string(name);
  binary.digest_ = hashed->digest;
  binary.verified_ = true;
  return binary;
}

Result<VerifiedBinary> VerifiedBinary::unverified(const std::string& path, std::string_view name,
                                                  DangerousDevelopmentMode,
                                                  const VerifyOptions& options) {
  if (auto ok = check_name(name); !ok) return std::move(ok).error();
  auto hashed = whitelist_internal::open_and_hash(path, options.follow_symlinks);
  if (!hashed) return std::move(hashed).error();
  // One write, so the warning is not interleaved with other output; stderr
  // rather than a logger because whitelist/ sits below the logging layer.
  const std::string warning = "WARNING: development mode: " + path + " runs UNVERIFIED as \"" +
                              std::string(name) + "\" (sha256 " + to_hex(hashed->digest) +
                              "); no whitelist was checked\n";
  (void)!write(STDERR_FILENO, warning.data(), warning.size());
  VerifiedBinary binary;
  binary.fd_ = std::move(hashed->fd);
  binary.path_ = path;
  binary.name_ = std::string(name);
  binary.digest_ = hashed->digest;
  binary.verified_ = false;
  return binary;
}

}  // namespace stockade
