// sdk_probe: a plugin that lets SDK tests look at what the SDK hands to
// plugin code. Methods (payload text):
//   echo            the payload
//   fail            "<CODE> <0|1> <message>": that error (CODE as in the schema)
//   deadline        the ms left before the deadline, or "none"
//   attempt         the attempt number
//   sleep           "<ms>": sleeps honouring cancel; "slept", or CANCELLED /
//                   DEADLINE_EXCEEDED like the slow example
//   throw           throws std::runtime_error("probe exception")
//   big             "<bytes>": a payload of that many 'x'
//   rendezvous      "<n> <ms>": waits until n rendezvous calls are inside
//                   execute() at once ("met"), or ms pass (DEADLINE_EXCEEDED
//                   "rendezvous timed out"): proof of concurrency, no timing
//   hold_echo       sleeps 100 ms (honouring cancel), then the payload: a
//                   call that holds its payload view while more frames are
//                   read (not listed in Info, whose count tests check)
// Anything else: NOT_FOUND. health() answers "probe ok"; close() writes
// "probe: close() called" to stderr. argv: --max-queued N, --max-workers N,
// --no-new-threads 1 (RLIMIT_NPROC makes every thread start fail with EAGAIN,
// as a too-low max_processes does in the sandbox; as root the probe first
// becomes uid/gid 65534, since the limit does not bind root).
#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <condition_variable>
#include <mutex>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#include <stockade/sdk.h>

namespace {

using stockade::sdk::Code;
using stockade::sdk::Reply;

std::uint64_t number(std::string_view text) {
  std::uint64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

Reply fail(std::string_view text) {
  static constexpr std::pair<std::string_view, Code> kCodes[] = {
      {"CANCELLED", Code::cancelled},
      {"INVALID_ARGUMENT", Code::invalid_argument},
      {"DEADLINE_EXCEEDED", Code::deadline_exceeded},
      {"NOT_FOUND", Code::not_found},
      {"RESOURCE_EXHAUSTED", Code::resource_exhausted},
      {"UNAVAILABLE", Code::unavailable},
      {"INTERNAL", Code::internal},
      {"UNIMPLEMENTED", Code::unimplemented}};
  const auto space = text.find(' ');
  const auto name = text.substr(0, space);
  const auto rest = space == std::string_view::npos ? std::string_view{} : text.substr(space + 1);
  const bool retryable = rest.starts_with("1");
  const auto message = rest.size() > 2 ? rest.substr(2) : std::string_view{};
  for (const auto& [code_name, code] : kCodes) {
    if (code_name == name) return Reply::error(code, std::string(message), retryable);
  }
  return Reply::error(Code::invalid_argument, "unknown code " + std::string(name));
}

class Probe final : public stockade::sdk::Plugin {
 public:
  stockade::sdk::Info info() override {
    return {.name = "sdk_probe",
            .version = "0.1.0",
            .description = "SDK test probe",
            .capabilities = {"probe"},
            .methods = {"echo", "fail", "deadline", "attempt", "sleep", "throw", "big", "rendezvous"},
            .metadata = {{"purpose", "tests"}}};
  }

  Reply execute(stockade::sdk::CallContext& call, std::span<const std::uint8_t> payload) override {
    const std::string_view text(reinterpret_cast<const char*>(payload.data()), payload.size());
    const auto& method = call.method();
    if (method == "echo") return Reply::ok(payload);
    if (method == "fail") return fail(text);
    if (method == "deadline") {
      if (!call.has_deadline()) return Reply::ok("none");
      return Reply::ok(std::to_string(
          std::chrono::duration_cast<std::chrono::milliseconds>(call.remaining()).count()));
    }
    if (method == "attempt") return Reply::ok(std::to_string(call.attempt()));
    if (method == "sleep") {
      if (call.sleep_for(std::chrono::milliseconds(number(text)))) return Reply::ok("slept");
      if (call.cancel_requested()) return Reply::error(Code::cancelled, "cancelled while sleeping");
      return Reply::error(Code::deadline_exceeded, "deadline passed while sleeping");
    }
    if (method == "throw") throw std::runtime_error("probe exception");
    if (method == "big") return Reply::ok(std::string(number(text), 'x'));
    if (method == "rendezvous") return rendezvous(text);
    if (method == "hold_echo") {
      if (!call.sleep_for(std::chrono::milliseconds(100))) {
        return Reply::error(Code::cancelled, "cancelled while holding");
      }
      return Reply::ok(payload);
    }
    return Reply::error(Code::not_found, "no method " + method);
  }

  stockade::sdk::Health health() override { return {.serving = true, .message = "probe ok"}; }

  void close() override { std::fputs("probe: close() called\n", stderr); }

 private:
  Reply rendezvous(std::string_view text) {
    const auto space = text.find(' ');
    const std::uint64_t want = number(text.substr(0, space));
    const std::uint64_t ms = space == std::string_view::npos ? 10000 : number(text.substr(space + 1));
    std::unique_lock lock(mu_);
    ++inside_;
    arrived_.notify_all();
    const bool met = arrived_.wait_for(lock, std::chrono::milliseconds(ms),
                                       [&] { return inside_ >= want; });
    // Once met, the group stays met: late wakers still see the count.
    if (!met) {
      --inside_;
      return Reply::error(Code::deadline_exceeded, "rendezvous timed out");
    }
    return Reply::ok("met");
  }

  std::mutex mu_;
  std::condition_variable arrived_;
  std::uint64_t inside_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  stockade::sdk::ServeOptions options;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--max-queued") == 0) options.max_queued = number(argv[i + 1]);
    if (std::strcmp(argv[i], "--max-workers") == 0) {
      options.max_workers = static_cast<std::uint32_t>(number(argv[i + 1]));
    }
  }
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--no-new-threads") != 0) continue;
    if (geteuid() == 0 && (setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0)) {
      std::perror("probe: setresuid");
      return 2;
    }
    // This process already counts against the limit: no clone can succeed.
    const rlimit one{1, 1};
    if (setrlimit(RLIMIT_NPROC, &one) != 0) {
      std::perror("probe: setrlimit");
      return 2;
    }
  }
  Probe probe;
  return stockade::serve(probe, options);
}
