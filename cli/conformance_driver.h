// One launch of the plugin under `stockade conformance`, spoken to as the
// supervisor would: the handshake, requests by id (alone or many in one
// write), and the answers awaited by id, each wait bounded. Every
// expectation that is not met is a Failure naming what was seen instead.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "cli/conformance_cases.h"
#include "cli/conformance_link.h"
#include "wire/frame_builder.h"

namespace stockade::supervisor::conformance {

// Bounds on how long the plugin may take, generous: they tell a plugin that
// never answers from one that is slow on a loaded machine.
inline constexpr std::chrono::milliseconds kHelloWait{10000};
inline constexpr std::chrono::milliseconds kAnswerWait{10000};
inline constexpr std::chrono::milliseconds kExitWait{10000};

// A failed expectation: the case's detail.
struct Failure {
  std::string why;
};
template <typename T>
using Expected = std::variant<T, Failure>;

class Driver {
 public:
  explicit Driver(const Target& target);

  // Launches the plugin and reads its Hello (the handshake case's evidence).
  std::optional<Failure> start(Received& hello);
  // Set when start() could not launch the plugin at all.
  const std::optional<Error>& launch_error() const { return launch_error_; }
  // HelloAck choosing `version`, with the target's max_frame and max_concurrency,
  // and memfd payloads when the manifest allows them and the Hello offered them.
  std::optional<Failure> ack(std::uint32_t version);
  // The handshake granted memfd payloads (PROTOCOL.md, section 6.1).
  bool memfds_granted() const { return memfds_granted_; }
  // An ExecuteRequest whose payload goes in a sealed memfd; returns its id.
  Expected<std::uint64_t> execute_in_memfd(std::string_view method, std::span<const std::uint8_t> payload,
                                           std::uint64_t deadline_ms);

  std::uint64_t new_id() { return next_id_++; }
  // Appends one ExecuteRequest (attempt 1) to `batch`; returns its id.
  std::uint64_t add_execute(std::vector<std::uint8_t>& batch, std::string_view method,
                            std::span<const std::uint8_t> payload, std::uint64_t deadline_ms);
  // Writes the batch in one go (or the encoding failure of one of its requests).
  std::optional<Failure> send_batch(const std::vector<std::uint8_t>& batch);
  std::optional<Failure> send(Result<wire::Frame> frame);

  // The answers to `ids`, in the order they arrived. Any other frame, end of
  // stream, a frame that does not decode, or `wait` without progress fails.
  Expected<std::vector<Received>> answers(std::set<std::uint64_t> ids,
                                          std::chrono::milliseconds wait = kAnswerWait);
  Expected<Received> answer(std::uint64_t id, std::chrono::milliseconds wait = kAnswerWait);
  // Nothing arrives within `wait` (a frame, or the end of stream, fails).
  std::optional<Failure> quiet_for(std::chrono::milliseconds wait, const std::string& what);

  wire::FrameBuilder& builder() { return builder_; }
  PluginLink& link() { return *link_; }

 private:
  const Target& target_;
  wire::FrameBuilder builder_;
  std::unique_ptr<PluginLink> link_;
  std::uint64_t next_id_ = 1;
  std::optional<std::string> encode_failure_;
  std::optional<Error> launch_error_;
  bool offered_memfds_ = false;
  bool memfds_granted_ = false;
};

}  // namespace stockade::supervisor::conformance
