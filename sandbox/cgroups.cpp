#include "sandbox/cgroups.h"
#include "base/error.h"
#include "sandbox/sandbox.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <mutex>
#include <string_view>
#include <thread>
#include <utility>

#include "base/syscall.h"
#include "sandbox/cgroup_delegation.h"
#include "sandbox/cgroup_files.h"

namespace stockade::sandbox {
namespace {

constexpr uint64_t kCpuPeriodUs = 100000;

// Where each hierarchy is mounted and where this process sits in it.
struct CgroupLayout {
  std::string v2_dir;                            // where v2 stockade/ goes (v2.base_dir), or empty
  std::map<std::string, std::string> v1_dirs;    // controller -> mount + own path
  V2Delegation v2;                               // what preparing the v2 cgroup did
};

using OwnPaths = std::map<std::string, std::string, std::less<>>;  // "" for v2, controller for v1

// Where this process sits in each hierarchy, from /proc/self/cgroup. Read
// once, by detect_layout(); the v2 path may change right after (the leaf move).
OwnPaths read_own_cgroup_paths() {
  OwnPaths own_paths;
  const std::string self = read_small_file("/proc/self/cgroup");
  for (std::string_view line : split(self, '\n')) {
    // "hierarchy-id:controller,list:path"
    auto first = line.find(':');
    auto second = line.find(':', first + 1);
    if (first == std::string_view::npos || second == std::string_view::npos) continue;
    std::string_view controllers = line.substr(first + 1, second - first - 1);
    std::string path(line.substr(second + 1));
    if (controllers.empty()) {
      own_paths[""] = path;
    } else {
      for (auto c : split(controllers, ',')) own_paths[std::string(c)] = path;
    }
  }
  return own_paths;
}

CgroupLayout detect_layout() {
  const OwnPaths own_paths = read_own_cgroup_paths();
  CgroupLayout layout;
  std::string v2_mount, v2_own_path;
  const std::string mounts = read_small_file("/proc/self/mountinfo");
  for (std::string_view line : split(mounts, '\n')) {
    // "id parent maj:min root mountpoint options ... - fstype source superoptions"
    auto dash = line.find(" - ");
    if (dash == std::string_view::npos) continue;
    auto left = split(line.substr(0, dash), ' ');
    auto right = split(line.substr(dash + 3), ' ');
    if (left.size() < 5 || right.size() < 3) continue;
    if (left[3] != "/") continue;  // a bind of a sub-cgroup: our paths would not resolve
    const std::string mount_point(left[4]);
    if (right[0] == "cgroup2") {
      if (auto own = own_paths.find(""); own != own_paths.end()) {
        v2_mount = mount_point;
        v2_own_path = own->second;
      }
    } else if (right[0] == "cgroup") {
      for (auto option : split(right[2], ',')) {
        auto own = own_paths.find(option);
        if (own != own_paths.end() && !layout.v1_dirs.count(own->first))
          layout.v1_dirs[own->first] = mount_point + own->second;
      }
    }
  }
  // Once, before the first group: it may move this process into a leaf
  // (cgroup_delegation.h), so every later group sees the controllers.
  if (!v2_mount.empty()) {
    layout.v2 = prepare_v2_delegation(v2_mount, v2_own_path, {"memory", "pids", "cpu"});
    layout.v2_dir = layout.v2.base_dir;
  }
  return layout;
}

const CgroupLayout& layout() {
  static const CgroupLayout cached = detect_layout();
  return cached;
}

// A group that is empty this long after its creation belongs to nobody: a
// launch puts its child into the group within the setup timeout (10 s), and
// a live sandbox's group is never empty (the kernel refuses its rmdir).
constexpr int64_t kStaleAfterSeconds = 60;

int64_t unix_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// sbx-t<creation time>-<random>: the plugin reads this name in its own
// /proc/self/cgroup (v1, joined after its cgroup namespace was made), so it
// holds nothing of the host it could not know anyway (no supervisor pid:
// the old sbx-<pid>-<n> told it). The time is the liveness record stale-group
// pruning needs, together with the kernel's refusal to remove a populated
// group.
std::string unique_name() {
  static std::atomic<uint64_t> counter{0};
  uint64_t random = 0;
  if (getrandom(&random, sizeof(random), GRND_NONBLOCK) != static_cast<ssize_t>(sizeof(random)))
    random = counter.fetch_add(1) ^ (static_cast<uint64_t>(getpid()) << 32);  // unique is enough
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(random));
  return "sbx-t" + std::to_string(unix_seconds()) + "-" + hex;
}

// Removes the groups of dead supervisors under `base`. Called at start and
// then periodically (the runtime's janitor), so a long-running host also
// cleans up after a neighbour killed later; serialised, off the launch path.
void prune_stale_groups(const std::string& base) {
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  DIR* dir = opendir(base.c_str());
  if (dir == nullptr) return;
  const int64_t now = unix_seconds();
  while (dirent* entry = readdir(dir)) {
    long long created = 0;
    int owner = 0;
    char rest = 0;
    if (std::sscanf(entry->d_name, "sbx-t%lld-%c", &created, &rest) == 2) {
      if (now - created < kStaleAfterSeconds) continue;  // may be a launch in progress
    } else if (std::sscanf(entry->d_name, "sbx-%d-", &owner) == 1) {
      // The names of older releases: sbx-<supervisor pid>-<n>.
      if (owner == getpid() || kill(owner, 0) == 0 || errno != ESRCH) continue;
    } else {
      continue;
    }
    (void)rmdir((base + "/" + entry->d_name).c_str());  // EBUSY: still in use, keep
  }
  closedir(dir);
}

// mkdir <parent>/stockade/<name>; false (and nothing created) when the
// hierarchy is not writable for us.
bool make_group_dir(const std::string& parent, const std::string& name, std::string& out) {
  std::string base = parent + "/stockade";
  if (mkdir(base.c_str(), 0755) != 0 && errno != EEXIST) return false;
  std::string dir = base + "/" + name;
  if (mkdir(dir.c_str(), 0755) != 0) return false;
  out = dir;
  return true;
}

std::string cpu_quota_us(double cores) {
  return std::to_string(static_cast<uint64_t>(std::ceil(cores * kCpuPeriodUs)));
}

}  // namespace

