#include <fcntl.h>

#include <filesystem>

#include "config/manifest.h"
#include "config/text_file.h"
#include "whitelist/trust_path.h"

namespace stockade::supervisor {

Result<Manifest> load_manifest(const std::string& path, Problems* problems) {
  Problems local;
  Problems& found = problems != nullptr ? *problems : local;
  // The manifest sets the sandbox's limits and the endpoint that runs; one
  // someone else can write is theirs. Checked on the fd that is then read.
  auto fd = open_trusted(path, O_RDONLY | O_NOCTTY | O_NONBLOCK, "manifest");
  if (!fd) {
    found.push_back(fd.error());
    return fd.error();
  }
  auto text = read_text_fd(fd->get(), path, kMaxManifestBytes);
  if (!text) {
    found.push_back(text.error());
    return text.error();
  }
  auto manifest = parse_manifest(*text, path, &found);
  if (!manifest) return manifest;
  std::filesystem::path folder = std::filesystem::path(path).parent_path();
  if (folder.empty()) folder = std::filesystem::path(".");
  manifest->folder = folder.string();
  if (auto valid = validate_manifest(*manifest, &found); !valid) return valid.error();
  return manifest;
}

std::string endpoint_path(const Manifest& manifest) {
  std::filesystem::path folder = manifest.folder.empty() ? "." : manifest.folder;
  // The name cannot start with "/" or "." (validate_manifest), so it stays in the folder.
  const std::string& relative = manifest.endpoint.empty() ? manifest.name : manifest.endpoint;
  return (folder / relative).lexically_normal().string();
}

}  // namespace stockade::supervisor
