// bad_memfd: offers memfd payloads in its Hello, then answers each Execute
// with a payload memfd that breaks the rules in the way its method names.
// The host must refuse each before it maps a byte (a protocol violation:
// the plugin is killed and restarted), and never crash or hang:
//   unsealed   a memfd without seals (the plugin could change it later)
//   short      sealed, 10 bytes, announced as 20
//   pipe       a pipe's read end instead of a memfd
//   tmpfile    a file of the sandbox's /tmp (tmpfs, but it takes no seals)
//   no_fd      announces a memfd, sends no descriptor
//   stray_fd   a plain answer with a descriptor that no frame announces
//   two_fds    two descriptors in one message
//   over       announces more bytes than the handshake granted
//   sparse     sealed, 4 MiB by ftruncate, never written (all one hole)
//   hugetlb    asks the kernel for a hugetlb memfd (seccomp refuses the flag)
//   good       a correct sealed memfd echoing the request (the control case)
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "base/payload_memfd.h"
#include "raw_link.h"

namespace {

using namespace stockade::examples::misbehaving;
using stockade::UniqueFd;

UniqueFd memfd_with(std::string_view bytes, bool seal) {
  UniqueFd fd(memfd_create("bad", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!fd || write(fd.get(), bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size())) {
    std::perror("bad_memfd: memfd");
    std::exit(1);
  }
  if (seal && fcntl(fd.get(), F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW) != 0) {
    std::perror("bad_memfd: seal");
    std::exit(1);
  }
  return fd;
}

void send_two_fds(int socket, std::span<const std::uint8_t> bytes, int a, int b) {
  iovec iov{const_cast<std::uint8_t*>(bytes.data()), bytes.size()};
  union {
    char buf[CMSG_SPACE(2 * sizeof(int))];
    cmsghdr align;
  } control{};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.buf;
  msg.msg_controllen = sizeof(control.buf);
  cmsghdr* h = CMSG_FIRSTHDR(&msg);
  h->cmsg_level = SOL_SOCKET;
  h->cmsg_type = SCM_RIGHTS;
  h->cmsg_len = CMSG_LEN(2 * sizeof(int));
  const int fds[2] = {a, b};
  std::memcpy(CMSG_DATA(h), fds, sizeof(fds));
  if (sendmsg(socket, &msg, MSG_NOSIGNAL) < 0) std::exit(1);
}

}  // namespace

int main() {
  RawLink link("bad_memfd");
  const auto negotiated = link.handshake(true);
  stockade::wire::DecodeLimits limits;
  limits.max_frame = negotiated.max_frame;
  limits.max_memfd_payload = negotiated.max_payload;
  link.set_limits(limits);
  serve_raw(link, [&](std::uint64_t id, const stockade::wire::fb::ExecuteRequest& request) {
    const std::string mode(stockade::wire::view(request.method()));
    auto& b = link.builder();
    if (mode == "unsealed") {
      auto fd = memfd_with("0123456789", false);
      if (auto f = b.encode_execute_response_memfd(id, 10)) link.send_with_fd(*f, fd.get());
    } else if (mode == "short") {
      auto fd = memfd_with("0123456789", true);
      if (auto f = b.encode_execute_response_memfd(id, 20)) link.send_with_fd(*f, fd.get());
    } else if (mode == "pipe") {
      int p[2];
      if (pipe2(p, O_CLOEXEC) != 0) std::exit(1);
      UniqueFd r(p[0]), w(p[1]);
      if (auto f = b.encode_execute_response_memfd(id, 10)) link.send_with_fd(*f, r.get());
    } else if (mode == "tmpfile") {
      UniqueFd fd(open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
      if (!fd || write(fd.get(), "0123456789", 10) != 10) std::exit(1);
      if (auto f = b.encode_execute_response_memfd(id, 10)) link.send_with_fd(*f, fd.get());
    } else if (mode == "no_fd") {
      if (auto f = b.encode_execute_response_memfd(id, 10)) link.send(*f);
    } else if (mode == "stray_fd") {
      auto fd = memfd_with("0123456789", true);
      if (auto f = b.encode_execute_response(id, stockade::wire::bytes(request.payload()))) {
        link.send_with_fd(*f, fd.get());
      }
    } else if (mode == "two_fds") {
      auto one = memfd_with("0123456789", true);
      auto two = memfd_with("0123456789", true);
      if (auto f = b.encode_execute_response_memfd(id, 10)) send_two_fds(link.fd(), *f, one.get(), two.get());
    } else if (mode == "over") {
      // Encoded by a builder that believes in a larger grant than the host's.
      stockade::wire::DecodeLimits liar = limits;
      liar.max_memfd_payload = negotiated.max_payload + 1;
      stockade::wire::FrameBuilder lying(liar);
      auto fd = memfd_with("0123456789", true);
      if (auto f = lying.encode_execute_response_memfd(id, negotiated.max_payload + 1)) {
        link.send_with_fd(*f, fd.get());
      }
    } else if (mode == "sparse") {
      UniqueFd fd(memfd_create("bad", MFD_CLOEXEC | MFD_ALLOW_SEALING));
      constexpr off_t kSize = 4 << 20;
      if (!fd || ftruncate(fd.get(), kSize) != 0 ||
          fcntl(fd.get(), F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW) != 0) {
        std::exit(1);
      }
      if (auto f = b.encode_execute_response_memfd(id, kSize)) link.send_with_fd(*f, fd.get());
    } else if (mode == "hugetlb") {
      // Killed here by seccomp: MFD_HUGETLB is not among the flags allowed.
      UniqueFd fd(memfd_create("bad", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB));
      std::fprintf(stderr, "bad_memfd: memfd_create(MFD_HUGETLB) returned %d\n", fd.get());
      if (auto f = b.encode_execute_error(id, {stockade::wire::fb::ErrorCode::INTERNAL, "not killed", false}))
        link.send(*f);
    } else {  // good
      const auto payload = stockade::wire::bytes(request.payload());
      auto fd = stockade::make_payload_memfd(payload);
      if (!fd) std::exit(1);
      if (auto f = b.encode_execute_response_memfd(id, payload.size())) link.send_with_fd(*f, fd->get());
    }
  });
}
