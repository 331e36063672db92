// Helpers for the daemon's end-to-end tests: a host folder (plugins copied
// from the examples, their whitelist, a config, a run/ folder for the
// socket), `stockade serve` started on it as a real child process, and a
// small blocking control client built on control/builder.h and
// wire::FrameReader (the tests speak the protocol byte by byte where they
// misbehave on purpose).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/unique_fd.h"
#include "control/builder.h"
#include "control/decoder.h"
#include "tests/runtime/runtime_fixture.h"
#include "wire/frame_reader.h"

namespace stockade::testing {

// <build>/stockade (STOCKADE_BIN at build time).
std::string stockade_binary();

class DaemonHost {
 public:
  // Plugins echo and slow; clients: our own uid, every plugin, admin.
  DaemonHost();
  ~DaemonHost();  // SIGKILLs a daemon still running

  PluginsDir& plugins() { return plugins_; }
  nlohmann::json& config() { return config_; }
  std::string socket_path() const { return dir_.file("run/control.sock"); }
  std::string config_path() const { return dir_.file("stockade.json"); }
  std::string log_path() const { return dir_.file("daemon.log"); }
  const std::string& path() const { return dir_.path(); }
  // Writes config() (and the whitelist) to config_path().
  void write_config();

  // Starts `stockade serve --config` with `extra_args` and `env` added to a
  // minimal environment; stderr goes to log_path(). Waits until the socket
  // answers (or the child exits: then throws with its log).
  void start(const std::vector<std::string>& extra_args = {},
             const std::map<std::string, std::string>& env = {});
  // As start(), socket-activated the way systemd does it: `listen_fd` becomes
  // the child's fd 3, with LISTEN_FDS=1 and LISTEN_PID set to the child's own
  // pid. Returns without waiting for the socket when `wait` is false.
  void start_activated(int listen_fd, bool wait = true);
  void signal(int sig) const;
  // Waits for the child's exit; its shell-style code, or nullopt after `limit`.
  std::optional<int> wait_exit(std::chrono::milliseconds limit = std::chrono::seconds(30));
  pid_t pid() const { return pid_; }
  std::string log() const;
  // Polls the log until it holds `text`.
  bool log_contains(const std::string& text, std::chrono::milliseconds limit = std::chrono::seconds(10)) const;

 private:
  void launch(const std::vector<std::string>& extra_args, const std::map<std::string, std::string>& env,
              int listen_fd, bool wait);

  TempDir dir_;
  PluginsDir plugins_;
  nlohmann::json config_;
  pid_t pid_ = -1;
};

// A blocking client of one connection. Every read waits at most `limit`.
class TestClient {
 public:
  static TestClient connect(const std::string& path);

  // Whole frames, built with control::ControlBuilder.
  void send(const control::Frame& frame);
  void send_raw(const std::vector<std::uint8_t>& bytes);
  void call(std::uint64_t id, const std::string& plugin, const std::string& payload,
            std::optional<std::uint32_t> timeout_ms = std::nullopt);
  template <typename Body>
  void request(std::uint64_t id, const Body& body) {
    auto frame = builder_.encode(id, body);
    if (!frame) throw std::runtime_error(frame.error().message());
    send(*frame);
  }

  // The next message, or nullopt at end of stream (the daemon closed). Throws on a timeout.
  std::optional<control::Message> next(std::chrono::milliseconds limit = std::chrono::seconds(20));
  // True when the daemon closes the connection within `limit` (messages before the end are dropped).
  bool closed_by_daemon(std::chrono::milliseconds limit);

  int fd() const { return fd_.get(); }

 private:
  explicit TestClient(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
  control::ControlBuilder builder_;
  wire::FrameReader reader_;
};

// The body of a message as text for test messages: "CallReply", "Error PERMISSION_DENIED: ...".
std::string describe(const control::Message& message);
std::string payload_text(const control::Message& message);  // CallReply's payload

}  // namespace stockade::testing
