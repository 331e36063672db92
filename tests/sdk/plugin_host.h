// PluginHost: the host side of the wire for SDK and example tests, without
// the sandbox: fork/exec a plugin binary with one end of a socketpair on fd 3
// and the cookie in its environment, speak frames with wire's FrameBuilder
// and FrameReader, and wait for the process to end. stderr goes to a file so
// a test can read it and a chatty plugin never blocks on a full pipe.
//
// Test code: failures to set up throw std::runtime_error.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/unique_fd.h"
#include "tests/support/temp_dir.h"
#include "wire/frame_builder.h"
#include "wire/frame_decoder.h"
#include "wire/frame_reader.h"
#include "wire/messages.h"

namespace stockade::testing {

using namespace std::chrono_literals;

struct LaunchOptions {
  std::vector<std::string> args{};  // argv[1..]
  bool socket_on_fd3 = true;      // false: fd 3 closed (or /dev/null, see below)
  bool dev_null_on_fd3 = false;   // with socket_on_fd3 false: fd 3 is /dev/null
  bool cookie = true;             // set STOCKADE_PLUGIN_COOKIE
  // RLIMIT_AS for the plugin, as the sandbox sets it (0: none).
  std::size_t address_space_bytes = 0;
};

// One received frame, owning its aligned bytes.
class Received {
 public:
  Received(std::unique_ptr<std::uint64_t[]> storage, const wire::fb::Envelope* envelope)
      : storage_(std::move(storage)), envelope_(envelope) {}
  const wire::fb::Envelope& operator*() const { return *envelope_; }
  const wire::fb::Envelope* operator->() const { return envelope_; }

 private:
  std::unique_ptr<std::uint64_t[]> storage_;
  const wire::fb::Envelope* envelope_;
};

// The fields of an ExecuteResponse, copied out.
struct ExecuteResult {
  std::uint64_t id = 0;
  bool ok = false;
  std::string payload;
  wire::fb::ErrorCode code = wire::fb::ErrorCode::UNKNOWN;
  std::string message;
  bool retryable = false;
  bool in_memfd = false;  // the payload came in a sealed memfd (read out here)
};

class PluginHost {
 public:
  PluginHost(const std::string& binary, const LaunchOptions& options = {});
  ~PluginHost();  // SIGKILL and reap if still running
  PluginHost(const PluginHost&) = delete;
  PluginHost& operator=(const PluginHost&) = delete;

  static constexpr std::string_view kCookie = "sdk-test-cookie";

  pid_t pid() const { return pid_; }
  // The host's end of the socket, for tests that write from another thread.
  int socket_fd() const { return socket_.get(); }
  wire::FrameBuilder& builder() { return builder_; }

  // Writes raw bytes (frames from builder(), or junk).
  void send(std::span<const std::uint8_t> bytes);
  // Reads until one frame is complete; nullopt on timeout or end of stream.
  // Throws on a malformed frame.
  std::optional<Received> receive(std::chrono::milliseconds timeout = 5000ms);
  // True when the plugin closed its end (nothing more to read) within timeout.
  bool at_eof(std::chrono::milliseconds timeout = 5000ms);

  // Receives the plugin's Hello (returned) and answers with HelloAck,
  // granting memfd payloads from `memfd_threshold` bytes up to `max_payload`
  // when they are not 0.
  std::optional<Received> handshake(std::uint32_t max_concurrency = 16,
                                    std::uint32_t max_frame = wire::kDefaultMaxFrame,
                                    std::uint32_t memfd_threshold = 0, std::uint64_t max_payload = 0);
  // An ExecuteRequest announcing a payload of `size` bytes in `memfd`,
  // passed with the frame.
  void execute_memfd(std::uint64_t id, std::string_view method, int memfd, std::uint64_t size);
  // The descriptors that came with the frames received so far, oldest first.
  std::vector<UniqueFd>& received_fds() { return received_fds_; }

  void execute(std::uint64_t id, std::string_view method, std::string_view payload,
               std::uint64_t deadline_ms = 0, std::uint32_t attempt = 1);
  void execute_bytes(std::uint64_t id, std::string_view method,
                     std::span<const std::uint8_t> payload, std::uint64_t deadline_ms = 0,
                     std::uint32_t attempt = 1);
  void cancel(std::uint64_t id);
  void health(std::uint64_t id);
  void info(std::uint64_t id);
  void close_request(std::uint32_t grace_ms);
  // Closes the host's end of the socket (the plugin sees end of stream).
  void hang_up();

  // The next ExecuteResponse (other bodies are a test failure: throws).
  std::optional<ExecuteResult> execute_result(std::chrono::milliseconds timeout = 5000ms);

  // The exit code (128+N for signal N), or nullopt if still running at timeout.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout = 5000ms);
  std::string stderr_text() const;

 private:
  TempDir dir_{"stockade-sdk-test-"};
  UniqueFd socket_;
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  wire::FrameBuilder builder_;
  wire::FrameReader reader_;
  wire::DecodeLimits limits_;  // as granted in the handshake
  std::vector<UniqueFd> received_fds_;
};

// The path of a plugin in the build's plugins directory.
std::string plugin_binary(const std::string& name);

}  // namespace stockade::testing
