// The retry budget: retries stay a bounded fraction of calls, so a failing
// plugin sees at most (1 + percent/100) times its normal load, not
// max_attempts times (the retry storm). A token bucket: each first attempt
// deposits percent/100 of a token, each retry withdraws one. A small reserve
// lets the first calls after start retry a crash. Pure.
#pragma once

#include <cstdint>

namespace stockade::supervisor {

class RetryBudget {
 public:
  static constexpr double kReserve = 10.0;     // tokens at start (0 if percent is 0)
  static constexpr double kMaxTokens = 100.0;  // cap: a quiet spell buys a bounded burst

  explicit RetryBudget(uint32_t percent);

  // A first attempt is being made.
  void on_call();
  // A retry wants to go: true (and one token spent) if the budget allows it.
  bool try_spend();

  double tokens() const { return tokens_; }
  uint64_t retries_refused() const { return refused_; }

 private:
  double ratio_;
  double tokens_;
  uint64_t refused_ = 0;
};

}  // namespace stockade::supervisor
