#include "sandbox/mount_plan.h"
#include "whitelist/pinned_label.h"
#include "base/error.h"

#include <fcntl.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace stockade::sandbox {
namespace {

constexpr unsigned long kReadOnlyExec = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
constexpr unsigned long kReadOnlyData = kReadOnlyExec | MOUNT_ATTR_NOEXEC;
// Device nodes must not be nodev. Read-only still lets a plugin write to
// /dev/null (a device's write is the driver's, not the mount's), but no
// longer set the host node's times (utimensat with a null time needs only
// write permission, which 0666 gives) or its mode.
constexpr unsigned long kDeviceNode = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC;
// The binary: exec'd from here, so not noexec.
constexpr unsigned long kBinary = kReadOnlyExec;

constexpr uint64_t kResolveNoLinks = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;

long open_how_at(int dirfd, const char* path, uint64_t flags, uint64_t resolve) {
  open_how how{};
  how.flags = flags;
  how.resolve = resolve;
  return syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

// "/srv/data/x" beneath "/srv/data" is "x"; the prefix itself is ".".
// The errnos whose reason says more than strerror ("contains a symbolic
// link" for ELOOP); for the others a step's message is strerror alone.
bool adds_to_strerror(int err) {
  return err == ELOOP || err == EXDEV || err == EMEDIUMTYPE || err == EACCES || err == ENOSYS;
}

std::string relative_to(const std::string& path, const std::string& beneath) {
  if (path.size() == beneath.size()) return ".";
  return path.substr(beneath == "/" ? 1 : beneath.size() + 1);
}

bool within(const std::string& path, const std::string& prefix) {
  if (prefix == "/") return !path.empty() && path[0] == '/';
  return path.compare(0, prefix.size(), prefix) == 0 &&
         (path.size() == prefix.size() || path[prefix.size()] == '/');
}


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

Result<UniqueFd> open_beneath(const std::string& beneath, const std::string& path) {
  if (!within(path, beneath)) {
    return Error{Errc::refused, path + " is not beneath " + beneath, "open_beneath", 0};
  }
  long prefix = open_how_at(AT_FDCWD, beneath.c_str(), O_PATH | O_CLOEXEC | O_DIRECTORY,
                            kResolveNoLinks);
  if (prefix < 0) {
    int err = errno;
    return Error{err == ENOENT ? Errc::not_found : Errc::refused,
                 "the granted prefix " + beneath + " " + bind_failure_reason(err), "openat2", err};
  }
  UniqueFd prefix_fd(static_cast<int>(prefix));
  long fd = open_how_at(prefix_fd.get(), relative_to(path, beneath).c_str(), O_PATH | O_CLOEXEC,
                        kResolveNoLinks | RESOLVE_BENEATH);
  if (fd < 0) {
    int err = errno;
    return Error{err == ENOENT ? Errc::not_found : Errc::refused,
                 path + " " + bind_failure_reason(err), "openat2", err};
  }
  return UniqueFd(static_cast<int>(fd));
}

std::string bind_failure_reason(int err) {
  switch (err) {
    case ELOOP:
      return "contains a symbolic link (granted paths are opened without following any; "
             "grant the path the link points to)";
    case EXDEV:
      return "leads outside its granted prefix";
    case EMEDIUMTYPE:
      return "is not of the type this bind needs (a granted path must be a directory or a "
             "regular file: a FIFO, socket or device would be a channel to the host)";
    case ENOENT:
      return "does not exist";
    case EACCES:
      return "is not reachable by the sandbox's user (a directory on the way lacks search "
             "permission for it)";
    case ENOSYS:
      return "cannot be opened safely: this kernel has no openat2 (Linux 5.6)";
    default:
      return std::string("cannot be opened: ") + std::strerror(err);
  }
}

Error MountPlan::step_error(int index, int err) const {
  if (index < 0 || index >= count()) return sys_error("sandbox step mount", {}, err);
  std::string what = "sandbox step " + describe(index);
  if (ops_[index].kind == MountOp::Kind::bind && adds_to_strerror(err))
    what += ": " + bind_failure_reason(err);
  return sys_error(std::move(what), {}, err);
}

const char* MountPlan::keep(std::string text) {
  strings_.push_back(std::move(text));
  return strings_.back().c_str();
}

void MountPlan::add(MountOp::Kind kind, const std::string& inside, const char* data,
                    unsigned long flags, std::string description) {
  MountOp op{};
  op.kind = kind;
  op.target = keep(kNewRootMountPoint + inside);
  op.source_fd = -1;
  op.data = data;
  op.flags = flags;
  ops_.push_back(op);
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

// The parent opens the source as the child will, for an early, clear error
// and to know whether it is a directory (later binds below it need no
// mkdir). The child opens it again and decides by what it opened: this
// look is only a plan.
Status MountPlan::bind(const std::string& host_path, const std::string& beneath,
                       unsigned long attrs, SourceType type, bool required) {
  auto opened = open_beneath(beneath, host_path);
  if (!opened) {
    if (!required && opened.error().sys_errno == ENOENT) return {};
    Error e = std::move(opened).error();
    // "PATH contains a symbolic link" reads "sandbox step bind PATH:
    // contains a symbolic link"; where strerror says it all, it alone.
    if (e.what.rfind(host_path + " ", 0) == 0) {
      e.what = adds_to_strerror(e.sys_errno)
                   ? "sandbox step bind " + host_path + ": " + e.what.substr(host_path.size() + 1)
                   : "sandbox step bind " + host_path;
    } else {
      e.what = "sandbox step bind " + host_path + ": " + e.what;
    }
    e.where.clear();
    return e;
  }
  struct stat info;
  if (fstat(opened->get(), &info) != 0) return sys_error("sandbox step bind " + host_path, "fstat");
  const bool right_type = type == SourceType::char_device
                              ? S_ISCHR(info.st_mode)
                              : S_ISDIR(info.st_mode) || S_ISREG(info.st_mode);
  if (!right_type) {
    return sys_error("sandbox step bind " + host_path + ": " + bind_failure_reason(EMEDIUMTYPE),
                     {}, EMEDIUMTYPE);
  }
  mkdir_parents(host_path);
  if (S_ISDIR(info.st_mode)) made_dirs_.push_back(host_path);
  add(MountOp::Kind::bind, host_path, nullptr, attrs, "bind " + host_path);
  MountOp& op = ops_.back();
  op.beneath = keep(beneath);
  op.relative = keep(relative_to(host_path, beneath));
  op.source_type = type;
  op.source_fd = next_source_fd_++;
  op.source_path = keep("/proc/self/fd/" + std::to_string(op.source_fd));
  return {};
}

// The binary's host path is only a way to reach the same inode from the
// child's mount namespace: the child binds it only if what it opened there
// has the verified fd's st_dev and st_ino. A binary renamed over, unlinked,
// or with no path at all (a memfd) is simply not bound, and runs from the
// verified fd as before (its /proc/self/exe then shows that fd's path).
void MountPlan::bind_binary(int binary_fd, const Policy& policy) {
  if (binary_fd < 0) return;
  for (const auto& path : policy.readonly_paths) {
    if (within(kBinaryInsidePath, path) || within(path, "/run")) return;
  }
  char target[4096];
  ssize_t n = readlink(("/proc/self/fd/" + std::to_string(binary_fd)).c_str(), target,
                       sizeof(target) - 1);
  if (n <= 1 || target[0] != '/') return;
  std::string host_path(target, static_cast<size_t>(n));
  if (!check_sandbox_path(host_path, "binary")) return;
  auto opened = open_beneath("/", host_path);
  if (!opened) return;
  struct stat here, verified;
  if (fstat(opened->get(), &here) != 0 || fstat(binary_fd, &verified) != 0) return;
  if (!S_ISREG(here.st_mode) || here.st_dev != verified.st_dev || here.st_ino != verified.st_ino)
    return;
  mkdir_parents(kBinaryInsidePath);
  add(MountOp::Kind::bind, kBinaryInsidePath, nullptr, kBinary,
      std::string("bind the binary at ") + kBinaryInsidePath);
  MountOp& op = ops_.back();
  op.beneath = "/";
  op.relative = keep(host_path.substr(1));
  op.source_type = SourceType::verified_binary;
  op.optional = true;
  op.source_fd = next_source_fd_++;
  op.source_path = keep("/proc/self/fd/" + std::to_string(op.source_fd));
  binds_binary_ = true;
}

Result<MountPlan> MountPlan::build(const Policy& policy, int first_source_fd, int binary_fd) {
  for (const auto& path : policy.readonly_paths) {
    if (auto s = check_sandbox_path(path, "sandbox.readonly_paths"); !s) return std::move(s).error();
  }
  if (!policy.readonly_prefixes.empty() &&
      policy.readonly_prefixes.size() != policy.readonly_paths.size()) {
    return Error{Errc::invalid_input, "must be empty or have one prefix per read-only path",
                 "Policy::readonly_prefixes", 0};
  }
  MountPlan plan;
  plan.next_source_fd_ = first_source_fd;
  if (auto s = plan.bind("/usr", "/", kReadOnlyExec, SourceType::directory_or_file, true); !s)
    return std::move(s).error();
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
      if (auto s = plan.bind(name, "/", kReadOnlyExec, SourceType::directory_or_file, true); !s)
        return std::move(s).error();
    }
  }
  if (auto s = plan.bind("/etc/ld.so.cache", "/", kReadOnlyData, SourceType::directory_or_file,
                         false);
      !s)
    return std::move(s).error();
  for (const char* node : {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom"}) {
    if (auto s = plan.bind(node, "/", kDeviceNode, SourceType::char_device, true); !s)
      return std::move(s).error();
  }
  const std::pair<const char*, const char*> dev_links[] = {{"/dev/fd", "/proc/self/fd"},
                                                           {"/dev/stdin", "/proc/self/fd/0"},
                                                           {"/dev/stdout", "/proc/self/fd/1"},
                                                           {"/dev/stderr", "/proc/self/fd/2"}};
  for (const auto& [link, target] : dev_links) {
    plan.add(MountOp::Kind::symlink, link, target, 0, std::string("symlink ") + link);
  }
  plan.add(MountOp::Kind::mkdir, "/proc", nullptr, 0, "mkdir /proc");
  // subset=pid: no /proc/sys, kcore, mounts, ... (5.8). Not hidepid: every
  // process of the sandbox has the same ids, so it would hide nothing but
  // what a process makes non-dumpable, and stockade-init, which reads every
  // process's /proc/<pid>/stat to account the sandbox's CPU time, would
  // lose sight of a plugin process that called PR_SET_DUMPABLE 0.
  plan.add(MountOp::Kind::proc, "/proc", "subset=pid",
           MS_NOSUID | MS_NODEV | MS_NOEXEC, "mount proc /proc");
  plan.add(MountOp::Kind::mkdir, "/tmp", nullptr, 0, "mkdir /tmp");
  plan.made_dirs_.push_back("/tmp");
  const char* tmp_options =
      plan.keep("size=" + std::to_string(policy.tmp_bytes) + ",mode=1777,nr_inodes=16384");
  plan.add(MountOp::Kind::tmpfs, "/tmp", tmp_options, MS_NOSUID | MS_NODEV | MS_NOEXEC,
           "mount tmpfs /tmp");
  for (size_t i = 0; i < policy.readonly_paths.size(); ++i) {
    const std::string& path = policy.readonly_paths[i];
    // Without a prefix from the operator (the sandbox API used directly), the
    // whole path must be free of symlinks.
    std::string beneath = policy.readonly_prefixes.empty() ? "/" : policy.readonly_prefixes[i];
    if (beneath.empty()) beneath = "/";
    if (beneath != "/") {
      if (auto s = check_sandbox_path(beneath, "Policy::readonly_prefixes"); !s)
        return std::move(s).error();
    }
    if (!within(path, beneath)) {
      return Error{Errc::refused, path + " is not beneath its granted prefix " + beneath,
                   "sandbox.readonly_paths", 0};
    }
    if (auto s = plan.bind(path, beneath, kReadOnlyData, SourceType::directory_or_file, true); !s)
      return std::move(s).error();
  }
  plan.bind_binary(binary_fd, policy);
  if (auto s = plan.provide_files(policy); !s) return std::move(s).error();
  return plan;
}

// A tmpfs of their own, sized for them, filled from the sealed fds, then
// read-only: the plugin cannot change what the interpreter reads, and the
// sandbox's /tmp budget is not spent on them.
Status MountPlan::provide_files(const Policy& policy) {
  if (policy.provided_files.empty()) return {};
  const std::string& folder = policy.provided_folder;
  if (auto s = check_sandbox_path(folder, "Policy::provided_folder"); !s) return s;
  for (const auto& path : policy.readonly_paths) {
    if (within(folder, path) || within(path, folder)) {
      return Error{Errc::refused, "overlaps the folder of the plugin's pinned files, " + folder,
                   "sandbox.readonly_paths", 0};
    }
  }
  uint64_t bytes = 64 * 1024;
  uint64_t inodes = 16;
  std::vector<std::string> dirs;
  for (const ProvidedFile& f : policy.provided_files) {
    if (f.fd < 0 || !is_pinnable_relative_path(f.relative)) {
      return Error{Errc::invalid_input, "a provided file needs an fd and a normalized relative path",
                   "Policy::provided_files: " + f.relative, 0};
    }
    bytes += (f.size + 4095) / 4096 * 4096 + 4096;
    inodes += 1;
    for (size_t slash = f.relative.find('/'); slash != std::string::npos;
         slash = f.relative.find('/', slash + 1)) {
      dirs.push_back(f.relative.substr(0, slash));
    }
  }
  std::sort(dirs.begin(), dirs.end());
  dirs.erase(std::unique(dirs.begin(), dirs.end()), dirs.end());
  inodes += dirs.size();
  bytes += dirs.size() * 4096;
  mkdir_parents(folder + "/");
  const char* options = keep("size=" + std::to_string(bytes) + ",nr_inodes=" +
                             std::to_string(inodes) + ",mode=0755");
  constexpr unsigned long kFlags = MS_NOSUID | MS_NODEV | MS_NOEXEC;
  add(MountOp::Kind::tmpfs, folder, options, kFlags, "mount tmpfs " + folder);
  // Sorted, a folder comes before what it holds.
  for (const std::string& dir : dirs) {
    add(MountOp::Kind::mkdir, folder + "/" + dir, nullptr, 0, "mkdir " + folder + "/" + dir);
  }
  for (const ProvidedFile& f : policy.provided_files) {
    add(MountOp::Kind::copy, folder + "/" + f.relative, nullptr, 0,
        "copy the pinned " + f.relative + " to " + folder);
    ops_.back().source_fd = f.fd;
    ops_.back().length = f.size;
  }
  add(MountOp::Kind::remount_read_only, folder, nullptr,
      MS_REMOUNT | MS_BIND | MS_RDONLY | kFlags, "make " + folder + " read-only");
  return {};
}

}  // namespace stockade::sandbox
