// garbage_frame: completes the handshake, then answers the first Execute with
// a well-formed length prefix followed by random bytes that are no
// FlatBuffer. The host must treat it as a protocol error (kill, fail the
// call), not crash or hang.
#include <cstdint>
#include <random>
#include <vector>

#include "raw_link.h"

int main() {
  using namespace stockade::examples::misbehaving;
  RawLink link("garbage_frame");
  link.handshake();
  serve_raw(link, [&](std::uint64_t, const stockade::wire::fb::ExecuteRequest&) {
    constexpr std::uint32_t kBody = 64;
    std::vector<std::uint8_t> frame = {kBody, 0, 0, 0};
    std::mt19937 random(std::random_device{}());
    for (std::uint32_t i = 0; i < kBody; ++i) frame.push_back(static_cast<std::uint8_t>(random()));
    link.send(frame);
  });
}
