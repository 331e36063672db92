// protocol_example: prints the example exchange of PROTOCOL.md (Hello both
// ways, one Execute, Close) as the project's own FrameBuilder encodes it, in
// the exact text PROTOCOL.md quotes. tests/docs/protocol_example_matches.sh
// fails when the two differ, so the document's bytes cannot go stale.
//
// Each frame is decoded again with decode_frame (the receiver's checks) before
// it is printed, and the Envelope's layout is read out of the bytes (root
// offset, vtable, where each field sits), so a reader writing a codec in
// another language can check their own output byte for byte.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wire/describe.h"
#include "wire/frame_builder.h"
#include "wire/frame_decoder.h"
#include "wire/protocol.h"

namespace {

using namespace stockade::wire;
using stockade::Result;

std::uint32_t le32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]} << 16 |
         std::uint32_t{p[3]} << 24;
}

std::uint16_t le16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>(p[0] | p[1] << 8);
}

// 16 bytes a line, offsets relative to the body's first byte (alignment is
// relative to it), printable ASCII on the right.
void dump_body(std::span<const std::uint8_t> body) {
  for (std::size_t line = 0; line < body.size(); line += 16) {
    std::string hex;
    std::string text;
    for (std::size_t i = line; i < line + 16; ++i) {
      if (i == line + 8) hex += ' ';
      if (i < body.size()) {
        char byte[4];
        std::snprintf(byte, sizeof byte, " %02x", body[i]);
        hex += byte;
        text += body[i] >= 0x20 && body[i] < 0x7f ? static_cast<char>(body[i]) : '.';
      } else {
        hex += "   ";
      }
    }
    std::printf("  %04zx %s  |%s|\n", line, hex.c_str(), text.c_str());
  }
}

// The Envelope table as the bytes hold it: where the root table and its
// vtable are, and at which body offset each field sits (or that it is absent
// and reads as its default).
void describe_layout(std::span<const std::uint8_t> body) {
  const std::uint32_t root = le32(body.data());
  const std::int32_t to_vtable = static_cast<std::int32_t>(le32(body.data() + root));
  const std::size_t vtable = root - static_cast<std::size_t>(to_vtable);
  const std::uint16_t vtable_size = le16(body.data() + vtable);
  const std::uint16_t table_size = le16(body.data() + vtable + 2);
  std::printf("  root offset %u: Envelope table at %04x, its vtable at %04zx (%u bytes, table %u bytes)\n",
              root, root, vtable, vtable_size, table_size);
  static constexpr const char* kFields[] = {"id (ulong)", "body_type (ubyte)", "body (offset)"};
  for (std::size_t field = 0; field < 3; ++field) {
    const std::size_t entry = 4 + 2 * field;
    const std::uint16_t at = entry + 2 <= vtable_size ? le16(body.data() + vtable + entry) : 0;
    if (at == 0) {
      std::printf("    %-18s absent (default 0)\n", kFields[field]);
    } else {
      std::printf("    %-18s at %04x\n", kFields[field], root + at);
    }
  }
}

void print_frame(const char* direction, const Result<Frame>& frame) {
  if (!frame) {
    std::fprintf(stderr, "protocol_example: cannot encode: %s\n", frame.error().message().c_str());
    std::exit(1);
  }
  const std::uint32_t length = le32(frame->data());
  // The receiver's view: the body alone, at an 8-byte aligned address.
  std::vector<std::uint64_t> storage((length + 7) / 8);
  std::memcpy(storage.data(), frame->data() + kLengthPrefixSize, length);
  const std::span<const std::uint8_t> body(reinterpret_cast<const std::uint8_t*>(storage.data()),
                                           length);
  auto envelope = decode_frame(body);
  if (!envelope) {
    std::fprintf(stderr, "protocol_example: the frame does not decode: %s\n",
                 envelope.error().message().c_str());
    std::exit(1);
  }
  std::printf("%s %s\n", direction, describe(**envelope).c_str());
  std::printf("  length prefix %02x %02x %02x %02x = N = %u body bytes\n", frame->data()[0],
              frame->data()[1], frame->data()[2], frame->data()[3], length);
  dump_body(body);
  describe_layout(body);
  std::printf("\n");
}

std::span<const std::uint8_t> text_bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

}  // namespace

int main() {
  FrameBuilder builder;
  const std::uint32_t versions[] = {kProtocolVersion};
  // A fixed cookie: the real one is 32 random hex digits drawn per launch.
  print_frame("plugin -> supervisor",
              builder.encode_hello(0, HelloInfo{versions, "echo", "1.0.0",
                                                "00112233445566778899aabbccddeeff"}));
  // What the supervisor grants for examples/echo/plugin.json (execute.max_frame_kb
  // left at its default 4096, execute.max_concurrency 16).
  print_frame("supervisor -> plugin",
              builder.encode_hello_ack(0, HelloAckInfo{kProtocolVersion, 4096 * 1024, 16}));
  // Call ids start at 1 (per plugin, never reused); echo's execute.timeout_ms
  // is 5000, sent as the budget left when the call leaves at once.
  print_frame("supervisor -> plugin",
              builder.encode_execute_request(1, "echo", text_bytes("hi"), 5000, 1));
  print_frame("plugin -> supervisor", builder.encode_execute_response(1, text_bytes("hi")));
  // Shutdown with the default grace (SupervisorOptions::shutdown_grace).
  print_frame("supervisor -> plugin", builder.encode_close_request(0, 2000));
  return 0;
}
