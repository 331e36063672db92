#include "sandbox/mount_plan.h"

#include <fcntl.h>
#include <linux/mount.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace stockade::sandbox {
namespace {

constexpr unsigned long kReadOnlyExec = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
constexpr unsigned long kReadOnlyData = kReadOnlyExec | MOUNT_ATTR_NOEXEC;
// Device nodes must not be nodev. They stay writable: writing to /dev/null
// is no write to the host, and the nodes are bound one by one.
constexpr unsigned long kDeviceNode = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC;

}  // namespace

Status check_sandbox_path(const std::string& path, const char* field) {
  auto bad = [&](const char* why) {
    return Error{Errc::invalid_input, "path \"" + path + "\" " + why, field, 0};
  };
  if (path.empty() || path[0] != '/') return bad("is not absolute");
  if (path == "/") return bad("would expose the host's whole root");
  if (path.find('\0') != std::string::npos) return bad("contains NUL");
  if (path.back() == '/') return bad("ends with /");
  if (path.find("//") != std::string::npos) return bad("contains //");
  if (path.find("/./") != std::string::npos || path.ends_with("/.")) return bad("contains .");
  if (path.find("/../") != std::string::npos || path.ends_with("/..")) return bad("contains ..");
  return {};
}

const char* MountPlan::keep(std::string text) {
  strings_.push_back(std::move(text));
  return strings_.back().c_str();
}

void MountPlan::add(MountOp::Kind kind, const std::string& inside, const char* data,
                    unsigned long flags, std::string description) {
  ops_.push_back(MountOp{kind, keep(kNewRootMountPoint + inside), nullptr, -1, nullptr, data, flags});
  descriptions_.push_back(std::move(description));
}

void MountPlan::mkdir_parents(const std::string& inside) {
  for (size_t slash = inside.find('/', 1); slash != std::string::npos;
       slash = inside.find('/', slash + 1)) {
    std::string dir = inside.substr(0, slash);
    if (std::find(made_dirs_.begin(), made_dirs_.end(), dir) != made_dirs_.end()) continue;
    made_dirs_.push_back(dir);
    add(MountOp::Kind::mkdir, dir, nullptr, 0, "mkdir " + dir);
  }
}

Status MountPlan::bind(const std::string& host_path, unsigned long attrs, bool required) {
  struct stat info;
  if (stat(host_path.c_str(), &info) != 0) {
    if (!required && errno == ENOENT) return {};
    return sys_error("sandbox step bind " + host_path);
  }
  mkdir_parents(host_path);
  if (S_ISDIR(info.st_mode)) {
    made_dirs_.push_back(host_path);
    add(MountOp::Kind::mkdir, host_path, nullptr, 0, "mkdir " + host_path);
  } else {
    add(MountOp::Kind::touch, host_path, nullptr, 0, "create " + host_path);
  }
  add(MountOp::Kind::bind, host_path, nullptr, attrs, "bind " + host_path);
  MountOp& op = ops_.back();
  op.host_path = keep(host_path);
  op.source_fd = next_source_fd_++;
  op.source_path = keep("/proc/self/fd/" + std::to_string(op.source_fd));
  return {};
}

Result<MountPlan> MountPlan::build(const Policy& policy, int first_source_fd) {
  for (const auto& path : policy.readonly_paths) {
    if (auto s = check_sandbox_path(path, "sandbox.readonly_paths"); !s) return std::move(s).error();
  }
  MountPlan plan;
  plan.next_source_fd_ = first_source_fd;
  if (auto s = plan.bind("/usr", kReadOnlyExec, true); !s) return std::move(s).error();
  // Merged-/usr hosts have these as symlinks (lib64 -> usr/lib64 holds the
  // ELF interpreter); others as directories.
  for (const char* name : {"/lib", "/lib32", "/lib64", "/libx32", "/bin", "/sbin"}) {
    struct stat info;
    if (lstat(name, &info) != 0) continue;
    if (S_ISLNK(info.st_mode)) {
      char target[4096];
      ssize_t n = readlink(name, target, sizeof(target) - 1);
      if (n < 0) return sys_error("sandbox step symlink", name);
      const char* data = plan.keep(std::string(target, static_cast<size_t>(n)));
      plan.add(MountOp::Kind::symlink, name, data, 0, std::string("symlink ") + name);
    } else if (S_ISDIR(info.st_mode)) {
      if (auto s = plan.bind(name, kReadOnlyExec, true); !s) return std::move(s).error();
    }
  }
  if (auto s = plan.bind("/etc/ld.so.cache", kReadOnlyData, false); !s)
    return std::move(s).error();
  for (const char* node : {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom"}) {
    if (auto s = plan.bind(node, kDeviceNode, true); !s) return std::move(s).error();
  }
  const std::pair<const char*, const char*> dev_links[] = {{"/dev/fd", "/proc/self/fd"},
                                                           {"/dev/stdin", "/proc/self/fd/0"},
                                                           {"/dev/stdout", "/proc/self/fd/1"},
                                                           {"/dev/stderr", "/proc/self/fd/2"}};
  for (const auto& [link, target] : dev_links) {
    plan.add(MountOp::Kind::symlink, link, target, 0, std::string("symlink ") + link);
  }
  plan.add(MountOp::Kind::mkdir, "/proc", nullptr, 0, "mkdir /proc");
  plan.add(MountOp::Kind::proc, "/proc", "subset=pid", MS_NOSUID | MS_NODEV | MS_NOEXEC,
           "mount proc /proc");
  plan.add(MountOp::Kind::mkdir, "/tmp", nullptr, 0, "mkdir /tmp");
  plan.made_dirs_.push_back("/tmp");
  const char* tmp_options =
      plan.keep("size=" + std::to_string(policy.tmp_bytes) + ",mode=1777,nr_inodes=16384");
  plan.add(MountOp::Kind::tmpfs, "/tmp", tmp_options, MS_NOSUID | MS_NODEV | MS_NOEXEC,
           "mount tmpfs /tmp");
  for (const auto& path : policy.readonly_paths) {
    if (auto s = plan.bind(path, kReadOnlyData, true); !s) return std::move(s).error();
  }
  return plan;
}

}  // namespace stockade::sandbox
