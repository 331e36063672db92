// oversized_frame: completes the handshake, then answers the first Execute
// with a length prefix one byte over the max_frame the host granted, followed
// by a few bytes and a wait. The host must refuse on the prefix alone,
// without buffering the announced body.
#include <cstdint>
#include <vector>

#include "raw_link.h"

int main() {
  using namespace stockade::examples::misbehaving;
  RawLink link("oversized_frame");
  const auto negotiated = link.handshake();
  serve_raw(link, [&](std::uint64_t, const stockade::wire::fb::ExecuteRequest&) {
    const std::uint32_t length = negotiated.max_frame + 1;
    std::vector<std::uint8_t> frame = {
        static_cast<std::uint8_t>(length), static_cast<std::uint8_t>(length >> 8),
        static_cast<std::uint8_t>(length >> 16), static_cast<std::uint8_t>(length >> 24)};
    frame.resize(frame.size() + 4096, 0x41);
    link.send(frame);
    drain_until_eof(link.fd());
  });
}
