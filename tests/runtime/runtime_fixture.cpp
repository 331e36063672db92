#include "tests/runtime/runtime_fixture.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>
#include <thread>

#include "base/unique_fd.h"
#include "whitelist/sha256.h"

namespace stockade::testing {

namespace fs = std::filesystem;

std::string example_plugins_dir() {
  if (const char* env = std::getenv("STOCKADE_EXAMPLE_PLUGINS_DIR"); env != nullptr && *env != '\0') return env;
  return STOCKADE_EXAMPLE_PLUGINS_DIR;
}

PluginsDir::PluginsDir() : plugins_(dir_.file("plugins")) { fs::create_directory(plugins_); }

void PluginsDir::add(const std::string& name, const std::function<void(nlohmann::json&)>& patch) {
  const std::string source = example_plugins_dir() + "/" + name;
  auto manifest = nlohmann::json::parse(read_file(source + "/plugin.json"));
  if (patch) patch(manifest);
  std::string endpoint = manifest.value("endpoint", name);
  add_binary(name, source + "/" + endpoint, manifest);
}

void PluginsDir::add_binary(const std::string& name, const std::string& binary, nlohmann::json manifest) {
  const std::string folder = plugins_ + "/" + name;
  fs::create_directory(folder);
  std::string endpoint = manifest.value("endpoint", name);
  const std::string target = folder + "/" + endpoint;
  fs::copy_file(binary, target, fs::copy_options::overwrite_existing);
  fs::permissions(target, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                              fs::perms::others_read | fs::perms::others_exec);
  write_file(folder + "/plugin.json", manifest.dump(2));
  binaries_.emplace_back(manifest.value("name", name), target);
}

void PluginsDir::remove(const std::string& name) {
  fs::remove_all(plugins_ + "/" + name);
  std::erase_if(binaries_, [&](const auto& entry) { return entry.first == name; });
}

std::string PluginsDir::write_whitelist(bool include_all) const {
  std::string text;
  if (include_all) {
    for (const auto& [name, path] : binaries_) {
      UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
      auto digest = sha256_of_fd(fd.get());
      if (!digest) throw std::runtime_error(digest.error().message());
      text += to_hex(*digest) + "  " + name + "\n";
    }
  }
  write_file(whitelist_path(), text);
  return whitelist_path();
}

std::unique_ptr<supervisor::Supervisor> make_supervisor(
    PluginsDir& dir, const std::function<void(supervisor::SupervisorOptions&)>& tweak) {
  supervisor::SupervisorOptions options;
  options.plugins_dir = dir.path();
  options.whitelist = dir.write_whitelist();
  options.shutdown_grace = std::chrono::milliseconds(500);
  options.health_checks = false;
  if (tweak) tweak(options);
  if (!options.whitelist.empty() && options.whitelist != dir.whitelist_path()) {
    throw std::logic_error("tests use the PluginsDir whitelist");
  }
  auto sup = supervisor::Supervisor::create(options);
  if (!sup) throw std::runtime_error(sup.error().message());
  return std::move(*sup);
}

supervisor::Bytes to_bytes(const std::string& text) { return {text.begin(), text.end()}; }
std::string to_text(const supervisor::Bytes& bytes) { return {bytes.begin(), bytes.end()}; }

supervisor::PluginStatus status_of(supervisor::Supervisor& sup, const std::string& name) {
  for (auto& s : sup.status()) {
    if (s.name == name) return s;
  }
  throw std::runtime_error("no status for " + name);
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds limit) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return condition();
}

}  // namespace stockade::testing
