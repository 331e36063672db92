// slow: sleeps before answering, honouring Cancel and the deadline.
// Payload: the sleep in milliseconds as decimal text ("250"); empty = 1000.
// Answers "slept <ms> ms", or CANCELLED (host sent Cancel) or
// DEADLINE_EXCEEDED (the deadline passed during the sleep).
#include <charconv>
#include <chrono>
#include <cstdint>
#include <span>
#include <string>

#include <stockade/sdk.h>

namespace {

using stockade::sdk::Code;
using stockade::sdk::Reply;

class Slow final : public stockade::sdk::Plugin {
 public:
  stockade::sdk::Info info() override {
    return {.name = "slow",
            .version = "1.0.0",
            .description = "sleeps <payload> ms before answering; honours Cancel and deadlines",
            .methods = {"sleep"}};
  }

  Reply execute(stockade::sdk::CallContext& call, std::span<const std::uint8_t> payload) override {
    std::uint64_t ms = 1000;
    if (!payload.empty()) {
      const auto* first = reinterpret_cast<const char*>(payload.data());
      const auto [end, ec] = std::from_chars(first, first + payload.size(), ms);
      if (ec != std::errc() || end != first + payload.size()) {
        return Reply::error(Code::invalid_argument, "payload must be a number of milliseconds");
      }
    }
    if (call.sleep_for(std::chrono::milliseconds(ms))) {
      return Reply::ok("slept " + std::to_string(ms) + " ms");
    }
    if (call.cancel_requested()) return Reply::error(Code::cancelled, "cancelled while sleeping");
    return Reply::error(Code::deadline_exceeded, "deadline passed while sleeping");
  }
};

}  // namespace

int main() {
  Slow plugin;
  return stockade::serve(plugin);
}
