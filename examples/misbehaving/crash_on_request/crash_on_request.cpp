// crash_on_request: dies in the middle of a call, for crash, restart and
// retry tests.
//   crash        abort() (SIGABRT) on every attempt
//   crash_once   abort() on attempt 1, echo the payload on later attempts, so
//                a retry after a restart succeeds
//   segv         raise(SIGSEGV), not an abort (it lands: the plugin is pid 2
//                under stockade-init, not its namespace's init)
//   exit         _exit(3) without answering
//   anything else: echo
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <span>

#include <unistd.h>

#include <stockade/sdk.h>

namespace {

class CrashOnRequest final : public stockade::sdk::Plugin {
 public:
  stockade::sdk::Info info() override {
    return {.name = "crash_on_request",
            .version = "1.0.0",
            .description = "crashes on the methods crash, crash_once (first attempt), segv, exit",
            .methods = {"crash", "crash_once", "segv", "exit", "echo"}};
  }

  stockade::sdk::Reply execute(stockade::sdk::CallContext& call,
                               std::span<const std::uint8_t> payload) override {
    const auto& method = call.method();
    if (method == "crash" || (method == "crash_once" && call.attempt() <= 1)) std::abort();
    if (method == "segv") std::raise(SIGSEGV);
    if (method == "exit") _exit(3);
    return stockade::sdk::Reply::ok(payload);
  }
};

}  // namespace

int main() {
  CrashOnRequest plugin;
  return stockade::serve(plugin);
}
