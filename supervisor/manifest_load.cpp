#include <filesystem>

#include "supervisor/manifest.h"
#include "supervisor/text_file.h"

namespace stockade::supervisor {

Result<Manifest> load_manifest(const std::string& path, Problems* problems) {
  Problems local;
  Problems& found = problems != nullptr ? *problems : local;
  auto text = read_text_file(path, kMaxManifestBytes);
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
