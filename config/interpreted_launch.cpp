#include "config/interpreted_launch.h"

namespace stockade::supervisor {

Result<std::optional<VerifiedPluginFiles>> verify_interpreted_files(const Manifest& manifest,
                                                                    const Whitelist* whitelist) {
  if (manifest.interpreter.empty()) return std::optional<VerifiedPluginFiles>{};
  PluginFileSpec spec{manifest.folder, manifest.endpoint, manifest.files};
  auto sealed = seal_plugin_files(spec);
  if (!sealed) return sealed.error();
  if (whitelist == nullptr) {
    return std::optional<VerifiedPluginFiles>(VerifiedPluginFiles::unverified(
        std::move(*sealed), manifest.name, VerifiedPluginFiles::DangerousDevelopmentMode{}));
  }
  auto verified = VerifiedPluginFiles::verify(std::move(*sealed), manifest.name, *whitelist);
  if (!verified) return verified.error();
  return std::optional<VerifiedPluginFiles>(std::move(*verified));
}

Result<OpenedBinary> open_plugin_binary(const Manifest& manifest) {
  if (manifest.interpreter.empty()) return OpenedBinary::open(endpoint_path(manifest));
  // /usr/bin/python3 is a symlink on Debian: followed, and every folder and
  // link on the way checked when it is verified (check_binary_trusted).
  return OpenedBinary::open(manifest.interpreter, VerifyOptions{.follow_symlinks = true});
}

Result<VerifiedBinary> verify_plugin_binary(OpenedBinary&& opened, const Manifest& manifest,
                                            const Whitelist* whitelist, DigestCache* digests) {
  if (whitelist == nullptr) {
    return VerifiedBinary::unverified(std::move(opened), manifest.name,
                                      VerifiedBinary::DangerousDevelopmentMode{});
  }
  if (!manifest.interpreter.empty()) {
    return VerifiedBinary::verify_interpreter(std::move(opened), manifest.name, *whitelist,
                                              digests);
  }
  return VerifiedBinary::verify(std::move(opened), manifest.name, *whitelist, digests);
}

void provide_interpreted_files(const VerifiedPluginFiles& files, sandbox::Policy& policy) {
  policy.provided_folder = kPluginFilesInside;
  for (const SealedFile& f : files.files()) {
    policy.provided_files.push_back(sandbox::ProvidedFile{f.relative, f.fd.get(), f.size});
  }
  // The script's folder, so relative opens of the plugin's own data work too.
  policy.cwd = kPluginFilesInside;
}

}  // namespace stockade::supervisor
