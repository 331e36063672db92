// systemd's readiness protocol without libsystemd: datagrams of
// "KEY=VALUE\n" lines to the AF_UNIX socket $NOTIFY_SOCKET names (a path, or
// "@name" for the abstract namespace), as sd_notify(3) documents. Without
// $NOTIFY_SOCKET every send is a no-op, so `stockade serve` runs the same by
// hand.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "base/unique_fd.h"
#include "stockade/result.h"

namespace stockade::daemon {

class SdNotifier {
 public:
  // Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID once. An address
  // that does not fit sockaddr_un is an error (the unit would wait for READY
  // forever otherwise).
  static Result<SdNotifier> from_environment();

  bool enabled() const { return fd_.valid(); }
  // Sends `state` ("READY=1", "STATUS=serving\nREADY=1", ...). A failed send
  // is returned, to be logged; the daemon serves on.
  Status notify(std::string_view state) const;

  // How often to send WATCHDOG=1 (half of WATCHDOG_USEC), when systemd asked
  // this process for it.
  std::optional<std::chrono::microseconds> watchdog_interval() const { return watchdog_; }

  // "RELOADING=1\nMONOTONIC_USEC=<CLOCK_MONOTONIC now>" (systemd 253's Type=notify-reload form).
  static std::string reloading_message();

 private:
  UniqueFd fd_;
  std::string address_;  // as in NOTIFY_SOCKET
  std::optional<std::chrono::microseconds> watchdog_;
};

}  // namespace stockade::daemon
