// stall_mid_frame: completes the handshake, then sends the first half of a
// valid ExecuteResponse to the first Execute and stops writing (it keeps
// reading until the host closes the socket). Only the call deadline or the
// host's own stall timeout can end the call.
#include <cstdint>
#include <vector>

#include "raw_link.h"

int main() {
  using namespace stockade::examples::misbehaving;
  RawLink link("stall_mid_frame");
  link.handshake();
  serve_raw(link, [&](std::uint64_t id, const stockade::wire::fb::ExecuteRequest& request) {
    auto frame = link.builder().encode_execute_response(id, stockade::wire::bytes(request.payload()));
    if (!frame) return;
    link.send(frame->first(frame->size() / 2));
    drain_until_eof(link.fd());
  });
}
