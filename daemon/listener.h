// The control socket's listening fd: bound by us at control.socket, or
// handed over by systemd (socket activation, LISTEN_FDS).
//
// Binding is race-free: the socket's folder is opened once (O_PATH,
// O_NOFOLLOW), checked (a real folder, owned by root or us, writable by
// nobody else) or created 0755, and every later step (the stale-socket test,
// bind, chmod, chown, the final unlink) goes through that open folder, so a
// folder swapped for a symlink afterwards changes nothing. The socket's mode
// and group are set before listen(), so no peer ever connects to it while it
// is wider than control.mode.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <optional>
#include <string>

#include "base/unique_fd.h"
#include "stockade/config.h"
#include "stockade/result.h"

namespace stockade::daemon {

// Bounded by SOMAXCONN; the accept loop drains it quickly.
inline constexpr int kListenBacklog = 128;

class ControlListener {
 public:
  // Socket activation when LISTEN_PID is ours and LISTEN_FDS >= 1 (fd 3 must
  // be an AF_UNIX SOCK_STREAM socket in the listening state); otherwise binds
  // `control.socket`. The LISTEN_* variables are removed either way so that
  // no child inherits them.
  static Result<ControlListener> open(const supervisor::ControlSocket& control);

  ControlListener(ControlListener&&) noexcept = default;
  ControlListener& operator=(ControlListener&&) noexcept = default;
  // Removes the socket file we bound, if it is still the one we bound.
  ~ControlListener();

  int fd() const { return fd_.get(); }
  // Hands the listening fd to its new owner (the asio acceptor).
  int release_fd() { return fd_.release(); }
  const std::string& path() const { return path_; }
  bool activated() const { return activated_; }

  // Applies control.mode and control.group to the bound socket (start and
  // reload). Nothing to do for an activated socket: systemd's unit sets them.
  Status apply_permissions(const supervisor::ControlSocket& control) const;

 private:
  ControlListener() = default;

  UniqueFd fd_;
  UniqueFd folder_;      // O_PATH of the socket's folder
  std::string name_;     // the socket's name in folder_
  std::string path_;     // as configured
  dev_t dev_ = 0;        // the inode we bound, to unlink only ours
  ino_t ino_ = 0;
  bool activated_ = false;
};

}  // namespace stockade::daemon
