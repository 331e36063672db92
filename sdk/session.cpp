#include "sdk/session.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <string>
#include <utility>

#include "base/payload_memfd.h"
#include "sdk/socket_io.h"
#include "wire/frame_reader.h"

namespace stockade::sdk::detail {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// How long calls get to return once cancelled (after the Close grace, or when
// the host is gone or broke the protocol) before the process ends regardless.
constexpr milliseconds kCancelledCallsWait{1000};
constexpr milliseconds kHostGoneWait{2000};
// Bytes asked of one read(2): a 16-byte call is one read, a burst many
// frames, a 64 KiB call one read rather than two.
constexpr std::size_t kReadChunk = 256 * 1024;
// Read buffers that calls may hold views into (see read_buffers.h); beyond,
// payloads are copied. Each is at most max_frame + kReadChunk bytes.
constexpr std::size_t kMaxReadBuffers = 8;
// A relative deadline beyond ten years means "none" and cannot overflow.
constexpr std::uint64_t kMaxDeadlineMs = 10ull * 365 * 24 * 3600 * 1000;

}  // namespace

Session::Session(Plugin& plugin, std::string name, const ServeOptions& options, int fd,
                 const Negotiated& negotiated)
    : plugin_(plugin),
      name_(std::move(name)),
      options_(options),
      fd_(fd),
      limits_{.max_frame = negotiated.max_frame, .max_memfd_payload = negotiated.max_payload},
      workers_(std::clamp<std::uint32_t>(negotiated.max_concurrency, 1,
                                         std::max<std::uint32_t>(options.max_workers, 1))),
      writer_(fd, limits_, negotiated.memfd_threshold),
      calls_(workers_ + options.max_queued),
      buffers_(limits_.max_frame, kReadChunk,
               std::min<std::size_t>(kMaxReadBuffers, std::size_t{workers_} + 1)) {}

Session::~Session() = default;

void Session::report(const std::string& message) const {
  std::fprintf(stderr, "%s: %s\n", name_.c_str(), message.c_str());
}

int Session::run() {
  auto report = [this](const std::string& message) { this->report(message); };
  auto control_pool = WorkerPool::start({.max_threads = 1,
                                         .max_queued = options_.max_control_queued,
                                         .stack_bytes = options_.thread_stack_bytes,
                                         .report = report,
                                         .role = "control"});
  if (!control_pool) {
    report(control_pool.error().message());
    return 1;
  }
  control_pool_ = std::move(*control_pool);
  executor_ = std::make_unique<CallExecutor>(CallExecutor::Options{
      .max_running = workers_,
      .max_queued = options_.max_queued,
      .stack_bytes = options_.thread_stack_bytes,
      .read = [this] { return read_once(); },
      .flush = [this] { writer_.flush(); },
      .replies_queued = [this] { return writer_.has_queued(); },
      .try_flush = [this] { writer_.try_flush(); },
      .report = report});
  // Returns once reading stopped and every call ended (or the executor ended
  // the process because one did not, see stop_reading).
  executor_->serve();
  // The closer (if any) finishes its drain, close() and flush.
  closer_.join();
  stop_control_or_exit(exit_code_, Clock::now() + kCancelledCallsWait);
  writer_.wait_flushed();
  executor_.reset();
  return exit_code_;
}

bool Session::read_once() {
  // The buffer is one no running or queued call holds a view into.
  wire::FrameReader& reader = buffers_.for_read();
  auto n = read_into(reader);
  if (!n) {
    if (closed_) return stop_reading(0, kCancelledCallsWait);
    report(n.error().message());
    return stop_reading(1, kCancelledCallsWait);
  }
  if (*n == 0) {
    // Either the closer shut the socket down to wake us, or the host went
    // away (during a Close, the closer still finishes its drain).
    if (closer_.joinable()) {
      exit_code_ = 0;
      return false;
    }
    if (!reader.at_frame_boundary()) {
      report("the host closed the socket in the middle of a frame");
      return stop_reading(1, kHostGoneWait);
    }
    return stop_reading(0, kHostGoneWait);
  }
  reader.commit(*n);
  Status handled = decode_and_dispatch(reader);
  // The calls of this read go to the executor together, under one lock.
  submit_pending();
  if (!handled) {
    report("protocol error from the host: " + handled.error().message());
    return stop_reading(1, kCancelledCallsWait);
  }
  return true;
}

bool Session::stop_reading(int code, milliseconds wait) {
  closing_ = true;
  exit_code_ = code;
  calls_.cancel_all();
  executor_->exit_after(Clock::now() + wait, code);
  return false;
}

Result<std::size_t> Session::read_into(wire::FrameReader& reader) {
  // Room first, then the wait: the buffer's first allocation (a mapping of
  // its own, 260 KiB) is made when the plugin starts serving, not during
  // its first call.
  const auto space = reader.prepare(kReadChunk);
  // Woken for bytes only (socket_io.h), then the read does not block.
  if (auto ready = wait_readable(fd_); !ready) return std::move(ready).error();
  // Descriptors only when the handshake granted memfds; otherwise read(2)
  // lets the kernel drop any that come.
  if (limits_.max_memfd_payload == 0) return read_some(fd_, space);
  UniqueFd received;
  auto n = read_some_with_fd(fd_, space, received);
  if (n && received) received_fds_.push_back(std::move(received));
  return n;
}

