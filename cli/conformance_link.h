// `stockade conformance`'s end of one plugin: launched in its sandbox as the
// supervisor launches it (supervisor/launch.h: verified, capped, fds 0-3),
// then driven by hand over fd 3, frame by frame, so that each case of the
// suite controls the order, the timing and even the validity of what the
// plugin receives. The plugin's stdout and stderr are relayed to our stderr
// (dropped with --quiet) so that nothing it prints blocks it.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "base/unique_fd.h"
#include "sandbox/sandbox.h"
#include "stockade/result.h"
#include "supervisor/launch.h"
#include "wire/frame_reader.h"
#include "wire/messages.h"

namespace stockade::supervisor::conformance {

// One frame from the plugin, its fields copied out of the reader's buffer.
struct Received {
  std::uint64_t id = 0;
  wire::fb::Body type = wire::fb::Body::NONE;
  // Hello
  std::vector<std::uint32_t> versions;
  std::string name, version, cookie;
  bool memfd_payloads = false;
  // ExecuteResponse: the payload's size when it came in a memfd (the payload
  // itself is then read out of it into `payload`)
  std::uint64_t payload_memfd = 0;
  // ExecuteResponse (error set or not), Error, HealthResponse, InfoResponse
  std::string payload;
  bool failed = false;  // an ExecuteResponse with an error, or an Error body
  wire::fb::ErrorCode code = wire::fb::ErrorCode::UNKNOWN;
  std::string message;
  bool retryable = false;
  wire::fb::ServingStatus status = wire::fb::ServingStatus::SERVING;
  std::vector<std::string> methods;

  // "ExecuteResponse id=3 ok (5 bytes)", "ExecuteResponse id=3 CANCELLED: ...".
  std::string describe() const;
};

class PluginLink {
 public:
  using Clock = std::chrono::steady_clock;
  enum class Event { frame, timeout, closed, bad_frame };
  struct Next {
    Event event = Event::timeout;
    Received frame;     // for Event::frame
    std::string error;  // for Event::bad_frame: what the decoder said
  };

  // `max_frame`: the bound on the plugin's frames (what HelloAck will grant).
  static Result<std::unique_ptr<PluginLink>> launch(const Manifest& manifest,
                                                    const LaunchSettings& settings,
                                                    std::uint32_t max_frame, bool quiet);
  PluginLink(LaunchedPlugin launched, std::uint32_t max_frame, bool quiet);
  PluginLink(const PluginLink&) = delete;
  PluginLink& operator=(const PluginLink&) = delete;
  // Kills the sandbox if it still runs, reaps it, joins the relays.
  ~PluginLink();

  const std::string& cookie() const { return launched_.cookie; }
  int socket_fd() const { return launched_.socket.get(); }
  // Writes whole frames (or any bytes: a case may send a broken one).
  Status send(std::span<const std::uint8_t> bytes);
  // The same, with `fd` passed beside the first byte (SCM_RIGHTS).
  Status send_with_fd(std::span<const std::uint8_t> bytes, int fd);
  // From now on descriptors are received, and answers may carry payloads in
  // memfds of up to `max_payload` bytes (PROTOCOL.md, section 6.1).
  void grant_memfds(std::uint64_t max_payload) { max_memfd_payload_ = max_payload; }
  // The next frame the plugin sends, waiting at most `timeout`.
  Next next(std::chrono::milliseconds timeout);
  // Waits up to `timeout` for the plugin to end (then kills it: Kind::killed).
  Result<sandbox::ExitStatus> wait_exit(std::chrono::milliseconds timeout);

 private:
  LaunchedPlugin launched_;
  std::uint32_t max_frame_;
  wire::FrameReader reader_;
  std::uint64_t max_memfd_payload_ = 0;
  std::deque<UniqueFd> fds_;  // received, not yet paired with a frame
  std::vector<std::thread> relays_;
  bool reaped_ = false;
};

}  // namespace stockade::supervisor::conformance
