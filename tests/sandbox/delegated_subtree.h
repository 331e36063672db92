// A delegated cgroup v2 subtree for a test, made the way systemd's Delegate=
// makes one: a fresh directory whose cgroup.procs, cgroup.subtree_control
// and cgroup.threads belong to the delegate's uid. Made by root; removed,
// with every process in it killed (cgroup.kill) and every directory below
// it, on every path out of the test.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace stockade::sandbox::test {

// Where the cgroup2 hierarchy is mounted (/sys/fs/cgroup/unified on the
// hybrid CI host), or "" when there is none.
std::string cgroup2_mount();

// The words of a cgroupfs list file (cgroup.controllers, cgroup.procs, ...);
// none when it cannot be read.
std::vector<std::string> cgroup_words(const std::string& path);
bool has_word(const std::vector<std::string>& words, const std::string& word);
// One write(2) of `content` to a cgroupfs file; errno is kept on failure.
bool write_cgroup_file(const std::string& path, const std::string& content);

// Whether `dir` or a cgroup below it holds a process (cgroup.events).
bool cgroup_populated(const std::string& dir);

class DelegatedSubtree {
 public:
  // mkdir <parent>/stockade-test-delegated-<pid>-<n> and chown it to
  // `uid`; `made()` says whether that worked (why not: `error()`).
  DelegatedSubtree(const std::string& parent, uid_t uid);
  ~DelegatedSubtree();
  DelegatedSubtree(const DelegatedSubtree&) = delete;
  DelegatedSubtree& operator=(const DelegatedSubtree&) = delete;

  bool made() const { return !path_.empty(); }
  const std::string& error() const { return error_; }
  const std::string& path() const { return path_; }
  // Kills every process below (cgroup.kill), waits for the subtree to empty
  // and removes every directory, deepest first; "" on success, else what
  // was left. Idempotent; the destructor calls it.
  std::string remove();

 private:
  std::string path_;
  std::string error_;
};

}  // namespace stockade::sandbox::test
