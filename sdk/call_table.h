// CallTable: the Execute calls accepted and not yet answered, by id, so that
// Cancel can find a call and Close can wait for the last one.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "stockade/sdk.h"

namespace stockade::sdk::detail {

class CallTable {
 public:
  using Clock = std::chrono::steady_clock;

  explicit CallTable(std::size_t max_calls) : max_calls_(max_calls) {}

  enum class AddResult { added, duplicate_id, full };
  AddResult add(const std::shared_ptr<CallContext>& call);
  // Forgets `id` (its response was written).
  void remove(std::uint64_t id);
  // Cancels `id` if it is still in the table; false if not.
  bool cancel(std::uint64_t id);
  void cancel_all();
  // Waits until the table is empty; false if `until` came first.
  bool wait_empty_until(Clock::time_point until);
  std::size_t size() const;

 private:
  const std::size_t max_calls_;
  mutable std::mutex mu_;
  std::condition_variable empty_;
  std::unordered_map<std::uint64_t, std::shared_ptr<CallContext>> calls_;
  std::size_t waiters_ = 0;  // threads in wait_empty_until
};

}  // namespace stockade::sdk::detail
