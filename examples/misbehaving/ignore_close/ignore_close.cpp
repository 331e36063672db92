// ignore_close: a working echo plugin that ignores CloseRequest and SIGTERM,
// and lingers after the host closes the socket. Only SIGKILL ends it: the
// host's shutdown must escalate.
#include <unistd.h>

#include <csignal>
#include <cstdint>

#include "raw_link.h"

int main() {
  using namespace stockade::examples::misbehaving;
  std::signal(SIGTERM, SIG_IGN);
  RawLink link("ignore_close");
  link.handshake();
  serve_raw(
      link,
      [&](std::uint64_t id, const stockade::wire::fb::ExecuteRequest& request) {
        if (auto frame = link.builder().encode_execute_response(id, stockade::wire::bytes(request.payload())))
          link.send(*frame);
      },
      /*obey_close=*/false);
  for (;;) pause();
}