SandboxCgroup& SandboxCgroup::operator=(SandboxCgroup&& other) noexcept {
  if (this != &other) {
    remove();
    v2_dir_fd_ = std::move(other.v2_dir_fd_);
    v2_dir_ = std::exchange(other.v2_dir_, {});
    v1_dirs_ = std::exchange(other.v1_dirs_, {});
    placement_fds_ = std::move(other.placement_fds_);
    oom_file_ = std::exchange(other.oom_file_, {});
    memory_how_ = std::move(other.memory_how_);
    pids_how_ = std::move(other.pids_how_);
    cpu_how_ = std::move(other.cpu_how_);
    name_ = std::move(other.name_);
    v1_used_ = std::exchange(other.v1_used_, {});
    cpu_usage_file_ = std::exchange(other.cpu_usage_file_, {});
    cpu_usage_how_ = std::exchange(other.cpu_usage_how_, {});
  }
  return *this;
}

SandboxCgroup::~SandboxCgroup() { remove(); }

Result<SandboxCgroup> SandboxCgroup::create_v2(const ResourceLimits& limits, bool cpu_quota) {
  SandboxCgroup group;
  group.name_ = unique_name();
  const CgroupLayout& where = layout();
  // A v2 group wherever the v2 hierarchy is writable, even with none of our
  // controllers (the hybrid layout): its core files still account the CPU
  // time of every process it ever held (cpu.stat, the sandbox's CPU budget)
  // and kill them all at once (cgroup.kill). One mkdir and one rmdir a launch.
  if (where.v2_dir.empty() || !make_group_dir(where.v2_dir, group.name_, group.v2_dir_))
    return group;
  const std::string& dir = group.v2_dir_;
  if (file_exists(dir + "/cpu.stat")) {
    group.cpu_usage_file_ = dir + "/cpu.stat";
    group.cpu_usage_how_ = "cgroup v2 cpu.stat";
  }
  if (file_exists(dir + "/memory.max")) {
    if (auto s = write_file(dir + "/memory.max", std::to_string(limits.memory_bytes)); !s)
      return std::move(s).error();
    if (file_exists(dir + "/memory.swap.max")) {
      if (auto s = write_file(dir + "/memory.swap.max", "0"); !s) return std::move(s).error();
    }
    group.memory_how_ = "cgroup v2 memory.max=" + std::to_string(limits.memory_bytes);
    group.oom_file_ = dir + "/memory.events";
  }
  if (file_exists(dir + "/pids.max")) {
    if (auto s = write_file(dir + "/pids.max", std::to_string(limits.processes)); !s)
      return std::move(s).error();
    group.pids_how_ = "cgroup v2 pids.max=" + std::to_string(limits.processes);
  }
  if (cpu_quota && file_exists(dir + "/cpu.max")) {
    std::string value = cpu_quota_us(limits.cpu_cores) + " " + std::to_string(kCpuPeriodUs);
    if (auto s = write_file(dir + "/cpu.max", value); !s) return std::move(s).error();
    group.cpu_how_ = "cgroup v2 cpu.max=" + value;
  }
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return sys_error("opening the sandbox cgroup", dir);
  group.v2_dir_fd_.reset(fd);
  return group;
}

