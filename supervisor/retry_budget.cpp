#include "supervisor/retry_budget.h"

#include <algorithm>

namespace stockade::supervisor {

RetryBudget::RetryBudget(uint32_t percent)
    : ratio_(std::min<uint32_t>(percent, 100) / 100.0), tokens_(percent == 0 ? 0.0 : kReserve) {}

void RetryBudget::on_call() { tokens_ = std::min(kMaxTokens, tokens_ + ratio_); }

bool RetryBudget::try_spend() {
  if (tokens_ < 1.0) {
    ++refused_;
    return false;
  }
  tokens_ -= 1.0;
  return true;
}

}  // namespace stockade::supervisor
