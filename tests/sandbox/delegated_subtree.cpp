#include "tests/sandbox/delegated_subtree.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "base/unique_fd.h"

namespace stockade::sandbox::test {

std::string cgroup2_mount() {
  std::ifstream mounts("/proc/self/mountinfo");
  std::string line;
  while (std::getline(mounts, line)) {
    // "id parent maj:min root mountpoint options ... - fstype source superoptions"
    auto dash = line.find(" - ");
    if (dash == std::string::npos || line.compare(dash + 3, 8, "cgroup2 ") != 0) continue;
    std::istringstream left(line.substr(0, dash));
    std::string id, parent, device, root, mount_point;
    left >> id >> parent >> device >> root >> mount_point;
    if (root == "/") return mount_point;
  }
  return {};
}

std::vector<std::string> cgroup_words(const std::string& path) {
  std::ifstream file(path);
  std::vector<std::string> words;
  std::string word;
  while (file >> word) words.push_back(word);
  return words;
}

bool has_word(const std::vector<std::string>& words, const std::string& word) {
  return std::find(words.begin(), words.end(), word) != words.end();
}

bool write_cgroup_file(const std::string& path, const std::string& content) {
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (fd.get() < 0) return false;
  return write(fd.get(), content.data(), content.size()) == static_cast<ssize_t>(content.size());
}

bool cgroup_populated(const std::string& dir) {
  const std::vector<std::string> events = cgroup_words(dir + "/cgroup.events");
  for (size_t i = 0; i + 1 < events.size(); ++i) {
    if (events[i] == "populated") return events[i + 1] != "0";
  }
  return false;  // gone, or not a cgroup
}

DelegatedSubtree::DelegatedSubtree(const std::string& parent, uid_t uid) {
  static std::atomic<int> counter{0};
  const std::string path = parent + "/stockade-test-delegated-" + std::to_string(getpid()) + "-" +
                           std::to_string(counter.fetch_add(1));
  if (mkdir(path.c_str(), 0755) != 0) {
    error_ = "mkdir " + path + ": " + std::strerror(errno);
    return;
  }
  path_ = path;
  // What systemd's Delegate= hands over: the directory and the three files
  // through which the delegate moves processes and passes controllers on.
  for (const std::string& file : {path, path + "/cgroup.procs", path + "/cgroup.subtree_control",
                                  path + "/cgroup.threads"}) {
    if (chown(file.c_str(), uid, uid) != 0) {
      error_ = "chown " + file + ": " + std::strerror(errno);
      (void)remove();
      return;
    }
  }
}

DelegatedSubtree::~DelegatedSubtree() { (void)remove(); }

std::string DelegatedSubtree::remove() {
  if (path_.empty()) return {};
  namespace fs = std::filesystem;
  // cgroup.kill kills the whole subtree, whatever the delegate made below.
  (void)write_cgroup_file(path_ + "/cgroup.kill", "1");
  // The killed processes leave the cgroup as they finish exiting; an
  // outright hang here would be a kernel bug, so the wait is generous.
  for (int i = 0; i < 10000; ++i) {
    if (!cgroup_populated(path_)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::vector<std::string> dirs;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(path_, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->is_directory(ec) && !it->is_symlink(ec)) dirs.push_back(it->path().string());
  }
  // Deepest first: a cgroup with children cannot be removed.
  std::sort(dirs.begin(), dirs.end(), [](const std::string& a, const std::string& b) {
    return a.size() > b.size();
  });
  dirs.push_back(path_);
  std::string left;
  for (const auto& dir : dirs) {
    if (rmdir(dir.c_str()) != 0 && errno != ENOENT)
      left += (left.empty() ? "" : "; ") + dir + ": " + std::strerror(errno);
  }
  if (left.empty()) path_.clear();
  return left;
}

}  // namespace stockade::sandbox::test
