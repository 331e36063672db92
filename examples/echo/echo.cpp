// echo: the smallest useful plugin. Every method returns its payload
// unchanged, which makes it the reference for round-trip tests and
// benchmarks of the runtime.
#include <cstdint>
#include <span>

#include <stockade/sdk.h>

namespace {

class Echo final : public stockade::sdk::Plugin {
 public:
  stockade::sdk::Info info() override {
    return {.name = "echo",
            .version = "1.0.0",
            .description = "returns the payload unchanged",
            .capabilities = {"echo"},
            .methods = {"echo"}};
  }

  stockade::sdk::Reply execute(stockade::sdk::CallContext&,
                               std::span<const std::uint8_t> payload) override {
    return stockade::sdk::Reply::ok(payload);
  }
};

}  // namespace

int main() {
  Echo echo;
  return stockade::serve(echo);
}
