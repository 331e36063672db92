// The pending-call table of one plugin: every request from the moment it is
// accepted (queued while the plugin starts, restarts or is at its concurrency
// limit) until it completes, keyed by the wire id. Bounded; ids are never
// reused, so a late answer to an expired call is told apart from an answer to
// a call that was never sent. Pure (the deadline timer lives in
// plugin_process.cpp); single-threaded.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <span>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "supervisor/outcome.h"

namespace stockade::wire::fb {
struct Envelope;
}

namespace stockade::supervisor {

using Clock = std::chrono::steady_clock;

enum class RequestKind { execute, info, health };

// The views stay valid until the completion has run: their owner is kept
// alive by the completion (see execute_call.cpp).
struct Request {
  RequestKind kind = RequestKind::execute;
  std::string_view method;
  std::span<const uint8_t> payload;
  uint32_t attempt = 1;
};

// The plugin's answer to a call, valid only during its completion: the
// envelope, and for an ExecuteResponse its payload wherever it travelled
// (inline in the frame, or in a payload memfd mapped for the completion).
struct Answer {
  const wire::fb::Envelope& envelope;
  std::span<const uint8_t> payload;
};

// Runs exactly once: with the plugin's answer, or with an error (the answer
// is then null).
using Completion = std::function<void(const Answer* answer, const CallError* error)>;

struct PendingCall {
  Request request;
  Clock::time_point deadline;
  Completion done;
  bool sent = false;
};

class CallTable {
 public:
  // At most `max_calls` entries (sent and queued together).
  explicit CallTable(size_t max_calls);

  // A new entry, queued; nullopt when the table is full.
  std::optional<uint64_t> add(const Request& request, Clock::time_point deadline, Completion done);
  PendingCall* find(uint64_t id);
  // Removes and returns an entry.
  std::optional<PendingCall> take(uint64_t id);
  // Was `id` ever handed out? (an answer for an id never issued is a lie)
  bool issued(uint64_t id) const { return id > 0 && id < next_id_; }

  // The oldest queued entry of the kind (control: info/health), if any.
  std::optional<uint64_t> next_queued(bool control);
  void mark_sent(uint64_t id);

  // Removes the entries matching `pred` and returns them, in id order.
  std::vector<std::pair<uint64_t, PendingCall>> take_if(const std::function<bool(const PendingCall&)>& pred);
  std::optional<Clock::time_point> earliest_deadline() const;

  size_t size() const { return calls_.size(); }
  size_t executes_in_flight() const { return executes_in_flight_; }
  size_t capacity() const { return max_calls_; }
  // A reload changed the plugin's concurrency or queue: entries beyond a
  // smaller bound stay and drain; add() refuses until they have.
  void set_capacity(size_t max_calls) { max_calls_ = max_calls; }
  // Ids held by the queues, stale ones included (bounded by 2 * capacity + 1).
  size_t queued_ids() const { return queued_executes_.size() + queued_control_.size(); }

 private:
  size_t max_calls_;
  uint64_t next_id_ = 1;
  size_t executes_in_flight_ = 0;
  std::unordered_map<uint64_t, PendingCall> calls_;
  // Ids in arrival order; entries already sent or gone are skipped lazily.
  std::deque<uint64_t> queued_executes_;
  std::deque<uint64_t> queued_control_;
};

}  // namespace stockade::supervisor
