#include "cli/conformance_cases.h"

#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "cli/conformance_driver.h"
#include "wire/protocol.h"

namespace stockade::supervisor::conformance {

namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;
using wire::fb::Body;
using wire::fb::ErrorCode;

// "Not answered yet" before a Cancel is sent: the sleep asked for is far longer.
constexpr milliseconds kBeforeCancel = 300ms;
constexpr std::uint64_t kLongDeadlineMs = 120000;

std::span<const std::uint8_t> as_bytes(const std::string& text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

// The cases, in the order PROTOCOL.md, section 18, lists them.
class Suite {
 public:
  explicit Suite(const Target& target) : target_(target) {}

  SuiteOutcome run() {
    main_session();
    if (launch_error_) return {{}, launch_error_};
    oversized_request();
    version_negotiation();
    refused_handshake();
    return {std::move(results_), std::nullopt};
  }

 private:
  void record(std::string name, std::optional<Failure> failure, std::string evidence) {
    results_.push_back({std::move(name), !failure, failure ? failure->why : std::move(evidence)});
  }

  // Launch, Hello, HelloAck: the handshake case; nullptr if it failed.
  std::unique_ptr<Driver> handshake(const std::string& case_name, bool record_it) {
    auto driver = std::make_unique<Driver>(target_);
    Received hello;
    auto failure = driver->start(hello);
    if (driver->launch_error()) launch_error_ = driver->launch_error();
    if (!failure && std::find(hello.versions.begin(), hello.versions.end(), wire::kProtocolVersion) ==
                        hello.versions.end()) {
      failure = Failure{"Hello.versions does not offer version 1"};
    }
    if (!failure && hello.cookie != driver->link().cookie()) {
      failure = Failure{"Hello.cookie is not STOCKADE_PLUGIN_COOKIE's value"};
    }
    if (!failure && record_it) failure = driver->ack(wire::kProtocolVersion);
    if (record_it) {
      std::string versions;
      for (auto v : hello.versions) versions += (versions.empty() ? "" : ",") + std::to_string(v);
      record(case_name, failure,
             "Hello from \"" + hello.name + "\" " + hello.version + ", versions [" + versions +
                 "], cookie echoed; HelloAck sent (max_frame " + std::to_string(target_.max_frame) +
                 ", max_concurrency " + std::to_string(target_.max_concurrency) +
                 (driver->memfds_granted()
                      ? ", memfd payloads up to " + std::to_string(target_.max_payload) + " bytes"
                      : hello.memfd_payloads ? ", memfd payloads offered, not granted (no execute.max_payload_mb)"
                                             : ", no memfd payloads offered") +
                 ")");
    } else if (failure) {
      record(case_name, Failure{"handshake: " + failure->why}, {});
    }
    return failure ? nullptr : std::move(driver);
  }

  void skip(const std::vector<std::string>& names) {
    for (const auto& name : names) record(name, Failure{"not run: the handshake failed"}, {});
  }

  void main_session() {
    auto driver = handshake("handshake", true);
    if (!driver) {
      skip({"info", "health", "echo", "many calls at once", "answers out of order", "cancel",
            "cancel of unknown ids", "deadline", "unknown method", "largest request",
            "close with calls in flight"});
      return;
    }
    Driver& d = *driver;
    info(d);
    health(d);
    echo(d);
    many_calls(d);
    out_of_order(d);
    cancel(d);
    cancel_unknown(d);
    deadline(d);
    unknown_method(d);
    largest_request(d);
    large_payload(d);
    close_in_flight(d);
  }

  // A payload beyond the frame, both ways in sealed memfds (section 6.1):
  // only for a manifest that sets execute.max_payload_mb and a plugin that
  // offers memfds; the handshake's evidence says which.
  void large_payload(Driver& d) {
    if (!d.memfds_granted()) return;
    const std::uint64_t size = std::min<std::uint64_t>(target_.max_payload, std::uint64_t{target_.max_frame} + 65536);
    std::string payload(static_cast<std::size_t>(size), '\0');
    for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>('a' + (i * 7 + (i >> 12)) % 26);
    std::optional<Failure> failure;
    auto id = d.execute_in_memfd(kEchoMethod, as_bytes(payload), kLongDeadlineMs);
    if (auto* f = std::get_if<Failure>(&id)) {
      failure = *f;
    } else {
      auto got = d.answer(std::get<std::uint64_t>(id));
      if (auto* g = std::get_if<Failure>(&got)) {
        failure = *g;
      } else if (auto& r = std::get<Received>(got); !r.failed && r.payload_memfd == 0 && size >= target_.max_frame) {
        failure = Failure{"answered " + r.describe() + " inline, which cannot hold it"};
      } else {
        failure = expect_echo(r, payload);
      }
    }
    record("large payload", failure,
           std::to_string(size) + " payload bytes (beyond max_frame " + std::to_string(target_.max_frame) +
               ") echoed, both ways in sealed memfds");
  }

  void info(Driver& d) {
    const auto id = d.new_id();
    auto failure = d.send(d.builder().encode_info_request(id));
    std::string evidence;
    if (!failure) {
      auto got = d.answer(id);
      if (auto* f = std::get_if<Failure>(&got)) failure = *f;
      else if (auto& r = std::get<Received>(got); r.type != Body::InfoResponse) failure = Failure{"answered " + r.describe()};
      else {
        std::string methods;
        for (const auto& m : r.methods) methods += (methods.empty() ? "" : ", ") + m;
        evidence = "InfoResponse: \"" + r.name + "\" " + r.version + ", methods [" + methods + "]";
      }
    }
    info_id_ = id;
    record("info", failure, evidence);
  }

  void health(Driver& d) {
    const auto id = d.new_id();
    auto failure = d.send(d.builder().encode_health_request(id));
    std::string evidence;
    if (!failure) {
      auto got = d.answer(id);
      if (auto* f = std::get_if<Failure>(&got)) failure = *f;
      else if (auto& r = std::get<Received>(got); r.type != Body::HealthResponse) failure = Failure{"answered " + r.describe()};
      else if (r.status != wire::fb::ServingStatus::SERVING) failure = Failure{"NOT_SERVING: " + r.message};
      else evidence = "HealthResponse SERVING" + (r.message.empty() ? "" : " \"" + r.message + "\"");
    }
    record("health", failure, evidence);
  }

  // One call whose answer must be a success carrying `payload`.
  std::optional<Failure> expect_echo(const Received& r, const std::string& payload) {
    if (r.type != Body::ExecuteResponse || r.failed) return Failure{"answered " + r.describe()};
    if (r.payload != payload) {
      return Failure{"id " + std::to_string(r.id) + ": the payload came back changed (" +
                     std::to_string(payload.size()) + " bytes sent, " + std::to_string(r.payload.size()) + " back)"};
    }
    return std::nullopt;
  }

  void echo(Driver& d) {
    std::string payload;
    for (int i = 0; i < 256; ++i) payload.push_back(static_cast<char>(i));
    std::vector<std::uint8_t> batch;
    const auto id = d.add_execute(batch, kEchoMethod, as_bytes(payload), kLongDeadlineMs);
    auto failure = d.send_batch(batch);
    if (!failure) {
      auto got = d.answer(id);
      if (auto* f = std::get_if<Failure>(&got)) failure = *f;
      else failure = expect_echo(std::get<Received>(got), payload);
    }
    record("echo", failure, "the 256 byte values came back unchanged");
  }

  // max_concurrency calls (at most 64) in one write, several rounds: frames
  // of odd lengths back to back, so every body but the first lands unaligned
  // in the plugin's buffer.
  void many_calls(Driver& d) {
    const std::uint32_t per_round = std::clamp<std::uint32_t>(target_.max_concurrency, 1, 64);
    const std::uint32_t rounds = std::max<std::uint32_t>(1, 64 / per_round);
    std::optional<Failure> failure;
    for (std::uint32_t round = 0; round < rounds && !failure; ++round) {
      std::vector<std::uint8_t> batch;
      std::map<std::uint64_t, std::string> sent;
      for (std::uint32_t i = 0; i < per_round; ++i) {
        const std::string payload(1 + (round * per_round + i) * 7 % 61, static_cast<char>('a' + i % 26));
        sent[d.add_execute(batch, kEchoMethod, as_bytes(payload), kLongDeadlineMs)] = payload;
      }
      failure = d.send_batch(batch);
      if (failure) break;
      std::set<std::uint64_t> ids;
      for (const auto& [id, payload] : sent) ids.insert(id);
      auto got = d.answers(ids);
      if (auto* f = std::get_if<Failure>(&got)) {
        failure = *f;
        break;
      }
      for (const auto& r : std::get<std::vector<Received>>(got)) {
        if ((failure = expect_echo(r, sent[r.id]))) break;
      }
    }
    record("many calls at once", failure,
           std::to_string(rounds) + " rounds of " + std::to_string(per_round) +
               " calls sent in one write each, every answer under its own id");
  }

  // A slow call, then a quick one: a concurrent plugin answers the quick one
  // first. A sequential plugin answers in order, which section 6 allows.
  void out_of_order(Driver& d) {
    std::vector<std::uint8_t> batch;
    const std::string slow_ms = "1000", quick = "quick";
    const auto slow = d.add_execute(batch, kSleepMethod, as_bytes(slow_ms), kLongDeadlineMs);
    const auto fast = d.add_execute(batch, kEchoMethod, as_bytes(quick), kLongDeadlineMs);
    auto failure = d.send_batch(batch);
    std::string evidence;
    if (!failure) {
      auto got = d.answers({slow, fast});
      if (auto* f = std::get_if<Failure>(&got)) failure = *f;
      else {
        const auto& list = std::get<std::vector<Received>>(got);
        for (const auto& r : list) {
          if (!failure) failure = expect_echo(r, r.id == slow ? slow_ms : quick);
        }
        evidence = list.front().id == fast
                       ? "answered out of order: the echo (id " + std::to_string(fast) + ") before the sleep (id " +
                             std::to_string(slow) + ")"
                       : "answered in order (a sequential plugin: allowed by section 6)";
      }
    }
    record("answers out of order", failure, evidence);
  }

  void cancel(Driver& d) {
    std::vector<std::uint8_t> batch;
    const std::string ms = "60000";
    const auto id = d.add_execute(batch, kSleepMethod, as_bytes(ms), kLongDeadlineMs);
    auto failure = d.send_batch(batch);
    if (!failure) failure = d.quiet_for(kBeforeCancel, "a sleep of 60 s was sent");
    // Envelope.id 0: the plugin must read the call from Cancel.id (section 4).
    if (!failure) failure = d.send(d.builder().encode_cancel(0, id));
    std::string evidence;
    if (!failure) {
      auto got = d.answer(id);
      if (auto* f = std::get_if<Failure>(&got)) failure = *f;
      else if (auto& r = std::get<Received>(got); !r.failed || r.code != ErrorCode::CANCELLED) {
        failure = Failure{"after Cancel, expected the call to end with CANCELLED; got " + r.describe()};
      } else {
        evidence = "Cancel{id " + std::to_string(id) + "} (Envelope.id 0) ended the 60 s sleep: " + r.describe();
      }
    }
    record("cancel", failure, evidence);
  }

  // Cancels of an id never sent, of a finished call and of an Info request
  // are ignored; the plugin still serves.
  void cancel_unknown(Driver& d) {
    auto failure = d.send(d.builder().encode_cancel(0, 1u << 30));
    if (!failure) failure = d.send(d.builder().encode_cancel(0, 1));
    if (!failure && info_id_) failure = d.send(d.builder().encode_cancel(0, info_id_));
    if (!failure) failure = d.quiet_for(200ms, "Cancels of unknown ids were sent");
    if (!failure) {
      std::vector<std::uint8_t> batch;
      const std::string payload = "still serving";
      const auto id = d.add_execute(batch, kEchoMethod, as_bytes(payload), kLongDeadlineMs);
      failure = d.send_batch(batch);
      if (!failure) {
        auto got = d.answer(id);
        if (auto* f = std::get_if<Failure>(&got)) failure = *f;
        else failure = expect_echo(std::get<Received>(got), payload);
      }
    }
    record("cancel of unknown ids", failure,
           "Cancels of an id never sent, of a finished call and of an Info id were ignored");
  }

  void deadline(Driver& d) {
    std::vector<std::uint8_t> batch;
    const std::string ms = "60000";
    const auto id = d.add_execute(batch, kSleepMethod, as_bytes(ms), 500);
    auto failure = d.send_batch(batch);
    std::string evidence;
    if (!failure) {
      auto got = d.answer(id);
      if (auto* f = std::get_if<Failure>(&got)) failure = *f;
      else if (auto& r = std::get<Received>(got); !r.failed || r.code != ErrorCode::DEADLINE_EXCEEDED) {
        failure = Failure{"a 60 s sleep with deadline_ms 500 (and no Cancel) should end with DEADLINE_EXCEEDED; got " +
                          r.describe()};
      } else {
        evidence = "a 60 s sleep with deadline_ms 500 stopped on its own: " + r.describe();
      }
    }
    record("deadline", failure, evidence);
  }

  void unknown_method(Driver& d) {
    std::vector<std::uint8_t> batch;
    const auto id = d.add_execute(batch, kUnknownMethod, {}, kLongDeadlineMs);
    auto failure = d.send_batch(batch);
    std::string evidence;
    if (!failure) {
      auto got = d.answer(id);
      if (auto* f = std::get_if<Failure>(&got)) failure = *f;
      else if (auto& r = std::get<Received>(got);
               !r.failed || (r.code != ErrorCode::NOT_FOUND && r.code != ErrorCode::UNIMPLEMENTED)) {
        failure = Failure{std::string("method \"") + kUnknownMethod + "\" should fail with NOT_FOUND or UNIMPLEMENTED; got " +
                          r.describe()};
      } else {
        evidence = r.describe();
      }
    }
    record("unknown method", failure, evidence);
  }

  // An echo whose request frame is as large as max_frame allows.
  void largest_request(Driver& d) {
    std::string payload(target_.max_frame - std::min<std::uint32_t>(target_.max_frame, 256), 'L');
    // The envelope's size around a payload is fixed but for padding: grow
    // the payload until one more byte would not fit.
    for (std::size_t step = 64; step > 0; step /= 2) {
      for (;;) {
        std::string bigger(payload.size() + step, 'L');
        // A non-zero id, as the real one: an id of 0 is left out of the frame.
        auto frame = d.builder().encode_execute_request(1ull << 40, kEchoMethod, as_bytes(bigger),
                                                        kLongDeadlineMs, 1);
        if (!frame) break;
        payload = std::move(bigger);
      }
    }
    std::vector<std::uint8_t> batch;
    const auto id = d.add_execute(batch, kEchoMethod, as_bytes(payload), kLongDeadlineMs);
    const std::size_t body = batch.size() - wire::kLengthPrefixSize;
    auto failure = d.send_batch(batch);
    if (!failure) {
      auto got = d.answer(id);
      if (auto* f = std::get_if<Failure>(&got)) failure = *f;
      else failure = expect_echo(std::get<Received>(got), payload);
    }
    record("largest request", failure,
           "a request frame of " + std::to_string(body) + " bytes (max_frame " + std::to_string(target_.max_frame) +
               ") echoed " + std::to_string(payload.size()) + " payload bytes");
  }

  void close_in_flight(Driver& d) {
    std::vector<std::uint8_t> batch;
    std::set<std::uint64_t> sleeps;
    const std::string ms = "500";
    const std::uint32_t count = std::min<std::uint32_t>(3, target_.max_concurrency);
    for (std::uint32_t i = 0; i < count; ++i) sleeps.insert(d.add_execute(batch, kSleepMethod, as_bytes(ms), kLongDeadlineMs));
    auto failure = d.send_batch(batch);
    constexpr std::uint32_t kGraceMs = 10000;
    if (!failure) failure = d.send(d.builder().encode_close_request(0, kGraceMs));
    // Not something the supervisor does (it sends nothing new after Close),
    // but what a plugin SHOULD answer then (section 10).
    batch.clear();
    const auto late = d.add_execute(batch, kEchoMethod, as_bytes(ms), kLongDeadlineMs);
    if (!failure) failure = d.send_batch(batch);
    std::string evidence;
    if (!failure) {
      auto ids = sleeps;
      ids.insert(late);
      auto got = d.answers(ids, milliseconds(kGraceMs));
      if (auto* f = std::get_if<Failure>(&got)) failure = *f;
      else {
        for (const auto& r : std::get<std::vector<Received>>(got)) {
          if (r.id == late) {
            if (!r.failed || r.code != ErrorCode::UNAVAILABLE) {
              failure = Failure{"a call sent after Close should fail with UNAVAILABLE; got " + r.describe()};
            }
          } else if (!failure) {
            failure = expect_echo(r, ms);
          }
        }
      }
    }
    if (!failure) {
      auto next = d.link().next(milliseconds(kGraceMs) + kExitWait);
      if (next.event == PluginLink::Event::frame) failure = Failure{"after Close it sent " + next.frame.describe()};
      else if (next.event == PluginLink::Event::timeout) failure = Failure{"it did not exit within the grace"};
    }
    if (!failure) {
      auto status = d.link().wait_exit(kExitWait);
      if (!status) failure = Failure{"cannot wait for the plugin: " + status.error().message()};
      else if (status->kind != sandbox::ExitStatus::Kind::exited || status->code != 0) {
        failure = Failure{"after Close it " + status->describe() + " (expected exit 0)"};
      } else {
        evidence = std::to_string(count) + " calls in flight answered, one sent after Close refused UNAVAILABLE, "
                   "then exit 0";
      }
    }
    record("close with calls in flight", failure, evidence);
  }

  // Ends a session the plugin must end itself; passes on a non-zero exit
  // without anything sent first.
  std::optional<Failure> expect_refusal_exit(Driver& d, const std::string& what) {
    auto next = d.link().next(kExitWait);
    if (next.event == PluginLink::Event::frame) return Failure{"after " + what + " it sent " + next.frame.describe()};
    if (next.event == PluginLink::Event::timeout) return Failure{"after " + what + " it kept running"};
    auto status = d.link().wait_exit(kExitWait);
    if (!status) return Failure{"cannot wait for the plugin: " + status.error().message()};
    if (status->kind != sandbox::ExitStatus::Kind::exited || status->code == 0) {
      return Failure{"after " + what + " it " + status->describe() + " (expected a non-zero exit)"};
    }
    last_exit_ = status->describe();
    return std::nullopt;
  }

  // A length prefix of max_frame + 1: the plugin refuses it from its 4
  // bytes, without waiting for (or buffering) the body.
  void oversized_request() {
    auto driver = handshake("oversized request", false);
    if (!driver) return;
    auto failure = driver->ack(wire::kProtocolVersion);
    const std::uint32_t n = target_.max_frame + 1;
    const std::uint8_t prefix[] = {static_cast<std::uint8_t>(n), static_cast<std::uint8_t>(n >> 8),
                                   static_cast<std::uint8_t>(n >> 16), static_cast<std::uint8_t>(n >> 24),
                                   0, 0, 0, 0, 'S', 'T', 'K', 'D'};
    if (!failure) {
      if (auto sent = driver->link().send(prefix); !sent) failure = Failure{sent.error().message()};
    }
    if (!failure) failure = expect_refusal_exit(*driver, "a frame length of max_frame + 1");
    record("oversized request", failure,
           "a frame length of " + std::to_string(n) + " (max_frame + 1) ended the plugin: " + last_exit_);
  }

  // HelloAck choosing a version the plugin did not offer: it must stop.
  void version_negotiation() {
    auto driver = handshake("version negotiation", false);
    if (!driver) return;
    const std::uint32_t unoffered = wire::kProtocolVersion + 1000;
    auto failure = driver->ack(unoffered);
    if (!failure) failure = expect_refusal_exit(*driver, "HelloAck{version " + std::to_string(unoffered) + "}");
    record("version negotiation", failure,
           "HelloAck choosing version " + std::to_string(unoffered) + " (not offered) ended the plugin: " + last_exit_);
  }

  // End of stream instead of HelloAck: the refusal a plugin sees (section 5).
  void refused_handshake() {
    auto driver = handshake("refused handshake", false);
    if (!driver) return;
    std::optional<Failure> failure;
    if (::shutdown(driver->link().socket_fd(), SHUT_WR) != 0) failure = Failure{"shutdown of the socket failed"};
    if (!failure) failure = expect_refusal_exit(*driver, "end of stream instead of HelloAck");
    record("refused handshake", failure, "end of stream instead of HelloAck ended the plugin: " + last_exit_);
  }

  const Target& target_;
  std::vector<CaseResult> results_;
  std::uint64_t info_id_ = 0;
  std::string last_exit_;
  std::optional<Error> launch_error_;
};

}  // namespace

SuiteOutcome run_suite(const Target& target) { return Suite(target).run(); }

}  // namespace stockade::supervisor::conformance
