// echo: the smallest useful plugin. Every method returns its payload
// unchanged, which makes it the reference for round-trip tests and
// benchmarks of the runtime; but the two methods of the conformance suite
// (PROTOCOL.md, section 18): "sleep" waits the payload's milliseconds unless
// cancelled, and "conformance.unknown" is answered as an unknown method.
#include <charconv>
#include <chrono>
#include <cstdint>
#include <span>

#include <stockade/sdk.h>

namespace {

using stockade::sdk::Code;
using stockade::sdk::Reply;

Reply sleep_reply(stockade::sdk::CallContext& call, std::span<const std::uint8_t> payload) {
  const char* text = reinterpret_cast<const char*>(payload.data());
  std::uint32_t ms = 0;
  const auto [end, ec] = std::from_chars(text, text + payload.size(), ms);
  if (ec != std::errc() || end != text + payload.size()) {
    return Reply::error(Code::invalid_argument, "sleep: the payload is milliseconds, in decimal");
  }
  if (call.sleep_for(std::chrono::milliseconds(ms))) return Reply::ok(payload);
  return Reply::error(call.cancel_requested() ? Code::cancelled : Code::deadline_exceeded,
                      "stopped before the sleep ended");
}

class Echo final : public stockade::sdk::Plugin {
 public:
  stockade::sdk::Info info() override {
    return {.name = "echo",
            .version = "1.0.0",
            .description = "returns the payload unchanged",
            .capabilities = {"echo"},
            .methods = {"echo", "sleep"}};
  }

  Reply execute(stockade::sdk::CallContext& call, std::span<const std::uint8_t> payload) override {
    if (call.method() == "sleep") return sleep_reply(call, payload);
    if (call.method() == "conformance.unknown") {
      return Reply::error(Code::not_found, "no method \"" + call.method() + "\"");
    }
    return Reply::ok(payload);
  }
};

}  // namespace

int main() {
  Echo echo;
  return stockade::serve(echo);
}
