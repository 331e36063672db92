#include "sandbox/userns.h"
#include "base/error.h"

#include <fcntl.h>
#include <unistd.h>

#include <string>

#include "base/unique_fd.h"

namespace stockade::sandbox {
namespace {

Status write_proc_file(pid_t pid, const char* file, const std::string& content, const char* step) {
  const std::string path = "/proc/" + std::to_string(pid) + "/" + file;
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return sys_error(std::string("sandbox step ") + step, path);
  if (write(fd.get(), content.data(), content.size()) != static_cast<ssize_t>(content.size()))
    return sys_error(std::string("sandbox step ") + step, path);
  return {};
}

}  // namespace

IdMapping id_mapping_for(const Policy& policy) {
  IdMapping mapping{policy.inner_uid, policy.outer_uid, policy.inner_gid, policy.outer_gid, false};
  if (geteuid() != 0) {
    mapping.outer_uid = geteuid();
    mapping.outer_gid = getegid();
    mapping.deny_setgroups = true;
  }
  return mapping;
}

Status write_id_maps(pid_t pid, const IdMapping& mapping) {
  const std::string uid_line =
      std::to_string(mapping.inner_uid) + " " + std::to_string(mapping.outer_uid) + " 1\n";
  if (auto s = write_proc_file(pid, "uid_map", uid_line, "uid_map"); !s) return s;
  if (mapping.deny_setgroups) {
    if (auto s = write_proc_file(pid, "setgroups", "deny", "setgroups"); !s) return s;
  }
  const std::string gid_line =
      std::to_string(mapping.inner_gid) + " " + std::to_string(mapping.outer_gid) + " 1\n";
  return write_proc_file(pid, "gid_map", gid_line, "gid_map");
}

}  // namespace stockade::sandbox
