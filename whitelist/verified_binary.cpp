// VerifiedBinary: the only ways to make one are verify() and the explicitly
// named development mode.
#include <unistd.h>

#include "whitelist/open_binary.h"
#include "whitelist/pinned_label.h"
#include "whitelist/script_check.h"
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

Result<OpenedBinary> OpenedBinary::open(const std::string& path, const VerifyOptions& options) {
  auto file = whitelist_internal::open_checked(path, options.follow_symlinks);
  if (!file) return std::move(file).error();
  if (auto script = whitelist_internal::refuse_script(file->fd.get(), path); !script) {
    return std::move(script).error();
  }
  OpenedBinary binary;
  binary.fd_ = std::move(file->fd);
  binary.path_ = path;
  binary.opened_ = file->opened;
  binary.no_writer_seen_ = file->writers.no_writer_seen;
  binary.checked_at_ = file->writers.checked_at;
  return binary;
}

VerifiedBinary VerifiedBinary::adopt(OpenedBinary&& binary, std::string_view name,
                                     const Sha256Digest& digest, bool verified) {
  VerifiedBinary result;
  result.fd_ = std::move(binary.fd_);
  result.path_ = std::move(binary.path_);
  result.name_ = std::string(name);
  result.digest_ = digest;
  result.verified_ = verified;
  return result;
}

Result<VerifiedBinary> VerifiedBinary::verify(const std::string& path, std::string_view name,
                                              const Whitelist& whitelist,
                                              const VerifyOptions& options) {
  if (auto ok = check_name(name); !ok) return std::move(ok).error();
  auto opened = OpenedBinary::open(path, options);
  if (!opened) return std::move(opened).error();
  return verify(std::move(*opened), name, whitelist);
}

Result<VerifiedBinary> VerifiedBinary::verify(OpenedBinary&& binary, std::string_view name,
                                              const Whitelist& whitelist, DigestCache* digests) {
  if (auto ok = check_name(name); !ok) return std::move(ok).error();
  // Before hashing; development mode (unverified) skips it, as it skips the
  // whitelist: the binary is not pinned there, so who may write it is moot.
  if (auto trusted = whitelist_internal::check_binary_trusted(binary.fd(), binary.path_);
      !trusted) {
    return std::move(trusted).error();
  }
  auto digest =
      whitelist_internal::hash_unchanged(binary.fd(), binary.opened_, binary.path_, digests,
                                         {binary.no_writer_seen_, binary.checked_at_});
  if (!digest) return std::move(digest).error();
  if (!whitelist.allows(name, *digest)) {
    return not_whitelisted(binary.path_, name, *digest, whitelist.has_name(name));
  }
  return adopt(std::move(binary), name, *digest, true);
}

Result<VerifiedBinary> VerifiedBinary::verify_interpreter(OpenedBinary&& binary,
                                                          std::string_view plugin,
                                                          const Whitelist& whitelist,
                                                          DigestCache* digests) {
  if (auto ok = check_name(plugin); !ok) return std::move(ok).error();
  if (!is_pinnable_absolute_path(binary.path_)) {
    return Error{Errc::invalid_input, "an interpreter is pinned by its absolute, normalized path",
                 binary.path_, 0};
  }
  if (auto trusted = whitelist_internal::check_binary_trusted(binary.fd(), binary.path_);
      !trusted) {
    return std::move(trusted).error();
  }
  auto digest =
      whitelist_internal::hash_unchanged(binary.fd(), binary.opened_, binary.path_, digests,
                                         {binary.no_writer_seen_, binary.checked_at_});
  if (!digest) return std::move(digest).error();
  const std::string label = interpreter_label(plugin, binary.path_);
  if (!whitelist.allows(label, *digest)) {
    std::string what = "not whitelisted as the interpreter of \"" + std::string(plugin) +
                       "\": sha256 " + to_hex(*digest) +
                       (whitelist.has_name(label) ? " is not among the digests pinned for \""
                                                  : " (nothing is pinned for \"") +
                       label + "\"" + (whitelist.has_name(label) ? " (changed since it was pinned?)" : ")") +
                       "; if this interpreter is intended, pin the plugin again: plugin-hash "
                       "--plugin FOLDER >> WHITELIST";
    return Error{Errc::refused, std::move(what), binary.path_, 0};
  }
  return adopt(std::move(binary), plugin, *digest, true);
}

Result<VerifiedBinary> VerifiedBinary::unverified(const std::string& path, std::string_view name,
                                                  DangerousDevelopmentMode mode,
                                                  const VerifyOptions& options) {
  if (auto ok = check_name(name); !ok) return std::move(ok).error();
  auto opened = OpenedBinary::open(path, options);
  if (!opened) return std::move(opened).error();
  return unverified(std::move(*opened), name, mode);
}

Result<VerifiedBinary> VerifiedBinary::unverified(OpenedBinary&& binary, std::string_view name,
                                                  DangerousDevelopmentMode) {
  if (auto ok = check_name(name); !ok) return std::move(ok).error();
  auto digest = whitelist_internal::hash_unchanged(binary.fd(), binary.opened_, binary.path_);
  if (!digest) return std::move(digest).error();
  // One write, so the warning is not interleaved with other output; stderr
  // rather than a logger because whitelist/ sits below the logging layer.
  const std::string warning = "WARNING: development mode: " + binary.path_ +
                              " runs UNVERIFIED as \"" + std::string(name) + "\" (sha256 " +
                              to_hex(*digest) + "); no whitelist was checked\n";
  (void)!write(STDERR_FILENO, warning.data(), warning.size());
  return adopt(std::move(binary), name, *digest, false);
}

}  // namespace stockade
