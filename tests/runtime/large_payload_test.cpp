// Large payloads in sealed memfds (PROTOCOL.md, "Large payloads"), end to
// end through real sandboxes: the SDK's echo example carries payloads past
// its frame limit both ways, the limits are refused by the names of the
// settings, and every rule a hostile plugin can break with a memfd (the
// misbehaving bad_memfd plugin) is a protocol violation caught before the
// host maps a byte.
#include <gtest/gtest.h>

#include <signal.h>

#include <atomic>
#include <iterator>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/runtime/runtime_fixture.h"
#include "tests/support/host_processes.h"

namespace stockade::testing {
namespace {

using namespace std::chrono_literals;
using supervisor::Bytes;
using supervisor::ExecuteOptions;
using supervisor::StatusCode;

constexpr uint32_t kPayloadMb = 32;

Bytes pattern(size_t size) {
  Bytes bytes(size);
  for (size_t i = 0; i < size; ++i) bytes[i] = static_cast<uint8_t>((i * 131 + (i >> 12)) & 0xff);
  return bytes;
}

void allow_payloads(nlohmann::json& m) {
  m["execute"]["max_payload_mb"] = kPayloadMb;
  m["resources"]["max_memory_mb"] = 128;
  m["resources"]["max_file_size_mb"] = kPayloadMb;
}

std::unique_ptr<supervisor::Supervisor> supervisor_allowing_payloads(PluginsDir& dir) {
  return make_supervisor(dir, [](auto& o) {
    o.ceilings.max_payload_mb = 64;
    o.memfd_threshold = 1 << 20;  // so that 1.5 MiB goes in a memfd, not a frame
  });
}

TEST(LargePayload, EchoCarriesPayloadsPastTheFrameLimitBothWays) {
  PluginsDir dir;
  dir.add("echo", allow_payloads);
  auto sup = supervisor_allowing_payloads(dir);
  // Inline (1 KiB), a memfd within the frame limit (1.5 MiB), and beyond the
  // 4 MiB frame (8 MiB, then 31 MiB, near the 32 MiB bound).
  for (size_t size : {size_t{1024}, size_t{1536 * 1024}, size_t{8} << 20, size_t{31} << 20}) {
    const Bytes sent = pattern(size);
    auto reply = sup->execute("echo", "echo", sent, ExecuteOptions{20s, std::nullopt});
    ASSERT_TRUE(reply) << size << ": " << reply.error().describe();
    ASSERT_EQ(reply->size(), size);
    EXPECT_TRUE(*reply == sent) << "payload of " << size << " bytes came back changed";
  }
}

TEST(LargePayload, InlinePayloadsSentFromTheCallersMemoryArriveWholeUnderLoad) {
  // Frames of 16 KiB and more leave from the caller's memory (execute()
  // lends it, execute_async copies it) in one sendmsg of their pieces, and
  // the plugin's answers the same way. These are larger than the socket's
  // buffer, so sends stop part-way and the rest is queued behind, while
  // eight callers keep calls in flight: each call must get back its own bytes.
  PluginsDir dir;
  dir.add("echo", [](auto& m) { m["execute"]["max_concurrency"] = 8; });
  auto sup = make_supervisor(dir);
  ASSERT_TRUE(sup->start("echo"));
  static constexpr size_t kSizes[] = {16 * 1024 - 1, 16 * 1024, 300 * 1024 + 3, 900 * 1024};
  auto payload_of = [](int caller, int i) {
    Bytes bytes = pattern(kSizes[static_cast<size_t>(caller + i) % std::size(kSizes)]);
    bytes[0] = static_cast<uint8_t>(caller);
    bytes[bytes.size() / 2] = static_cast<uint8_t>(i);
    bytes.back() = static_cast<uint8_t>(caller * 16 + i);
    return bytes;
  };
  constexpr int kCalls = 12;
  std::atomic<int> ok{0};
  std::vector<std::string> wrong;
  std::mutex wrong_mu;
  auto check = [&](int caller, int i, supervisor::CallResult<Bytes> reply) {
    std::string what;
    if (!reply) {
      what = reply.error().describe();
    } else if (*reply != payload_of(caller, i)) {
      what = "came back changed (" + std::to_string(reply->size()) + " bytes)";
    } else {
      ++ok;
      return;
    }
    std::lock_guard lock(wrong_mu);
    wrong.push_back("caller " + std::to_string(caller) + " call " + std::to_string(i) + ": " + what);
  };
  std::vector<std::thread> callers;
  for (int caller = 0; caller < 4; ++caller) {
    callers.emplace_back([&, caller] {
      for (int i = 0; i < kCalls; ++i) {
        check(caller, i, sup->execute("echo", "echo", payload_of(caller, i), ExecuteOptions{20s, std::nullopt}));
      }
    });
  }
  std::atomic<int> async_ended{0};
  for (int caller = 4; caller < 8; ++caller) {
    for (int i = 0; i < kCalls; ++i) {
      // The caller's buffer is gone as soon as execute_async returns.
      sup->execute_async("echo", "echo", payload_of(caller, i), ExecuteOptions{20s, std::nullopt},
                         [&, caller, i](supervisor::CallResult<Bytes> reply) {
                           check(caller, i, std::move(reply));
                           ++async_ended;
                         });
    }
  }
  for (auto& c : callers) c.join();
  ASSERT_TRUE(eventually([&] { return async_ended == 4 * kCalls; }, 30s));
  EXPECT_EQ(ok, 8 * kCalls);
  for (const auto& w : wrong) ADD_FAILURE() << w;
}

TEST(LargePayload, ManyLargeCallsLeaveNoDescriptorBehind) {
  PluginsDir dir;
  dir.add("echo", allow_payloads);
  auto sup = supervisor_allowing_payloads(dir);
  const Bytes sent = pattern(1 << 20);
  // Started, and the supervisor's spare network namespace made again after
  // the launch used it: what is open now stays open.
  ASSERT_TRUE(sup->execute("echo", "echo", sent));
  std::this_thread::sleep_for(200ms);
  const size_t before = open_fds().size();
  for (int i = 0; i < 50; ++i) {
    auto reply = sup->execute("echo", "echo", sent, ExecuteOptions{20s, std::nullopt});
    ASSERT_TRUE(reply) << reply.error().describe();
    ASSERT_TRUE(*reply == sent);
  }
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(open_fds().size(), before);
}

TEST(LargePayload, KillsDuringLargeCallsEndEveryCallAndLeakNoDescriptor) {
  // Four callers keep memfd calls (1.5 MiB each way) in flight while the
  // sandbox is SIGKILLed eight times: each call ends, with the bytes sent
  // or an error; the descriptors that were in flight (memfds queued to
  // leave, received and unpaired) are all closed.
  PluginsDir dir;
  dir.add("echo", [](auto& m) {
    allow_payloads(m);
    m["restart"] = {{"max_restarts", 50}, {"window_ms", 60000}, {"backoff_ms", 10}};
    m["circuit_breaker"]["failure_threshold"] = 1000;
  });
  auto sup = supervisor_allowing_payloads(dir);
  const Bytes sent = pattern(1536 * 1024);
  ASSERT_TRUE(sup->execute("echo", "echo", sent));
  std::this_thread::sleep_for(200ms);
  const size_t before = open_fds().size();
  std::atomic<int> ok{0}, failed{0}, wrong{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < 4; ++t) {
    callers.emplace_back([&] {
      for (int i = 0; i < 15; ++i) {
        auto reply = sup->execute("echo", "echo", sent, ExecuteOptions{20s, std::nullopt});
        if (!reply) {
          ++failed;
        } else if (*reply == sent) {
          ++ok;
        } else {
          ++wrong;
        }
      }
    });
  }
  int kills = 0;
  for (int i = 0; i < 8; ++i) {
    std::this_thread::sleep_for(60ms);
    const pid_t pid = status_of(*sup, "echo").counters.pid;
    if (pid > 0 && ::kill(pid, SIGKILL) == 0) ++kills;
  }
  for (auto& c : callers) c.join();
  EXPECT_EQ(ok + failed + wrong, 60);
  EXPECT_EQ(wrong, 0);
  EXPECT_GT(ok, 0);
  EXPECT_GT(kills, 0);
  ASSERT_TRUE(sup->execute("echo", "echo", sent, ExecuteOptions{20s, std::nullopt}));
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(open_fds().size(), before);
}

TEST(LargePayload, APayloadOverTheManifestsBoundIsRefusedByName) {
  PluginsDir dir;
  dir.add("echo", allow_payloads);
  auto sup = supervisor_allowing_payloads(dir);
  auto reply = sup->execute("echo", "echo", pattern((size_t{kPayloadMb} << 20) + 1));
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error().code, StatusCode::invalid_argument);
  EXPECT_NE(reply.error().message.find("execute.max_payload_mb = 32"), std::string::npos)
      << reply.error().message;
  EXPECT_TRUE(sup->execute("echo", "echo", to_bytes("still serving")));
}

TEST(LargePayload, WithoutMaxPayloadTheFrameLimitSaysHowToRaiseIt) {
  PluginsDir dir;
  dir.add("echo");
  auto sup = make_supervisor(dir);
  auto reply = sup->execute("echo", "echo", pattern(5 << 20));
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error().code, StatusCode::invalid_argument);
  EXPECT_NE(reply.error().message.find("execute.max_frame_kb"), std::string::npos) << reply.error().message;
  EXPECT_NE(reply.error().message.find("execute.max_payload_mb"), std::string::npos) << reply.error().message;
}

