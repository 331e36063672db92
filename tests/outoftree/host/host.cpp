// reverse-host: a host program that embeds the installed supervisor library,
// calls the out-of-tree reverse plugin once and checks its answer.
//   reverse-host PLUGINS_DIR WHITELIST
// Exit 0 when "stockade" came back as "edakcots"; 1 with the reason otherwise.
#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>

#include <stockade/supervisor.h>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: reverse-host PLUGINS_DIR WHITELIST\n");
    return 2;
  }
  auto sup = stockade::supervisor::Supervisor::create(
      {.plugins_dir = argv[1], .whitelist = argv[2]});
  if (!sup) {
    std::fprintf(stderr, "reverse-host: %s\n", sup.error().message().c_str());
    return 1;
  }
  constexpr std::string_view payload = "stockade";
  auto reply = (*sup)->execute(
      "reverse", "reverse",
      std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(payload.data()),
                                    payload.size()));
  if (!reply) {
    std::fprintf(stderr, "reverse-host: reverse failed: %s\n", reply.error().describe().c_str());
    return 1;
  }
  std::string answer(reply->begin(), reply->end());
  std::printf("reverse-host: reverse(\"%.*s\") = \"%s\"\n", static_cast<int>(payload.size()),
              payload.data(), answer.c_str());
  return answer == "edakcots" ? 0 : 1;
}