Status SandboxCgroup::add_v1(const ResourceLimits& limits, bool cpu_quota) {
  const CgroupLayout& where = layout();
  auto use_v1 = [&](const std::string& controller, std::string& dir) {
    auto it = where.v1_dirs.find(controller);
    if (it == where.v1_dirs.end()) return false;
    if (!make_group_dir(it->second, name_, dir)) return false;
    v1_dirs_.push_back(dir);
    v1_used_.push_back(controller);
    return true;
  };
  // The `tasks` file of a v1 group, for placement_fds().
  auto open_tasks = [&](const std::string& dir) -> Status {
    int fd = open((dir + "/tasks").c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return sys_error("opening the cgroup's tasks file", dir + "/tasks");
    placement_fds_.emplace_back(fd);
    return {};
  };
  std::string dir;
  if (!memory_limited() && use_v1("memory", dir)) {
    const std::string bytes = std::to_string(limits.memory_bytes);
    if (auto s = write_file(dir + "/memory.limit_in_bytes", bytes); !s) return s;
    memory_how_ = "cgroup v1 memory.limit_in_bytes=" + bytes;
    // With swap accounting, also cap memory+swap so the limit is not
    // stretched by swapping out.
    if (file_exists(dir + "/memory.memsw.limit_in_bytes")) {
      if (auto s = write_file(dir + "/memory.memsw.limit_in_bytes", bytes); !s) return s;
      memory_how_ += " memory.memsw.limit_in_bytes=" + bytes;
    }
    oom_file_ = dir + "/memory.oom_control";
    if (auto s = open_tasks(dir); !s) return s;
  }
  if (!pids_limited() && use_v1("pids", dir)) {
    const std::string count = std::to_string(limits.processes);
    if (auto s = write_file(dir + "/pids.max", count); !s) return s;
    pids_how_ = "cgroup v1 pids.max=" + count;
    if (auto s = open_tasks(dir); !s) return s;
  }
  std::string cpu_dir;
  if (cpu_quota && !cpu_limited() && use_v1("cpu", dir)) {
    const std::string quota = cpu_quota_us(limits.cpu_cores);
    if (auto s = write_file(dir + "/cpu.cfs_period_us", std::to_string(kCpuPeriodUs)); !s) return s;
    if (auto s = write_file(dir + "/cpu.cfs_quota_us", quota); !s) return s;
    cpu_how_ = "cgroup v1 cpu.cfs_quota_us=" + quota + "/" + std::to_string(kCpuPeriodUs);
    if (auto s = open_tasks(dir); !s) return s;
    cpu_dir = dir;
  }
  // Without a v2 group, v1 cpuacct keeps the sandbox's CPU account (dead
  // processes included). Often mounted together with cpu: the group made
  // above is then the same directory.
  if (cpu_usage_file_.empty() && where.v1_dirs.count("cpuacct")) {
    auto cpu = where.v1_dirs.find("cpu");
    const bool shared = !cpu_dir.empty() && cpu != where.v1_dirs.end() &&
                        cpu->second == where.v1_dirs.at("cpuacct");
    if (shared) {
      cpu_usage_file_ = cpu_dir + "/cpuacct.usage";
    } else if (use_v1("cpuacct", dir)) {
      cpu_usage_file_ = dir + "/cpuacct.usage";
      if (auto s = open_tasks(dir); !s) return s;
    }
    if (!cpu_usage_file_.empty()) cpu_usage_how_ = "cgroup v1 cpuacct";
  }
  return {};
}

std::optional<uint64_t> SandboxCgroup::cpu_usage_us() const {
  if (cpu_usage_file_.empty()) return std::nullopt;
  const std::string text = read_small_file(cpu_usage_file_);
  // v2 cpu.stat: "usage_usec N" lines; v1 cpuacct.usage: one number, in ns.
  std::string_view digits = text;
  const bool v2 = cpu_usage_file_.ends_with("/cpu.stat");
  if (v2) {
    constexpr std::string_view kKey = "usage_usec ";
    if (!digits.starts_with(kKey)) {
      auto at = digits.find("\nusage_usec ");
      if (at == std::string_view::npos) return std::nullopt;
      digits.remove_prefix(at + 1);
    }
    digits.remove_prefix(kKey.size());
  }
  uint64_t value = 0;
  size_t used = 0;
  for (char c : digits) {
    if (c < '0' || c > '9' || value > UINT64_MAX / 10) break;
    value = value * 10 + static_cast<uint64_t>(c - '0');
    ++used;
  }
  if (used == 0) return std::nullopt;  // unreadable (removed, say): no knowledge
  return v2 ? value : value / 1000;
}

std::string SandboxCgroup::summary() const {
  if (v2_dir_.empty() && v1_dirs_.empty()) return "none (no writable cgroup hierarchy; rlimits only)";
  if (v1_dirs_.empty()) return "v2";
  std::string text = "v1 (";
  for (size_t i = 0; i < v1_used_.size(); ++i) text += (i ? ", " : "") + v1_used_[i];
  return text + (v2_dir_.empty() ? ")" : ") + v2");
}

void SandboxCgroup::kill_all() const {
  if (v2_dir_.empty()) return;
  // Best effort: the pid namespace's init dying kills the rest anyway.
  (void)write_file(v2_dir_ + "/cgroup.kill", "1");
}

uint64_t SandboxCgroup::oom_kills() const {
  if (oom_file_.empty()) return 0;
  // "key value" lines, in v2 memory.events as in v1 memory.oom_control.
  const std::string text = read_small_file(oom_file_);
  for (std::string_view line : split(text, '\n')) {
    constexpr std::string_view kKey = "oom_kill ";
    if (!line.starts_with(kKey)) continue;
    uint64_t value = 0;
    for (char c : line.substr(kKey.size())) {
      if (c < '0' || c > '9') return value;
      value = value * 10 + static_cast<uint64_t>(c - '0');
    }
    return value;
  }
  return 0;
}

void SandboxCgroup::remove() {
  // The last processes of a killed pid namespace may still be leaving the
  // cgroup for a moment after the init was reaped: rmdir then says EBUSY.
  auto remove_dir = [](const std::string& dir) {
    for (int attempt = 0; attempt < 200; ++attempt) {
      if (rmdir(dir.c_str()) == 0 || errno == ENOENT) return;
      if (errno != EBUSY) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  };
  v2_dir_fd_.reset();
  if (!v2_dir_.empty()) remove_dir(std::exchange(v2_dir_, {}));
  placement_fds_.clear();
  for (const auto& dir : v1_dirs_) remove_dir(dir);
  v1_dirs_.clear();
}

CgroupSetupNote prepare_cgroups() {
  const V2Delegation& v2 = layout().v2;
  CgroupSetupNote note;
  note.message = v2.message;
  if (v2.note == V2Delegation::Note::moved) note.level = CgroupSetupNote::Level::info;
  if (v2.note == V2Delegation::Note::failed) note.level = CgroupSetupNote::Level::warning;
  return note;
}

void prune_stale_cgroups() {
  const CgroupLayout& where = layout();
  if (!where.v2_dir.empty()) prune_stale_groups(where.v2_dir + "/stockade");
  for (const auto& [controller, dir] : where.v1_dirs) prune_stale_groups(dir + "/stockade");
}

}  // namespace stockade::sandbox