TEST(LargePayload, TheOperatorsDefaultCeilingRefusesMemfdPayloads) {
  PluginsDir dir;
  dir.add("echo", allow_payloads);
  auto sup = make_supervisor(dir);  // ceilings.max_payload_mb: 0
  auto started = sup->start("echo");
  ASSERT_FALSE(started);
  EXPECT_NE(started.error().message().find("ceilings.max_payload_mb"), std::string::npos)
      << started.error().message();
}

// `answered`: the frame itself was a valid answer and reached the caller
// before the violation that follows it was seen.
void expect_refused_memfd(supervisor::Supervisor& sup, const char* mode, const char* detail,
                          bool answered = false) {
  SCOPED_TRACE(mode);
  const uint64_t before = status_of(sup, "bad_memfd").counters.protocol_violations;
  auto r = sup.execute("bad_memfd", mode, to_bytes("x"), ExecuteOptions{5s, std::nullopt});
  if (answered) {
    ASSERT_TRUE(r) << r.error().describe();
    // The violation, and the crash it causes, are recorded as they happen.
    EXPECT_TRUE(eventually([&] {
      auto status = status_of(sup, "bad_memfd");
      return status.counters.protocol_violations == before + 1 &&
             status.last_failure.find(detail) != std::string::npos;
    })) << status_of(sup, "bad_memfd").last_failure;
  } else {
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, StatusCode::unavailable) << r.error().message;
    EXPECT_NE(r.error().message.find("protocol violation"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find(detail), std::string::npos) << r.error().message;
    EXPECT_EQ(status_of(sup, "bad_memfd").counters.protocol_violations, before + 1);
  }
  // Restarted, and a correct memfd answer goes through.
  ASSERT_TRUE(eventually([&] { return status_of(sup, "bad_memfd").state == supervisor::PluginState::ready; }));
  auto good = sup.execute("bad_memfd", "good", to_bytes("fine"), ExecuteOptions{5s, std::nullopt});
  ASSERT_TRUE(good) << good.error().describe();
  EXPECT_EQ(to_text(*good), "fine");
}

