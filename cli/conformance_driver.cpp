#include "cli/conformance_driver.h"

#include <utility>

#include "base/payload_memfd.h"

namespace stockade::supervisor::conformance {

namespace {

using wire::fb::Body;

std::string event_text(const PluginLink::Next& next) {
  switch (next.event) {
    case PluginLink::Event::timeout: return "nothing arrived in time";
    case PluginLink::Event::closed: return "the plugin closed its socket (or exited)";
    case PluginLink::Event::bad_frame: return "the plugin sent a frame the supervisor refuses: " + next.error;
    case PluginLink::Event::frame: return "a frame arrived";
  }
  return "?";
}

std::optional<Failure> not_a_frame(const PluginLink::Next& next, const std::string& waiting_for) {
  if (next.event == PluginLink::Event::frame) return std::nullopt;
  return Failure{"waiting for " + waiting_for + ": " + event_text(next)};
}

}  // namespace

Driver::Driver(const Target& target)
    : target_(target), builder_(wire::DecodeLimits{.max_frame = target.max_frame}) {}

std::optional<Failure> Driver::start(Received& hello) {
  auto link = PluginLink::launch(target_.manifest, target_.settings, target_.max_frame, target_.quiet);
  if (!link) {
    launch_error_ = link.error();
    return Failure{"cannot launch the plugin: " + link.error().message()};
  }
  link_ = std::move(*link);
  auto next = link_->next(kHelloWait);
  if (auto failure = not_a_frame(next, "Hello")) return failure;
  if (next.frame.type != Body::Hello) {
    return Failure{std::string("the first frame is ") + wire::body_name(next.frame.type) + ", not Hello"};
  }
  hello = std::move(next.frame);
  offered_memfds_ = hello.memfd_payloads;
  return std::nullopt;
}

std::optional<Failure> Driver::ack(std::uint32_t version) {
  wire::HelloAckInfo ack{version, target_.max_frame, target_.max_concurrency};
  if (target_.max_payload > 0 && offered_memfds_) {
    // As the supervisor grants them: what fits a frame stays in one.
    ack.memfd_threshold = target_.max_frame > 4096 ? target_.max_frame - 4096 : 1;
    ack.max_payload = target_.max_payload;
  }
  if (auto failure = send(builder_.encode_hello_ack(0, ack))) return failure;
  if (ack.max_payload > 0) {
    memfds_granted_ = true;
    link_->grant_memfds(ack.max_payload);
    builder_ = wire::FrameBuilder(wire::DecodeLimits{.max_frame = target_.max_frame,
                                                     .max_memfd_payload = ack.max_payload});
  }
  return std::nullopt;
}

Expected<std::uint64_t> Driver::execute_in_memfd(std::string_view method, std::span<const std::uint8_t> payload,
                                                 std::uint64_t deadline_ms) {
  auto memfd = make_payload_memfd(payload);
  if (!memfd) return Failure{"cannot make the request's memfd: " + memfd.error().message()};
  const std::uint64_t id = new_id();
  auto frame = builder_.encode_execute_request_memfd(id, method, payload.size(), deadline_ms, 1);
  if (!frame) return Failure{"cannot encode the request: " + frame.error().message()};
  if (auto sent = link_->send_with_fd(*frame, memfd->get()); !sent) return Failure{sent.error().message()};
  return id;
}

std::uint64_t Driver::add_execute(std::vector<std::uint8_t>& batch, std::string_view method,
                                  std::span<const std::uint8_t> payload, std::uint64_t deadline_ms) {
  const std::uint64_t id = new_id();
  auto frame = builder_.encode_execute_request(id, method, payload, deadline_ms, 1);
  if (frame) {
    batch.insert(batch.end(), frame->begin(), frame->end());
  } else {
    encode_failure_ = frame.error().message();
  }
  return id;
}

std::optional<Failure> Driver::send_batch(const std::vector<std::uint8_t>& batch) {
  if (encode_failure_) return Failure{"cannot encode a request: " + *std::exchange(encode_failure_, {})};
  if (auto sent = link_->send(batch); !sent) return Failure{sent.error().message()};
  return std::nullopt;
}

std::optional<Failure> Driver::send(Result<wire::Frame> frame) {
  if (!frame) return Failure{"cannot encode a request: " + frame.error().message()};
  if (auto sent = link_->send(*frame); !sent) return Failure{sent.error().message()};
  return std::nullopt;
}

Expected<std::vector<Received>> Driver::answers(std::set<std::uint64_t> ids,
                                                std::chrono::milliseconds wait) {
  std::vector<Received> got;
  while (!ids.empty()) {
    auto next = link_->next(wait);
    if (auto failure = not_a_frame(next, std::to_string(ids.size()) + " answer(s)")) {
      if (!got.empty()) failure->why += " (after " + std::to_string(got.size()) + " answers)";
      return *failure;
    }
    if (ids.erase(next.frame.id) == 0) {
      return Failure{"unexpected frame " + next.frame.describe() + " (no request has that id in flight)"};
    }
    got.push_back(std::move(next.frame));
  }
  return got;
}

Expected<Received> Driver::answer(std::uint64_t id, std::chrono::milliseconds wait) {
  auto got = answers({id}, wait);
  if (auto* failure = std::get_if<Failure>(&got)) return *failure;
  return std::move(std::get<std::vector<Received>>(got).front());
}

std::optional<Failure> Driver::quiet_for(std::chrono::milliseconds wait, const std::string& what) {
  auto next = link_->next(wait);
  if (next.event == PluginLink::Event::timeout) return std::nullopt;
  if (next.event == PluginLink::Event::frame) return Failure{what + ", but the plugin sent " + next.frame.describe()};
  return Failure{what + ", but " + event_text(next)};
}

}  // namespace stockade::supervisor::conformance
