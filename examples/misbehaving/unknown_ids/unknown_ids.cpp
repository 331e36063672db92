// unknown_ids: before each real answer, sends an ExecuteResponse for an id
// the host never used (the request's id + 1,000,000, payload "unknown") and
// a stray one for id 0. The real answer echoes the payload. The host must
// drop (and may log) the strays without failing the real call or crashing.
#include <cstdint>
#include <string_view>

#include "raw_link.h"

int main() {
  using namespace stockade::examples::misbehaving;
  RawLink link("unknown_ids");
  link.handshake();
  serve_raw(link, [&](std::uint64_t id, const stockade::wire::fb::ExecuteRequest& request) {
    constexpr std::string_view kStray = "unknown";
    const std::span<const std::uint8_t> stray(reinterpret_cast<const std::uint8_t*>(kStray.data()),
                                              kStray.size());
    for (const std::uint64_t bogus : {id + 1000000, std::uint64_t{0}}) {
      if (auto frame = link.builder().encode_execute_response(bogus, stray)) link.send(*frame);
    }
    if (auto frame = link.builder().encode_execute_response(id, stockade::wire::bytes(request.payload())))
      link.send(*frame);
  });
}