TEST(LargePayload, EveryBrokenMemfdRuleIsAProtocolViolation) {
  PluginsDir dir;
  dir.add("bad_memfd", [](auto& m) { m["restart"] = {{"max_restarts", 20}, {"window_ms", 60000}, {"backoff_ms", 10}}; });
  auto sup = supervisor_allowing_payloads(dir);
  ASSERT_TRUE(sup->execute("bad_memfd", "good", to_bytes("warm")));
  std::this_thread::sleep_for(200ms);
  const size_t fds_before = open_fds().size();
  expect_refused_memfd(*sup, "unsealed", "not sealed against writes");
  expect_refused_memfd(*sup, "short", "holds 10 bytes, the frame announced 20");
  expect_refused_memfd(*sup, "pipe", "not a regular file");
  expect_refused_memfd(*sup, "tmpfile", "not sealed against writes");
  expect_refused_memfd(*sup, "no_fd", "no descriptor came with it");
  expect_refused_memfd(*sup, "stray_fd", "no frame announces", true);
  expect_refused_memfd(*sup, "two_fds", "more than one descriptor");
  expect_refused_memfd(*sup, "over", "granted in the handshake");
  expect_refused_memfd(*sup, "sparse", "has a hole at byte 0");
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(open_fds().size(), fds_before);
}

TEST(LargePayload, AHugetlbMemfdIsRefusedBySeccomp) {
  PluginsDir dir;
  dir.add("bad_memfd");
  auto sup = supervisor_allowing_payloads(dir);
  auto r = sup->execute("bad_memfd", "hugetlb", to_bytes("x"), ExecuteOptions{5s, std::nullopt});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("seccomp violation"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("memfd_create"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace stockade::testing
