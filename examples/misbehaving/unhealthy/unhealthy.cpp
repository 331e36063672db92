// unhealthy: answers Execute (echo) but reports NOT_SERVING to Health. After
// the method "hang_health", health() blocks forever instead, so Health
// requests time out (the SDK keeps answering Execute meanwhile).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <span>
#include <thread>

#include <stockade/sdk.h>

namespace {

class Unhealthy final : public stockade::sdk::Plugin {
 public:
  stockade::sdk::Info info() override {
    return {.name = "unhealthy",
            .version = "1.0.0",
            .description = "Health says NOT_SERVING; after hang_health, Health never returns",
            .methods = {"echo", "hang_health"}};
  }

  stockade::sdk::Reply execute(stockade::sdk::CallContext& call,
                               std::span<const std::uint8_t> payload) override {
    if (call.method() == "hang_health") hang_health_ = true;
    return stockade::sdk::Reply::ok(payload);
  }

  stockade::sdk::Health health() override {
    while (hang_health_) std::this_thread::sleep_for(std::chrono::hours(1));
    return {.serving = false, .message = "backend unreachable (simulated)"};
  }

 private:
  std::atomic<bool> hang_health_{false};
};

}  // namespace

int main() {
  Unhealthy plugin;
  return stockade::serve(plugin);
}