Status Session::decode_and_dispatch(wire::FrameReader& reader) {
  for (;;) {
    auto body = reader.next();
    if (!body) return std::move(body).error();
    if (!*body) break;
    body_length_ = (*body)->size();
    auto envelope = wire::decode_frame(**body, limits_);
    if (!envelope) return std::move(envelope).error();
    UniqueFd payload_fd;
    if (const auto* request = (*envelope)->body_as_ExecuteRequest();
        request != nullptr && request->payload_memfd() != 0) {
      if (received_fds_.empty()) {
        return Error{Errc::protocol, "an ExecuteRequest announces a payload memfd, but no descriptor came with it",
                     "ExecuteRequest.payload_memfd"};
      }
      payload_fd = std::move(received_fds_.front());
      received_fds_.pop_front();
    }
    if (auto handled = dispatch(**envelope, std::move(payload_fd)); !handled) return handled;
  }
  // The kernel hands a descriptor over with the first byte of its send.
  if (received_fds_.size() > (reader.at_frame_boundary() ? 0u : 1u)) {
    return Error{Errc::protocol, "the host sent a descriptor that no frame announces", "recvmsg"};
  }
  return {};
}

void Session::submit_pending() {
  if (pending_.empty()) return;
  const std::size_t queued = executor_->try_submit_all(pending_);
  for (std::size_t i = queued; i < pending_ids_.size(); ++i) {
    calls_.remove(pending_ids_[i]);
    writer_.execute_error(pending_ids_[i], Code::resource_exhausted,
                          "too many calls queued (" + std::to_string(options_.max_queued) +
                              " waiting for " + std::to_string(workers_) + " workers)",
                          true, ResponseWriter::Flush::later);
  }
  pending_.clear();
  pending_ids_.clear();
}

Status Session::dispatch(const wire::fb::Envelope& envelope, UniqueFd payload_fd) {
  using wire::fb::Body;
  const std::uint64_t id = envelope.id();
  switch (envelope.body_type()) {
    case Body::ExecuteRequest: {
      const auto& request = *envelope.body_as_ExecuteRequest();
      if (!closing_) {
        // A second call under a live id would make both answers ambiguous.
        auto call = std::make_shared<CallContext>(
            id, std::string(wire::view(request.method())), request.attempt(),
            request.deadline_ms() == 0
                ? CallContext::Clock::time_point::max()
                : Clock::now() + milliseconds(std::min(request.deadline_ms(), kMaxDeadlineMs)));
        switch (calls_.add(call)) {
          case CallTable::AddResult::duplicate_id:
            return Error{Errc::protocol,
                         "ExecuteRequest with id " + std::to_string(id) + " already in flight",
                         "ExecuteRequest.id"};
          case CallTable::AddResult::full:
            writer_.execute_error(id, Code::resource_exhausted, "too many calls in flight", true,
                                  ResponseWriter::Flush::later);
            return {};
          case CallTable::AddResult::added:
            break;
        }
        if (request.payload_memfd() != 0) {
          auto mapped = MappedPayload::map(payload_fd.get(), request.payload_memfd());
          if (!mapped && mapped.error().code == Errc::protocol) {
            return Error{Errc::protocol, mapped.error().message(), "ExecuteRequest.payload_memfd"};
          }
          if (!mapped) {
            // Out of address space (RLIMIT_AS) most likely: this call fails,
            // the session goes on.
            calls_.remove(id);
            writer_.execute_error(id, Code::resource_exhausted,
                                  "the plugin cannot map the request's payload: " + mapped.error().message(),
                                  false, ResponseWriter::Flush::later);
            return {};
          }
          // The mapping is the payload: no copy, unmapped when the call ends.
          pending_.emplace_back([this, call, view = std::make_shared<MappedPayload>(std::move(*mapped))] {
            run_call(call, view->bytes());
          });
        } else {
          const auto payload = wire::bytes(request.payload());
          // A view into the read buffer, pinned until the call returns, when
          // that is safe: FrameReader::next() may move the NEXT body back
          // over up to 7 bytes before it, which reaches into this body only
          // when its length is not a multiple of 4 (FlatBuffers pads every
          // frame to 4 or 8, so that is a host bug; the payload is then
          // copied). Also copied when no buffer is left to pin (see
          // ReadBuffers::pin).
          ReadBuffers::Pin pin;
          if (body_length_ % 4 == 0) pin = buffers_.pin();
          if (pin) {
            pending_.emplace_back([this, call, payload, pin = std::move(pin)]() mutable {
              run_call(call, payload);
              pin.reset();
            });
          } else {
            pending_.emplace_back(
                [this, call, bytes = std::vector<std::uint8_t>(payload.begin(), payload.end())] {
                  run_call(call, bytes);
                });
          }
        }
        pending_ids_.push_back(id);
      } else {
        writer_.execute_error(id, Code::unavailable, "closing: the plugin is shutting down", true,
                              ResponseWriter::Flush::later);
      }
      return {};
    }
    case Body::Cancel:
      // An unknown id is a call that already finished: nothing to do.
      calls_.cancel(envelope.body_as_Cancel()->id());
      return {};
    case Body::HealthRequest:
      on_health(id);
      return {};
    case Body::InfoRequest:
      on_info(id);
      return {};
    case Body::CloseRequest:
      on_close(envelope.body_as_CloseRequest()->grace_ms());
      return {};
    case Body::Error: {
      const auto* error = envelope.body_as_Error();
      return Error{Errc::protocol,
                   std::string("the host sent an Error: ") +
                       wire::fb::EnumNameErrorCode(error->code()) + ": " +
                       std::string(wire::view(error->message())),
                   "Error"};
    }
    default:
      return Error{Errc::protocol,
                   std::string("unexpected ") + wire::body_name(envelope.body_type()) +
                       " from the host",
                   "Envelope.body"};
  }
}

