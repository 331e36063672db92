// reverse: a plugin that answers each call with its payload reversed, so a
// caller can tell its answer from an echo. Only <stockade/sdk.h> is included:
// the out-of-tree builds check that the installed SDK is complete.
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include <stockade/sdk.h>

namespace {

class Reverse final : public stockade::sdk::Plugin {
 public:
  stockade::sdk::Info info() override {
    return {.name = "reverse",
            .version = "1.0.0",
            .description = "returns the payload reversed",
            .capabilities = {"reverse"},
            .methods = {"reverse"}};
  }

  stockade::sdk::Reply execute(stockade::sdk::CallContext&,
                               std::span<const std::uint8_t> payload) override {
    std::vector<std::uint8_t> reversed(payload.rbegin(), payload.rend());
    return stockade::sdk::Reply::ok(std::move(reversed));
  }
};

}  // namespace

int main() {
  Reverse plugin;
  return stockade::serve(plugin);
}
