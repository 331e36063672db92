// Helpers shared by the whitelist tests: a scratch directory removed at the
// end, writing and copying files with a given mode, and running an fd.
#pragma once

#include <sys/stat.h>

#include <string>

#include "whitelist/sha256.h"

namespace stockade::testing_support {

class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

void write_file(const std::string& path, const std::string& content, mode_t mode = 0644);
std::string read_file(const std::string& path);
void copy_file(const std::string& from, const std::string& to, mode_t mode = 0755);
Sha256Digest sha256_of_path(const std::string& path);

// Forks; the child execs `fd` (execveat AT_EMPTY_PATH, or fexecve) with its
// stdout on a pipe. Returns what it printed, or "exec failed: <errno>".
std::string run_fd(int fd, bool use_fexecve = false);

}  // namespace stockade::testing_support
