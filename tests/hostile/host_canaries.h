// Things on the host that a probe must not be able to touch, set up before
// each test and checked after it: a world-writable canary file in a
// world-readable directory, a TCP listener on 127.0.0.1, an abstract unix
// listener, a victim process, the hostname and core_pattern.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/unique_fd.h"
#include "tests/support/temp_dir.h"

namespace stockade::hostile {

class HostCanaries {
 public:
  HostCanaries();
  ~HostCanaries();
  HostCanaries(const HostCanaries&) = delete;
  HostCanaries& operator=(const HostCanaries&) = delete;

  const std::string& canary_path() const { return canary_path_; }
  // A path in the canary directory that does not exist and must not appear.
  std::string absent_path() const { return dir_.file("created-by-probe"); }
  int tcp_port() const { return tcp_port_; }
  const std::string& abstract_name() const { return abstract_name_; }
  pid_t victim_pid() const { return victim_; }

  // Every way the host differs from the setup; empty when untouched.
  std::vector<std::string> changes() const;

 private:
  testing::TempDir dir_;
  std::string canary_path_;
  std::string canary_content_;
  long canary_mtime_ns_ = 0;
  UniqueFd tcp_listener_;
  int tcp_port_ = 0;
  UniqueFd unix_listener_;
  std::string abstract_name_;
  pid_t victim_ = -1;
  std::string hostname_;
  std::string core_pattern_;
};

}  // namespace stockade::hostile
