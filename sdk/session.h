// Session: one connection to the host after a successful handshake. The
// calling thread reads and dispatches frames; Execute calls go to the worker
// pool, Health and Info to the control thread, Close to a closer thread that
// drains and then wakes the reader by shutting the socket down.
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
#include "sdk/call_table.h"
#include "sdk/handshake.h"
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

  // Starts the pools and serves until Close or end of stream; the exit code.
  int run();

 private:
  // Handles one frame (with the payload memfd it announced, if any); an
  // Error is a protocol violation by the host.
  Status dispatch(const wire::fb::Envelope& envelope, UniqueFd payload_fd);
  // Reads once into `reader`, keeping a descriptor that comes along.
  Result<std::size_t> read_into(wire::FrameReader& reader);
  // Decodes and dispatches every whole frame in `reader`.
  Status decode_and_dispatch(wire::FrameReader& reader);
  // Hands the Execute calls dispatched from one read to the pool at once;
  // those the pool refuses are answered RESOURCE_EXHAUSTED.
  void submit_pending();
  void on_execute(std::uint64_t id, const wire::fb::ExecuteRequest& request);
  void run_call(const std::shared_ptr<CallContext>& call, std::span<const std::uint8_t> payload);
  void on_health(std::uint64_t id);
  void on_info(std::uint64_t id);
  void on_close(std::uint32_t grace_ms);
  // The closer thread: drain, close(), flush, wake the reader.
  void close_sequence(std::uint32_t grace_ms);
  // Ends the session without Close: cancel every call, give them `wait` to
  // return, and _exit(code) if one does not.
  int abandon(int code, std::chrono::milliseconds wait);
  // Stops both pools once idle; _exit(code) if they stay busy past `until`.
  void stop_pools_or_exit(int code, std::chrono::steady_clock::time_point until);

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
  std::unique_ptr<WorkerPool> execute_pool_;
  std::unique_ptr<WorkerPool> control_pool_;
  // Execute calls decoded from the current read, not yet in the pool (the
  // reader thread's own).
  std::vector<WorkerPool::Task> pending_;
  std::vector<std::uint64_t> pending_ids_;
  // Descriptors received, each waiting for the frame that announces it
  // (the reader thread's own; at most the frame still arriving may own one).
  std::deque<UniqueFd> received_fds_;
  std::atomic<bool> closing_{false};  // Close received: refuse new calls
  std::atomic<bool> closed_{false};   // close sequence done: EOF expected
  Thread closer_;
};

}  // namespace stockade::sdk::detail