void Session::run_call(const std::shared_ptr<CallContext>& call,
                       std::span<const std::uint8_t> payload) {
  // A response to a call the host cancelled is still sent: the host drops
  // answers to ids it no longer waits for, and sending keeps one rule.
  const Reply reply = [&] {
    if (call->cancel_requested()) return Reply::error(Code::cancelled, "cancelled before it started");
    if (call->has_deadline() && Clock::now() >= call->deadline()) {
      return Reply::error(Code::deadline_exceeded, "the deadline passed before the call started");
    }
    try {
      return plugin_.execute(*call, payload);
    } catch (const std::exception& e) {
      return Reply::error(Code::internal, std::string("execute() threw: ") + e.what());
    } catch (...) {
      return Reply::error(Code::internal, "execute() threw a non-standard exception");
    }
  }();
  // Queued, not written: the executor writes the replies of a burst together
  // before its thread reads or sleeps (see CallExecutor).
  writer_.execute_reply(call->id(), reply, ResponseWriter::Flush::later);
  // Removed only after the response is queued, so a drain that sees the
  // table empty also sees every response in the writer (wait_flushed writes
  // it).
  calls_.remove(call->id());
}

void Session::on_health(std::uint64_t id) {
  const bool queued = control_pool_->try_submit([this, id] {
    Health health;
    try {
      health = plugin_.health();
    } catch (const std::exception& e) {
      health = {false, std::string("health() threw: ") + e.what()};
    } catch (...) {
      health = {false, "health() threw a non-standard exception"};
    }
    writer_.health(id, health);
  });
  if (!queued) {
    writer_.health(id, {false, "health backlog: earlier checks have not returned"}, ResponseWriter::Flush::later);
  }
}

void Session::on_info(std::uint64_t id) {
  const bool queued = control_pool_->try_submit([this, id] {
    try {
      writer_.info(id, plugin_.info());
    } catch (const std::exception& e) {
      writer_.error(id, Code::internal, std::string("info() threw: ") + e.what());
    } catch (...) {
      writer_.error(id, Code::internal, "info() threw a non-standard exception");
    }
  });
  if (!queued) {
    writer_.error(id, Code::unavailable, "info backlog: earlier requests have not returned",
                  ResponseWriter::Flush::later);
  }
}

void Session::on_close(std::uint32_t grace_ms) {
  if (closing_.exchange(true)) return;  // a second Close changes nothing
  auto thread = Thread::start([this, grace_ms] { close_sequence(grace_ms); },
                              options_.thread_stack_bytes);
  if (!thread) {
    report("cannot start the closer thread (" + thread.error().message() +
           "); closing on the reader thread");
    close_sequence(grace_ms);
    return;
  }
  closer_ = std::move(*thread);
}

void Session::close_sequence(std::uint32_t grace_ms) {
  if (!calls_.wait_empty_until(Clock::now() + milliseconds(grace_ms))) {
    calls_.cancel_all();
    if (!calls_.wait_empty_until(Clock::now() + kCancelledCallsWait)) {
      report(std::to_string(calls_.size()) + " call(s) still running " +
             std::to_string(grace_ms) + " ms after Close and cancelled; exiting without close()");
      writer_.wait_flushed();
      _exit(0);
    }
  }
  stop_control_or_exit(0, Clock::now() + kCancelledCallsWait);
  try {
    plugin_.close();
  } catch (const std::exception& e) {
    report(std::string("close() threw: ") + e.what());
  } catch (...) {
    report("close() threw a non-standard exception");
  }
  writer_.wait_flushed();
  closed_ = true;
  // Wakes the reader blocked in read(2): it returns 0 once the queued bytes
  // are consumed, and run() returns 0.
  ::shutdown(fd_, SHUT_RDWR);
}

void Session::stop_control_or_exit(int code, Clock::time_point until) {
  if (control_pool_ && !control_pool_->wait_idle_until(until)) {
    report("a call to the plugin (health or info) did not return; exiting");
    writer_.wait_flushed();
    _exit(code);
  }
  if (control_pool_) control_pool_->stop_and_join();
}

}  // namespace stockade::sdk::detail
