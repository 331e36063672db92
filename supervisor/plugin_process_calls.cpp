// PluginProcess, the call side: the handshake, answers matched to pending
// calls by id, the per-plugin deadline timer (one timer, armed at the earliest
// deadline, so a call costs no timer syscall) and protocol violations.

#include "base/payload_memfd.h"
#include "supervisor/channel.h"
#include "supervisor/plugin_process.h"
#include "wire/describe.h"
#include "wire/protocol.h"

namespace stockade::supervisor {

namespace asio = boost::asio;
namespace fb = wire::fb;
using std::chrono::milliseconds;

// A plugin that closed its socket gets this long to exit on its own (so its
// own exit status is what gets reported) before it is killed.
constexpr milliseconds kExitAfterEof{500};
constexpr uint32_t kMaxStrayAnswersPerSecond = 1000;
constexpr uint64_t kMiB = 1024 * 1024;
// Room in a frame beyond its payload: the method (256 bytes at most), the
// other fields, the envelope and FlatBuffers' tables.
constexpr uint32_t kFrameSlack = 4096;

namespace {

StatusCode from_wire(fb::ErrorCode code) {
  switch (code) {
    case fb::ErrorCode::CANCELLED: return StatusCode::cancelled;
    case fb::ErrorCode::INVALID_ARGUMENT: return StatusCode::invalid_argument;
    case fb::ErrorCode::DEADLINE_EXCEEDED: return StatusCode::deadline_exceeded;
    case fb::ErrorCode::NOT_FOUND: return StatusCode::not_found;
    case fb::ErrorCode::RESOURCE_EXHAUSTED: return StatusCode::resource_exhausted;
    case fb::ErrorCode::UNAVAILABLE: return StatusCode::unavailable;
    case fb::ErrorCode::INTERNAL: return StatusCode::internal;
    case fb::ErrorCode::UNIMPLEMENTED: return StatusCode::unimplemented;
    default: return StatusCode::unknown;
  }
}

CallError answered_error(const fb::Error& e) {
  CallError error{from_wire(e.code()), std::string(wire::view(e.message())), Delivery::answered};
  error.plugin_says_retryable = e.retryable();
  return error;
}

bool answer_fits(RequestKind kind, fb::Body body) {
  if (body == fb::Body::Error) return true;
  switch (kind) {
    case RequestKind::execute: return body == fb::Body::ExecuteResponse;
    case RequestKind::info: return body == fb::Body::InfoResponse;
    case RequestKind::health: return body == fb::Body::HealthResponse;
  }
  return false;
}

// Constant time: the cookie is a secret of this launch.
bool same_cookie(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace

void PluginProcess::call(const Request& request, Clock::time_point deadline, Completion done) {
  auto refuse = [&](std::string message) {
    CallError error{StatusCode::unavailable, std::move(message), Delivery::not_sent};
    error.hopeless = true;
    done(nullptr, &error);
  };
  if (state_ == PluginState::failed) return refuse("plugin failed: " + reason_);
  if (stopping_) return refuse(stop_reason_);
  if (table_.size() >= table_.capacity()) {
    CallError error{StatusCode::resource_exhausted,
                    "too many calls waiting for the plugin (" + std::to_string(table_.capacity()) + ")",
                    Delivery::not_sent};
    error.hopeless = true;
    return done(nullptr, &error);
  }
  (void)table_.add(request, deadline, std::move(done));
  arm_deadline(deadline);
  if (state_ == PluginState::stopped) start();
  pump();
}

void PluginProcess::pump() {
  // A closed channel is a process being killed: its calls wait in the
  // queue for the next launch instead of failing on the closed socket.
  if (state_ != PluginState::ready || !channel_ || channel_->closed()) return;
  if (pending_manifest_) {
    // A reload drains it: nothing new is sent; the new process gets the
    // queue once the calls in flight are over.
    if (table_.executes_in_flight() == 0) close_for_reload();
    return;
  }
  while (auto id = table_.next_queued(true)) send_request(*id);
  while (table_.executes_in_flight() < manifest_.execute.max_concurrency) {
    auto id = table_.next_queued(false);
    if (!id) break;
    send_request(*id);
  }
}

bool PluginProcess::send_execute(uint64_t id, PendingCall& call) {
  const Request& r = call.request;
  auto end_call = [&](StatusCode code, std::string why) {
    auto taken = table_.take(id);
    CallError error{code, std::move(why), Delivery::not_sent};
    error.hopeless = true;
    taken->done(nullptr, &error);
    return false;
  };
  const auto left = std::chrono::ceil<milliseconds>(call.deadline - Clock::now());
  const auto deadline_ms = static_cast<uint64_t>(std::max<int64_t>(1, left.count()));
  const uint64_t max_frame =
      std::min<uint64_t>(uint64_t{manifest_.execute.max_frame_kb} * 1024u, wire::kMaxFrameCeiling);
  if (memfd_threshold_ == 0 || r.payload.size() < memfd_threshold_) {
    // A large payload leaves from the caller's memory, a small one is copied
    // into the frame and batched (FrameBuilder and Channel decide which).
    auto frame = channel_->builder().encode_execute_request_gathered(id, r.method, r.payload, deadline_ms,
                                                                     r.attempt);
    if (!frame && frame.error().code == Errc::limit) {
      // Said in the manifest's terms: the FrameBuilder's own words name no
      // setting the user could change.
      std::string why = "the request (" + std::to_string(r.payload.size()) +
                        " bytes of payload) exceeds the plugin's frame limit of " + std::to_string(max_frame) +
                        " bytes (execute.max_frame_kb = " + std::to_string(manifest_.execute.max_frame_kb) +
                        " in " + manifest_.source + "); ";
      if (manifest_.execute.max_payload_mb == 0) {
        why += "raise it, allow larger payloads in memfds with execute.max_payload_mb, or send less";
      } else {
        why += "execute.max_payload_mb would carry it in a memfd, but the plugin did not offer to take "
               "payloads in memfds (Hello.memfd_payloads: its SDK is older or does not support them)";
      }
      return end_call(StatusCode::invalid_argument, std::move(why));
    }
    if (!frame) return end_call(StatusCode::invalid_argument, frame.error().message());
    if (auto sent = channel_->send(*frame); !sent) {
      return end_call(StatusCode::unavailable, sent.error().message());
    }
    return true;
  }
  if (r.payload.size() > max_payload_) {
    return end_call(StatusCode::invalid_argument,
                    "the request's payload (" + std::to_string(r.payload.size()) +
                        " bytes) exceeds the plugin's payload limit of " + std::to_string(max_payload_) +
                        " bytes (execute.max_payload_mb = " + std::to_string(manifest_.execute.max_payload_mb) +
                        " in " + manifest_.source + "); raise it there or send less");
  }
  auto memfd = make_payload_memfd(r.payload);
  if (!memfd) {
    log().error(manifest_.name, "cannot put a {}-byte payload in a memfd: {}", r.payload.size(),
                memfd.error().message());
    return end_call(StatusCode::resource_exhausted, memfd.error().message());
  }
  auto frame = channel_->builder().encode_execute_request_memfd(id, r.method, r.payload.size(), deadline_ms,
                                                                r.attempt);
  if (!frame) return end_call(StatusCode::invalid_argument, frame.error().message());
  if (auto sent = channel_->send(*frame, std::move(*memfd)); !sent) {
    return end_call(StatusCode::unavailable, sent.error().message());
  }
  return true;
}

void PluginProcess::send_request(uint64_t id) {
  PendingCall* call = table_.find(id);
  const Request& r = call->request;
  Result<wire::Frame> frame = Error{};
  auto& builder = channel_->builder();
  switch (r.kind) {
    case RequestKind::execute:
      if (!send_execute(id, *call)) return;
      table_.mark_sent(id);
      ++counters_.calls_sent;
      return;
    case RequestKind::info: frame = builder.encode_info_request(id); break;
    case RequestKind::health: frame = builder.encode_health_request(id); break;
  }
  Status sent = frame ? channel_->send(*frame) : Status(frame.error());
  if (!sent) {
    // A full output queue means the plugin stopped reading.
    auto taken = table_.take(id);
    CallError error{StatusCode::unavailable, sent.error().message(), Delivery::not_sent};
    taken->done(nullptr, &error);
    return;
  }
  table_.mark_sent(id);
  ++counters_.calls_sent;
}

void PluginProcess::on_frame(const fb::Envelope& envelope, UniqueFd payload_fd) {
  if (state_ == PluginState::handshaking) return on_hello(envelope);
  switch (envelope.body_type()) {
    case fb::Body::ExecuteResponse:
    case fb::Body::HealthResponse:
    case fb::Body::InfoResponse:
    case fb::Body::Error:
      return on_answer(envelope, std::move(payload_fd));
    default:
      return violation(std::string("unexpected ") + wire::body_name(envelope.body_type()) + " frame");
  }
}

void PluginProcess::on_hello(const fb::Envelope& envelope) {
  const auto* hello = envelope.body_as_Hello();
  if (hello == nullptr) {
    return violation(std::string("expected Hello, got ") + wire::body_name(envelope.body_type()));
  }
  auto refuse = [&](const std::string& why, fb::ErrorCode code) {
    if (auto frame = channel_->builder().encode_error(envelope.id(), {code, why, false})) {
      (void)channel_->send(*frame);
    }
    // Deterministic: restarting would only be refused again.
    park_reason_ = "handshake refused: " + why;
    kill(park_reason_);
  };
  if (!same_cookie(wire::view(hello->cookie()), cookie_)) {
    return refuse("wrong cookie (not the process stockade started)", fb::ErrorCode::INVALID_ARGUMENT);
  }
  bool speaks_v1 = false;
  std::string spoken;
  if (hello->versions() != nullptr) {
    for (auto v : *hello->versions()) {
      speaks_v1 = speaks_v1 || v == wire::kProtocolVersion;
      spoken += (spoken.empty() ? "" : ", ") + std::to_string(v);
    }
  }
  if (!speaks_v1) {
    return refuse("plugin speaks protocol versions [" + spoken + "], stockade speaks " +
                      std::to_string(wire::kProtocolVersion),
                  fb::ErrorCode::UNIMPLEMENTED);
  }
  if (wire::view(hello->name()) != manifest_.name) {
    log().warn(manifest_.name, "introduces itself as \"{}\"", escape_for_log(wire::view(hello->name())));
  }
  wire::HelloAckInfo ack;
  ack.version = wire::kProtocolVersion;
  ack.max_frame = std::min<uint32_t>(manifest_.execute.max_frame_kb * 1024u, wire::kMaxFrameCeiling);
  ack.max_concurrency = manifest_.execute.max_concurrency;
  if (manifest_.execute.max_payload_mb > 0) {
    if (hello->memfd_payloads()) {
      // A payload below the threshold stays inline, so the threshold leaves
      // room in the frame for the request's method and fields.
      const uint32_t fits = ack.max_frame > kFrameSlack ? ack.max_frame - kFrameSlack : 1;
      const uint32_t wanted = settings_.memfd_threshold == 0 ? fits : settings_.memfd_threshold;
      ack.memfd_threshold = std::min(wanted, fits);
      ack.max_payload = uint64_t{manifest_.execute.max_payload_mb} * kMiB;
    } else {
      log().warn(manifest_.name,
                 "does not take payloads in memfds (no Hello.memfd_payloads): execute.max_payload_mb "
                 "is unused, payloads stay within execute.max_frame_kb");
    }
  }
  auto frame = channel_->builder().encode_hello_ack(envelope.id(), ack);
  if (!frame || !channel_->send(*frame)) return kill("cannot send HelloAck");
  if (ack.max_payload > 0) {
    memfd_threshold_ = ack.memfd_threshold;
    max_payload_ = ack.max_payload;
    channel_->accept_memfd_payloads(max_payload_);
  }
  handshake_timer_.cancel();
  state_ = PluginState::ready;
  reason_.clear();
  if (events_.recovered) events_.recovered();
  notify_started({});
  pump();
}

void PluginProcess::on_answer(const fb::Envelope& envelope, UniqueFd payload_fd) {
  const uint64_t id = envelope.id();
  PendingCall* call = table_.find(id);
  if (!table_.issued(id) || (call != nullptr && !call->sent)) return on_stray_answer(id);
  if (call == nullptr) {
    // Expired (Cancel sent) or failed already: the plugin answered too late.
    ++counters_.late_answers;
    return;
  }
  if (!answer_fits(call->request.kind, envelope.body_type())) {
    return violation(std::string("answered call ") + std::to_string(id) + " with " +
                     wire::body_name(envelope.body_type()));
  }
  auto taken = table_.take(id);
  // It answered a call, so it does not die of every call.
  if (taken->request.kind == RequestKind::execute) crashes_in_a_row_ = 0;
  const fb::Error* wire_error = envelope.body_as_Error();
  if (const auto* response = envelope.body_as_ExecuteResponse(); response != nullptr) {
    wire_error = response->error();
  }
  if (wire_error != nullptr) {
    CallError error = answered_error(*wire_error);
    taken->done(nullptr, &error);
    return pump();
  }
  Answer answer{envelope, {}};
  MappedPayload mapped;
  if (const auto* response = envelope.body_as_ExecuteResponse(); response != nullptr) {
    answer.payload = wire::bytes(response->payload());
    if (response->payload_memfd() != 0) {
      auto checked = MappedPayload::map(payload_fd.get(), response->payload_memfd());
      if (!checked) {
        // This call fails with the violation; the kill ends the others.
        CallError error{StatusCode::unavailable, "protocol violation: " + checked.error().message(),
                        Delivery::unknown};
        taken->done(nullptr, &error);
        return violation(checked.error().message());
      }
      mapped = std::move(*checked);
      answer.payload = mapped.bytes();
    }
  }
  taken->done(&answer, nullptr);
  pump();
}

// An answer to an id that was never sent costs the plugin its own bandwidth
// and us one decode, so a few are dropped and counted; a flood is a plugin
// out of control (or probing) and is handled as a protocol violation.
void PluginProcess::on_stray_answer(uint64_t id) {
  ++counters_.stray_answers;
  auto now = Clock::now();
  if (now - stray_window_start_ >= std::chrono::seconds(1)) {
    stray_window_start_ = now;
    stray_in_window_ = 0;
  }
  if (++stray_in_window_ == 1) {
    log().warn(manifest_.name, "dropped an answer to call id {}, which was never sent", id);
  }
  if (stray_in_window_ > kMaxStrayAnswersPerSecond) {
    violation("more than " + std::to_string(kMaxStrayAnswersPerSecond) +
              " answers per second to call ids never sent");
  }
}

void PluginProcess::violation(const std::string& what) {
  ++counters_.protocol_violations;
  log().error(manifest_.name, "protocol violation: {}; killing it", what);
  kill("protocol violation: " + what);
}

void PluginProcess::on_channel_error(const Error& error) {
  if (error.code == Errc::protocol) return violation(error.message());
  if (!child_) return;
  // EOF: usually the plugin is exiting and the pidfd fires next. One that
  // closed its socket and lingers is useless: kill it after a short while.
  auto weak = weak_from_this();
  const uint64_t gen = generation_;
  handshake_timer_.expires_after(kExitAfterEof);
  handshake_timer_.async_wait([weak, gen, what = error.message()](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (ec || !self || self->generation_ != gen) return;
    self->kill("plugin closed its socket (" + what + ") but did not exit");
  });
}

void PluginProcess::arm_deadline(Clock::time_point when) {
  if (deadline_armed_ && *deadline_armed_ <= when) return;
  deadline_armed_ = when;
  const uint64_t gen = ++deadline_generation_;
  deadline_timer_.expires_at(when);
  deadline_timer_.async_wait([weak = weak_from_this(), gen](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (ec || !self || self->deadline_generation_ != gen) return;
    self->deadline_armed_.reset();
    self->on_deadline();
  });
}

void PluginProcess::on_deadline() {
  auto now = Clock::now();
  auto expired = table_.take_if([now](const PendingCall& c) { return c.deadline <= now; });
  for (auto& [id, call] : expired) {
    CallError error{StatusCode::deadline_exceeded, "", Delivery::not_sent};
    if (call.sent) {
      error.delivery = Delivery::unknown;
      error.message = "no answer before the deadline; Cancel sent to the plugin";
      ++counters_.cancels_sent;
      if (channel_) {
        if (auto frame = channel_->builder().encode_cancel(id, id)) (void)channel_->send(*frame);
      }
    } else {
      error.message = std::string("plugin not ready before the deadline (") + plugin_state_name(state_) +
                      (reason_.empty() ? "" : ": " + reason_) + ")";
    }
    call.done(nullptr, &error);
  }
  if (auto next = table_.earliest_deadline()) arm_deadline(*next);
  pump();
}

}  // namespace stockade::supervisor
