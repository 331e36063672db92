// control_probe SOCKET: connects to a control socket, asks Status, and prints
// every answer ("id 0 Error PERMISSION_DENIED: ...") until the daemon
// closes ("closed"). Run as another uid (setpriv) by serve_test.cpp.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "base/unique_fd.h"
#include "control/builder.h"
#include "wire/frame_reader.h"

int main(int argc, char** argv) {
  using namespace stockade;
  if (argc != 2) {
    std::fprintf(stderr, "usage: control_probe SOCKET\n");
    return 2;
  }
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, argv[1], sizeof(addr.sun_path) - 1);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    std::fprintf(stderr, "connect: %s\n", std::strerror(errno));
    return 1;
  }
  control::ControlBuilder builder;
  auto frame = builder.encode(1, control::StatusRequest{});
  if (!frame || ::send(fd.get(), frame->data(), frame->size(), MSG_NOSIGNAL) < 0) {
    // The daemon may already have refused and closed: reading says so.
    std::fprintf(stderr, "send failed\n");
  }
  wire::FrameReader reader;
  for (;;) {
    auto space = reader.prepare(4096);
    ssize_t n = ::read(fd.get(), space.data(), space.size());
    if (n <= 0) break;
    reader.commit(static_cast<size_t>(n));
    for (;;) {
      auto body = reader.next();
      if (!body || !*body) break;
      auto m = control::decode_message(**body);
      if (!m) {
        std::printf("undecodable\n");
        continue;
      }
      if (const auto* e = std::get_if<control::ErrorInfo>(&m->body)) {
        std::printf("id %llu Error %s: %s\n", static_cast<unsigned long long>(m->id), control::code_name(e->code),
                    e->message.c_str());
      } else {
        std::printf("id %llu answer\n", static_cast<unsigned long long>(m->id));
      }
    }
  }
  std::printf("closed\n");
  return 0;
}
