#include "supervisor/call_table.h"

#include <algorithm>

namespace stockade::supervisor {

// No reserve(max_calls): the bound is the queue's (4,000 and more), and a
// bucket array that size cost every idle plugin 33 KiB (issue 13).
CallTable::CallTable(size_t max_calls) : max_calls_(max_calls) {}

std::optional<uint64_t> CallTable::add(const Request& request, Clock::time_point deadline,
                                       Completion done) {
  if (calls_.size() >= max_calls_) return std::nullopt;
  uint64_t id = next_id_++;
  calls_.emplace(id, PendingCall{request, deadline, std::move(done), false});
  auto& queue = request.kind == RequestKind::execute ? queued_executes_ : queued_control_;
  // Stale ids (expired while queued) are dropped lazily at the front; if they
  // pile up behind a plugin that never becomes ready, sweep them here so the
  // queue stays within twice the table's bound.
  if (queue.size() >= 2 * max_calls_) {
    std::erase_if(queue, [this](uint64_t old) {
      auto* call = find(old);
      return call == nullptr || call->sent;
    });
  }
  queue.push_back(id);
  return id;
}

PendingCall* CallTable::find(uint64_t id) {
  auto it = calls_.find(id);
  return it == calls_.end() ? nullptr : &it->second;
}

std::optional<PendingCall> CallTable::take(uint64_t id) {
  auto it = calls_.find(id);
  if (it == calls_.end()) return std::nullopt;
  PendingCall call = std::move(it->second);
  calls_.erase(it);
  if (call.sent && call.request.kind == RequestKind::execute) --executes_in_flight_;
  return call;
}

std::optional<uint64_t> CallTable::next_queued(bool control) {
  auto& queue = control ? queued_control_ : queued_executes_;
  while (!queue.empty()) {
    uint64_t id = queue.front();
    auto* call = find(id);
    if (call != nullptr && !call->sent) return id;
    queue.pop_front();  // expired or failed while queued
  }
  return std::nullopt;
}

void CallTable::mark_sent(uint64_t id) {
  auto* call = find(id);
  if (call == nullptr || call->sent) return;
  call->sent = true;
  if (call->request.kind == RequestKind::execute) ++executes_in_flight_;
  auto& queue = call->request.kind == RequestKind::execute ? queued_executes_ : queued_control_;
  if (!queue.empty() && queue.front() == id) queue.pop_front();
}

std::vector<std::pair<uint64_t, PendingCall>> CallTable::take_if(
    const std::function<bool(const PendingCall&)>& pred) {
  std::vector<uint64_t> ids;
  for (const auto& [id, call] : calls_) {
    if (pred(call)) ids.push_back(id);
  }
  std::sort(ids.begin(), ids.end());
  std::vector<std::pair<uint64_t, PendingCall>> taken;
  taken.reserve(ids.size());
  for (uint64_t id : ids) taken.emplace_back(id, std::move(*take(id)));
  // The queues drop ids lazily in next_queued(); trim them now so that a
  // table emptied by a crash does not keep a long tail of stale ids.
  if (calls_.empty()) {
    queued_executes_.clear();
    queued_control_.clear();
  }
  return taken;
}

std::optional<Clock::time_point> CallTable::earliest_deadline() const {
  std::optional<Clock::time_point> earliest;
  for (const auto& [id, call] : calls_) {
    if (!earliest || call.deadline < *earliest) earliest = call.deadline;
  }
  return earliest;
}

}  // namespace stockade::supervisor
