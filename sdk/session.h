// Session: one connection to the host after a successful handshake. Frames
// are read and dispatched by whichever thread of the CallExecutor holds the
// reading role; Execute calls run on the executor (on the reading thread
// itself when they are quick, see call_executor.h) with their payload as a
// view into the read buffer (read_buffers.h) or into the request's mapped
// memfd, Health and Info on the control thread, Close on a closer thread
// that drains and then wakes the reader by shutting the socket down.
#pragma once

#include <atomic>
#include <deque>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "stockade/result.h"
#include "sdk/call_executor.h"
#include "sdk/call_table.h"
#include "sdk/handshake.h"
#include "sdk/read_buffers.h"
#include "stockade/sdk.h"
#include "sdk/response_writer.h"
#include "sdk/thread.h"
#include "sdk/worker_pool.h"
#include "wire/frame_decoder.h"
#include "wire/frame_reader.h"
#include "wire/messages.h"

namespace stockade::sdk::detail {

class Session {
 public:
  Session(Plugin& plugin, std::string name, const ServeOptions& options, int fd,
          const Negotiated& negotiated);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Starts the control pool and the executor and serves until Close or end
  // of stream; the exit code.
  int run();

 private:
  // The reading role (CallExecutor::Options::read): one read and the
  // dispatch of its frames; false once the session stops reading.
  bool read_once();
  // Stops reading: refuses new calls, cancels those in flight and gives them
  // `wait` to return (the executor ends the process past it).
  bool stop_reading(int code, std::chrono::milliseconds wait);
  // Handles one frame (with the payload memfd it announced, if any); an
  // Error is a protocol violation by the host.
  Status dispatch(const wire::fb::Envelope& envelope, UniqueFd payload_fd);
  // Reads once into `reader`, keeping a descriptor that comes along.
  Result<std::size_t> read_into(wire::FrameReader& reader);
  // Decodes and dispatches every whole frame in `reader`.
  Status decode_and_dispatch(wire::FrameReader& reader);
  // Hands the Execute calls dispatched from one read to the executor at
  // once; those it refuses are answered RESOURCE_EXHAUSTED.
  void submit_pending();
  void on_execute(std::uint64_t id, const wire::fb::ExecuteRequest& request);
  void run_call(const std::shared_ptr<CallContext>& call, std::span<const std::uint8_t> payload);
  void on_health(std::uint64_t id);
  void on_info(std::uint64_t id);
  void on_close(std::uint32_t grace_ms);
  // The closer thread: drain, close(), flush, wake the reader.
  void close_sequence(std::uint32_t grace_ms);
  // Stops the control pool once idle; _exit(code) if it stays busy past
  // `until`.
  void stop_control_or_exit(int code, std::chrono::steady_clock::time_point until);

  // One line on stderr, prefixed with the plugin's name.
  void report(const std::string& message) const;

  Plugin& plugin_;
  const std::string name_;
  const ServeOptions options_;
  const int fd_;
  wire::DecodeLimits limits_;
  std::uint32_t workers_;
  ResponseWriter writer_;
  CallTable calls_;
  ReadBuffers buffers_;  // the reading role's own
  std::unique_ptr<CallExecutor> executor_;
  std::unique_ptr<WorkerPool> control_pool_;
  // Execute calls decoded from the current read, not yet in the executor
  // (the reading role's own).
  std::vector<CallExecutor::Task> pending_;
  std::vector<std::uint64_t> pending_ids_;
  // Descriptors received, each waiting for the frame that announces it
  // (the reading role's own; at most the frame still arriving may own one).
  std::deque<UniqueFd> received_fds_;
  std::atomic<bool> closing_{false};  // Close received: refuse new calls
  std::atomic<bool> closed_{false};   // close sequence done: EOF expected
  int exit_code_ = 0;                 // set by the reading role when it stops
  std::size_t body_length_ = 0;       // of the frame being dispatched
  Thread closer_;
};

}  // namespace stockade::sdk::detail
