// Where `stockade jail` writes its status object (status_report.h): a
// descriptor the operator gives (--status-fd N) or a file stockade creates
// (--status-file F). Neither is ever passed into the sandbox: the sandbox
// gets only its stdio pipes, every other descriptor is closed before exec
// (and this one is marked close-on-exec too).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "stockade/result.h"
#include "base/unique_fd.h"

namespace stockade::supervisor {

class StatusChannel {
 public:
  // fd must be open; 0, 1 and 2 are refused by the option parser (they
  // carry the program's stdio, which it could forge a status into).
  static Result<StatusChannel> use_fd(int fd);
  // Creates `path` (O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600): an existing file
  // or a symlink there, dangling or not, is refused, so no one can point
  // stockade's write somewhere else or read the status before it is whole.
  static Result<StatusChannel> create_file(const std::string& path);

  // Writes `text` (the status object), waiting at most `timeout` for a
  // stalled reader. Errors name the channel.
  Status write(std::string_view text, std::chrono::milliseconds timeout) const;

 private:
  StatusChannel(UniqueFd owned, int fd, std::string name)
      : owned_(std::move(owned)), fd_(fd), name_(std::move(name)) {}
  UniqueFd owned_;  // the created file; an --status-fd is the operator's
  int fd_ = -1;
  std::string name_;
};

}  // namespace stockade::supervisor
