// Channel (supervisor/channel.h): frames with large payloads leave from the
// caller's memory, and the caller may reuse that memory as soon as send()
// returns, however little the socket took; frames, payload memfds and the
// order of both survive a reader slower than the writer.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "base/fd_passing.h"
#include "base/payload_memfd.h"
#include "supervisor/channel.h"
#include "wire/frame_decoder.h"
#include "wire/frame_reader.h"

namespace stockade::supervisor {
namespace {

std::vector<std::uint8_t> filled(std::size_t size, std::uint8_t seed) {
  std::vector<std::uint8_t> bytes(size);
  for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<std::uint8_t>(seed + i * 7 + (i >> 10));
  return bytes;
}

struct Seen {
  std::uint64_t id;
  std::vector<std::uint8_t> payload;
  std::uint64_t memfd_size;
};

TEST(Channel, AGatheredFrameLeavesWholeThoughTheCallerReusesItsMemoryAtOnce) {
  int pair[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
  UniqueFd peer(pair[1]);
  // A small send buffer: a 300 KiB frame leaves in many pieces, most of
  // them after send() returned.
  const int small = 16 * 1024;
  ASSERT_EQ(::setsockopt(pair[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small), 0);
  // A broken stream fails the test instead of hanging it.
  const timeval patience{10, 0};
  ASSERT_EQ(::setsockopt(pair[1], SOL_SOCKET, SO_RCVTIMEO, &patience, sizeof patience), 0);
  boost::asio::io_context io;
  auto work = boost::asio::make_work_guard(io);
  wire::DecodeLimits limits;
  limits.max_frame = 4u << 20;
  auto channel = std::make_shared<Channel>(
      io, UniqueFd(pair[0]), limits, 8u << 20, [](const wire::fb::Envelope&, UniqueFd) {},
      [](const Error& e) { ADD_FAILURE() << "channel error: " << e.message(); });
  channel->accept_memfd_payloads(1u << 20);

  // id 1: a gathered frame into an empty queue (sent at once); 2: a small
  // frame queued behind its rest; 3: a payload memfd; 4: gathered again,
  // behind the others. Each gathered payload is overwritten right after
  // send(), as a caller whose execute() returned may.
  const std::vector<std::uint8_t> expect1 = filled(300 * 1024 + 3, 1), expect2 = filled(16, 2),
                                  expect4 = filled(64 * 1024, 4);
  std::vector<std::uint8_t> memfd_bytes = filled(4096, 3);
  std::vector<std::uint8_t> buffer = expect1;
  auto& builder = channel->builder();
  auto first = builder.encode_execute_request_gathered(1, "echo", buffer, 1000, 1);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(channel->send(*first).ok());
  EXPECT_EQ(channel->sends(), 1u) << "the first frame was not sent at once, from the caller's memory";
  std::memset(buffer.data(), 0xEE, buffer.size());
  auto second = builder.encode_execute_request(2, "echo", expect2, 1000, 1);
  ASSERT_TRUE(second.ok());
  ASSERT_TRUE(channel->send(*second).ok());
  auto memfd = make_payload_memfd(memfd_bytes);
  ASSERT_TRUE(memfd.ok());
  auto third = builder.encode_execute_request_memfd(3, "echo", memfd_bytes.size(), 1000, 1);
  ASSERT_TRUE(third.ok());
  ASSERT_TRUE(channel->send(*third, std::move(*memfd)).ok());
  buffer = expect4;
  auto fourth = builder.encode_execute_request_gathered(4, "echo", buffer, 1000, 1);
  ASSERT_TRUE(fourth.ok());
  ASSERT_TRUE(channel->send(*fourth).ok());
  std::memset(buffer.data(), 0xEE, buffer.size());

  std::thread loop([&] { io.run(); });
  // Joined on every way out, a failed assertion's too.
  struct Joined {
    boost::asio::io_context& io;
    std::thread& thread;
    ~Joined() {
      io.stop();
      thread.join();
    }
  } joined{io, loop};
  // A slow reader: small reads, so the writer keeps waiting for room.
  std::vector<Seen> seen;
  int descriptors = 0;
  wire::DecodeLimits peer_limits = limits;
  peer_limits.max_memfd_payload = 1u << 20;  // what the handshake granted
  wire::FrameReader reader(limits.max_frame, 8192);
  while (seen.size() < 4) {
    auto space = reader.prepare(8192);
    Received got = recv_with_fd(peer.get(), space);
    ASSERT_GT(got.bytes, 0) << "the stream ended after " << seen.size() << " frames";
    if (got.fd) ++descriptors;
    reader.commit(static_cast<std::size_t>(got.bytes));
    for (;;) {
      auto next = reader.next();
      ASSERT_TRUE(next.ok()) << next.error().message();
      if (!*next) break;
      auto envelope = wire::decode_frame(**next, peer_limits);
      ASSERT_TRUE(envelope.ok()) << envelope.error().message();
      const auto* request = (*envelope)->body_as_ExecuteRequest();
      ASSERT_NE(request, nullptr);
      Seen s{(*envelope)->id(), {}, request->payload_memfd()};
      if (request->payload() != nullptr) s.payload.assign(request->payload()->begin(), request->payload()->end());
      seen.push_back(std::move(s));
    }
  }
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[0].id, 1u);
  EXPECT_TRUE(seen[0].payload == expect1) << "frame 1's payload came back changed";
  EXPECT_EQ(seen[1].id, 2u);
  EXPECT_TRUE(seen[1].payload == expect2);
  EXPECT_EQ(seen[2].id, 3u);
  EXPECT_EQ(seen[2].memfd_size, memfd_bytes.size());
  EXPECT_EQ(seen[3].id, 4u);
  EXPECT_TRUE(seen[3].payload == expect4) << "frame 4's payload came back changed";
  EXPECT_EQ(descriptors, 1) << "the payload memfd did not come, or came twice";
}

}  // namespace
}  // namespace stockade::supervisor
