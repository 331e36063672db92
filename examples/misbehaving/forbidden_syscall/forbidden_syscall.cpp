// forbidden_syscall: makes a syscall the sandbox never grants, for the
// seccomp-violation tests.
//   ptrace       ptrace(PTRACE_TRACEME): the filter stops it, the supervisor
//                names it and kills the sandbox; the call never returns
//   anything else: echo
#include <sys/ptrace.h>

#include <cstdint>
#include <span>

#include <stockade/sdk.h>

namespace {

class ForbiddenSyscall final : public stockade::sdk::Plugin {
 public:
  stockade::sdk::Info info() override {
    return {.name = "forbidden_syscall",
            .version = "1.0.0",
            .description = "calls ptrace(PTRACE_TRACEME) on the method ptrace; echoes otherwise",
            .methods = {"ptrace", "echo"}};
  }

  stockade::sdk::Reply execute(stockade::sdk::CallContext& call,
                               std::span<const std::uint8_t> payload) override {
    // Outside a sandbox (run by hand) the call may simply succeed; the answer
    // is then an echo, which the tests never expect.
    if (call.method() == "ptrace") ptrace(PTRACE_TRACEME, 0, nullptr, nullptr);
    return stockade::sdk::Reply::ok(payload);
  }
};

}  // namespace

int main() {
  ForbiddenSyscall plugin;
  return stockade::serve(plugin);
}
