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

namespace stockade::supervisor {

std::vector<std::string> interpreter_argv(const Manifest& manifest) {
  std::vector<std::string> argv = {manifest.interpreter};
  const std::string base = std::filesystem::path(manifest.interpreter).filename().string();
  // python, python3, python3.11: -I is "-E -P -s", no PYTHON* variable
  // (PYTHONPATH, PYTHONSTARTUP, PYTHONHOME...), no user site-packages, no
  // script folder or working folder prepended to sys.path.
  if (base.rfind("python", 0) == 0 &&
      base.find_first_not_of("0123456789.", 6) == std::string::npos) {
    argv.push_back("-I");
  }
  argv.push_back(std::string(kPluginFilesInside) + "/" + manifest.endpoint);
  return argv;
}

}  // namespace stockade::supervisor
