// wrong_version: offers only protocol version 99 in Hello. The host should
// answer with an Error; the plugin prints whatever came back and exits 1
// (2 if the host accepted, which it must not).
#include <cstdint>
#include <cstdio>
#include <string>

#include "raw_link.h"
#include "wire/describe.h"

int main() {
  using stockade::examples::misbehaving::RawLink;
  RawLink link("wrong_version");
  const std::uint32_t versions[] = {99};
  auto hello = link.builder().encode_hello(0, {versions, link.name(), "1.0.0", link.cookie()});
  if (!hello) return 1;
  link.send(*hello);
  const auto* answer = link.next();
  if (answer == nullptr) {
    std::fprintf(stderr, "wrong_version: the host closed the socket\n");
    return 1;
  }
  std::fprintf(stderr, "wrong_version: the host answered %s\n",
               stockade::wire::describe(*answer).c_str());
  return answer->body_type() == stockade::wire::fb::Body::HelloAck ? 2 : 1;
}
