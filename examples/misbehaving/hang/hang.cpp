// hang: accepts Execute calls and never answers them, not even when
// cancelled; Health and Info still answer (they run on the SDK's control
// thread), so only the call deadline catches it.
#include <chrono>
#include <cstdint>
#include <span>
#include <thread>

#include <stockade/sdk.h>

namespace {

class Hang final : public stockade::sdk::Plugin {
 public:
  stockade::sdk::Info info() override {
    return {.name = "hang", .version = "1.0.0", .description = "never answers Execute"};
  }

  stockade::sdk::Reply execute(stockade::sdk::CallContext&, std::span<const std::uint8_t>) override {
    for (;;) std::this_thread::sleep_for(std::chrono::hours(1));
  }
};

}  // namespace

int main() {
  Hang plugin;
  return stockade::serve(plugin);
}
