// stderr_flood: writes long lines full of control characters and terminal
// escapes to stderr: a 256 KiB line without a newline at start-up, and on
// each Execute <payload> MiB (decimal text; empty = 4) of 64 KiB lines before
// answering "flooded <bytes> bytes". The host must keep reading, bound and
// escape what it logs, and stay responsive.
#include <unistd.h>

#include <charconv>
#include <cstdint>
#include <span>
#include <string>

#include <stockade/sdk.h>

namespace {

using stockade::sdk::Code;
using stockade::sdk::Reply;

// Text that must be escaped before it reaches a log or a terminal.
std::string hostile_line(std::size_t bytes) {
  static constexpr char kJunk[] = "\x1b[2J\x1b]0;pwned\x07\r\b\x7f\x01 bell\a tab\t nul";
  std::string line;
  line.reserve(bytes);
  while (line.size() < bytes) line.append(kJunk, sizeof kJunk);  // includes the NUL
  line.resize(bytes);
  return line;
}

bool write_all(const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = write(2, text.data() + done, text.size() - done);
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

class StderrFlood final : public stockade::sdk::Plugin {
 public:
  stockade::sdk::Info info() override {
    return {.name = "stderr_flood",
            .version = "1.0.0",
            .description = "floods stderr with long lines of control characters"};
  }

  Reply execute(stockade::sdk::CallContext& call, std::span<const std::uint8_t> payload) override {
    std::uint64_t mib = 4;
    if (!payload.empty()) {
      const auto* first = reinterpret_cast<const char*>(payload.data());
      const auto [end, ec] = std::from_chars(first, first + payload.size(), mib);
      if (ec != std::errc() || end != first + payload.size() || mib > 1024) {
        return Reply::error(Code::invalid_argument, "payload must be a number of MiB (0..1024)");
      }
    }
    std::string line = hostile_line(64 * 1024 - 1) + "\n";
    std::uint64_t written = 0;
    while (written < mib * 1024 * 1024 && !call.cancelled()) {
      if (!write_all(line)) break;
      written += line.size();
    }
    return Reply::ok("flooded " + std::to_string(written) + " bytes");
  }
};

}  // namespace

int main() {
  write_all(hostile_line(256 * 1024));
  StderrFlood plugin;
  return stockade::serve(plugin);
}
