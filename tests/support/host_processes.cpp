#include "tests/support/host_processes.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

namespace stockade::testing {

namespace {

std::optional<std::string> read_link(const std::string& path) {
  char target[256];
  ssize_t n = readlink(path.c_str(), target, sizeof target - 1);
  if (n <= 0) return std::nullopt;
  return std::string(target, static_cast<size_t>(n));
}

std::vector<std::string> numeric_entries(const char* dir_path) {
  std::vector<std::string> names;
  DIR* dir = opendir(dir_path);
  if (dir == nullptr) return names;
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] >= '0' && entry->d_name[0] <= '9') names.emplace_back(entry->d_name);
  }
  closedir(dir);
  return names;
}

}  // namespace

std::optional<std::string> pid_namespace_of(pid_t pid) {
  return read_link("/proc/" + std::to_string(pid) + "/ns/pid");
}

std::optional<HeldPidNamespace> hold_pid_namespace(pid_t pid) {
  const std::string path = "/proc/" + std::to_string(pid) + "/ns/pid";
  UniqueFd handle(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!handle) return std::nullopt;
  // The name of the very namespace held, not of whatever the path shows now.
  auto name = read_link("/proc/self/fd/" + std::to_string(handle.get()));
  if (!name) return std::nullopt;
  return HeldPidNamespace{std::move(*name), std::move(handle)};
}

std::vector<pid_t> processes_in_pid_namespace(const std::string& ns) {
  std::vector<pid_t> found;
  for (const std::string& name : numeric_entries("/proc")) {
    pid_t pid = std::atoi(name.c_str());
    if (read_link("/proc/" + name + "/ns/pid") == ns && process_alive(pid)) found.push_back(pid);
  }
  return found;
}

std::vector<int> open_fds() {
  std::vector<int> fds;
  // Read the names first, then drop the directory's own descriptor.
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return fds;
  int own = dirfd(dir);
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    int fd = std::atoi(entry->d_name);
    if (fd == own) continue;
    // stockade-init's sealed memfd: the sandbox library creates it at the
    // first spawn and keeps it for the life of the process; not a leak.
    char target[64] = {};
    std::string link = std::string("/proc/self/fd/") + entry->d_name;
    ssize_t n = readlink(link.c_str(), target, sizeof(target) - 1);
    if (n > 0 && std::string(target, static_cast<size_t>(n)).rfind("/memfd:stockade-init", 0) == 0)
      continue;
    // The spare network namespaces made ahead for launches (at most two,
    // sandbox/spare_netns.h): taken and replaced by every spawn, so their
    // numbers change; not a leak. The test of their use is in isolation_test.
    if (n > 0 && std::string(target, static_cast<size_t>(n)).rfind("net:[", 0) == 0) continue;
    fds.push_back(fd);
  }
  closedir(dir);
  return fds;
}

bool process_alive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  // The state follows the command's closing parenthesis.
  size_t close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] != 'Z' &&
         line[close + 2] != 'X';
}

}  // namespace stockade::testing
