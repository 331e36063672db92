// The executor runs quick calls on the thread that read them; these tests
// hold it to what that must not break: a slow or stuck handler leaves the
// other calls, Health, Info and Close answered; many calls in flight are all
// answered once, under max_concurrency and the queue bound; payloads handed
// as views into the read buffer stay intact while more frames are read.
#include <gtest/gtest.h>

#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <future>
#include <fstream>
#include <thread>
#include <set>
#include <string>
#include <vector>

#include "sdk/malloc_arenas.h"
#include "tests/sdk/plugin_host.h"

namespace stockade::testing {
namespace {

using wire::fb::ErrorCode;

// Distinct bytes per call and offset, so a view into the wrong frame, or a
// buffer reused under a call, shows.
std::vector<std::uint8_t> pattern(std::uint64_t id, std::size_t size) {
  std::vector<std::uint8_t> bytes(size);
  for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<std::uint8_t>(i * 131 + id * 7 + (i >> 12));
  return bytes;
}

std::string as_text(const std::vector<std::uint8_t>& bytes) {
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

std::span<const std::uint8_t> as_bytes_of(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

// The plugin's threads, by /proc.
std::size_t threads_of(pid_t pid) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& task :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task")) {
    ++n;
  }
  return n;
}

// Voluntary context switches of all the plugin's threads so far: each is a
// thread going to sleep, so the count grows with every wake-up.
std::uint64_t sleeps_of(pid_t pid) {
  std::uint64_t total = 0;
  for (const auto& task : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task")) {
    std::ifstream status(task.path() / "status");
    std::string line;
    while (std::getline(status, line)) {
      if (line.rfind("voluntary_ctxt_switches:", 0) == 0) total += std::stoull(line.substr(24));
    }
  }
  return total;
}

TEST(SdkLeaderFollower, QuickCallsAreAnsweredWhileOneHandlerIsSlow) {
  PluginHost host(SDK_PROBE);
  ASSERT_TRUE(host.handshake(4));
  host.execute(1, "sleep", "30000");
  for (std::uint64_t id = 2; id <= 21; ++id) host.execute(id, "echo", std::to_string(id));
  // The sleeper holds the thread that read it; the echoes still come back,
  // all of them before it.
  for (int i = 0; i < 20; ++i) {
    auto result = host.execute_result();
    ASSERT_TRUE(result);
    ASSERT_TRUE(result->ok) << result->id << " " << result->message;
    EXPECT_EQ(result->payload, std::to_string(result->id));
  }
  host.cancel(1);
  auto slow = host.execute_result();
  ASSERT_TRUE(slow);
  EXPECT_EQ(slow->id, 1u);
  EXPECT_EQ(slow->code, ErrorCode::CANCELLED);
}

TEST(SdkLeaderFollower, StuckHandlerLeavesHealthInfoAndQueuedCallsServed) {
  // One call at a time: the stuck one (it ignores Cancel) runs on the thread
  // that read it, the echo waits for it, Health and Info do not.
  PluginHost host(SDK_PROBE);
  ASSERT_TRUE(host.handshake(2));
  host.execute(1, "rendezvous", "2 60000");  // stuck until a second one comes
  host.health(2);
  host.info(3);
  std::set<wire::fb::Body> seen;
  for (int i = 0; i < 2; ++i) {
    auto frame = host.receive();
    ASSERT_TRUE(frame);
    seen.insert((*frame)->body_type());
  }
  EXPECT_TRUE(seen.count(wire::fb::Body::HealthResponse));
  EXPECT_TRUE(seen.count(wire::fb::Body::InfoResponse));
  // The second slot is free: a call still runs beside the stuck one.
  host.execute(4, "echo", "beside");
  auto beside = host.execute_result();
  ASSERT_TRUE(beside);
  EXPECT_EQ(beside->payload, "beside");
  // The second rendezvous meets the first: both answer.
  host.execute(5, "rendezvous", "2 10000");
  for (int i = 0; i < 2; ++i) {
    auto met = host.execute_result();
    ASSERT_TRUE(met);
    EXPECT_EQ(met->payload, "met");
  }
}

TEST(SdkLeaderFollower, CloseEndsTheProcessWhenAHandlerStaysStuck) {
  PluginHost host(SDK_PROBE);
  ASSERT_TRUE(host.handshake(1));
  host.execute(1, "rendezvous", "2 60000");  // ignores Cancel
  host.health(2);
  ASSERT_TRUE(host.receive());
  host.close_request(100);
  // The grace, then a second for the cancelled call: the SDK ends the
  // process itself instead of hanging.
  EXPECT_EQ(host.wait_exit(10000ms), 0);
  EXPECT_NE(host.stderr_text().find("still running 100 ms after Close"), std::string::npos)
      << host.stderr_text();
}

TEST(SdkLeaderFollower, HostGoneWithAStuckHandlerEndsTheProcess) {
  PluginHost host(SDK_PROBE);
  ASSERT_TRUE(host.handshake(1));
  host.execute(1, "rendezvous", "2 60000");
  host.health(2);
  ASSERT_TRUE(host.receive());  // the reading role moved off the stuck thread
  host.hang_up();
  EXPECT_EQ(host.wait_exit(10000ms), 0);
  EXPECT_NE(host.stderr_text().find("still running after cancellation; exiting"),
            std::string::npos)
      << host.stderr_text();
}

TEST(SdkLeaderFollower, ThousandCallsInFlightAreEachAnsweredOnce) {
  PluginHost host(SDK_PROBE);
  ASSERT_TRUE(host.handshake(64));
  constexpr std::uint64_t kCalls = 1000;
  for (std::uint64_t id = 1; id <= kCalls; ++id) {
    host.execute(id, "echo", "call " + std::to_string(id));
    if (id == kCalls / 2) host.health(kCalls + 1);
  }
  std::set<std::uint64_t> answered;
  bool health = false;
  while (answered.size() < kCalls || !health) {
    auto frame = host.receive();
    ASSERT_TRUE(frame) << answered.size() << " answered";
    if ((*frame)->body_type() == wire::fb::Body::HealthResponse) {
      EXPECT_FALSE(health);
      health = true;
      continue;
    }
    ASSERT_EQ((*frame)->body_type(), wire::fb::Body::ExecuteResponse);
    const auto id = (*frame)->id();
    EXPECT_TRUE(answered.insert(id).second) << "answered twice: " << id;
    const auto payload = wire::bytes((*frame)->body_as_ExecuteResponse()->payload());
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(payload.data()), payload.size()),
              "call " + std::to_string(id));
  }
  EXPECT_FALSE(host.receive(200ms));
}

TEST(SdkLeaderFollower, SlowCallsInFlightKeepMaxConcurrencyAndTheQueueBound) {
  // Three may run and two wait: of eight calls sent at once, three are
  // refused. The others wait for four of them to be inside execute() at
  // once, which max_concurrency 3 never allows: each times out.
  PluginHost host(SDK_PROBE, {.args = {"--max-queued", "2"}});
  ASSERT_TRUE(host.handshake(3));
  for (std::uint64_t id = 1; id <= 8; ++id) host.execute(id, "rendezvous", "4 2000");
  int refused = 0;
  int answered = 0;
  for (int i = 0; i < 8; ++i) {
    auto result = host.execute_result(10000ms);
    ASSERT_TRUE(result);
    if (result->code == ErrorCode::DEADLINE_EXCEEDED) {
      EXPECT_EQ(result->message, "rendezvous timed out");
      ++answered;
    } else {
      EXPECT_EQ(result->code, ErrorCode::RESOURCE_EXHAUSTED) << result->message;
      ++refused;
    }
  }
  EXPECT_EQ(refused, 3);
  EXPECT_EQ(answered, 5);
}

TEST(SdkLeaderFollower, LargePayloadViewsStayIntactWhileMoreFramesAreRead) {
  // Calls that hold their 64 KiB - 1 MiB payload views for 100 ms while the
  // next frames are read into other buffers (and, past the buffer bound,
  // copied): every echo must come back byte for byte.
  PluginHost host(SDK_PROBE);
  ASSERT_TRUE(host.handshake(16, 4 * 1024 * 1024));
  const std::size_t sizes[] = {64 * 1024, 64 * 1024 + 3, 300 * 1024, 1024 * 1024, 5,
                               128 * 1024, 64 * 1024, 200 * 1024, 17, 64 * 1024 + 1,
                               256 * 1024, 70 * 1024};
  std::uint64_t id = 0;
  for (const std::size_t size : sizes) {
    ++id;
    host.execute_bytes(id, id % 3 == 0 ? "echo" : "hold_echo", pattern(id, size));
  }
  std::set<std::uint64_t> answered;
  for (std::size_t i = 0; i < std::size(sizes); ++i) {
    auto result = host.execute_result(10000ms);
    ASSERT_TRUE(result);
    ASSERT_TRUE(result->ok) << result->message;
    EXPECT_TRUE(answered.insert(result->id).second);
    ASSERT_GE(result->id, 1u);
    ASSERT_LE(result->id, std::size(sizes));
    EXPECT_TRUE(result->payload == as_text(pattern(result->id, sizes[result->id - 1])))
        << "payload of call " << result->id << " changed";
  }
}

TEST(SdkLeaderFollower, SixtyFourBlockedCallsFitTheSandboxsAddressSpace) {
  // The sandbox's RLIMIT_AS for a 64 MiB plugin is 128 MiB. 64 calls that
  // block make the executor start 65 threads, and each thread's first
  // malloc used to get a glibc arena reserving 64 MiB: the next thread could
  // not start and an allocation threw, SIGABRT. With the arenas capped
  // (ServeOptions::limit_malloc_arenas) every call is answered and every
  // thread starts.
  LaunchOptions launch;
  launch.address_space_bytes = std::size_t{128} << 20;
  PluginHost host(SDK_PROBE, launch);
  ASSERT_TRUE(host.handshake(64));
  for (std::uint64_t round = 0; round < 3; ++round) {
    for (std::uint64_t id = 1; id <= 64; ++id) {
      host.execute(round * 100 + id, id % 2 == 0 ? "sleep" : "big", id % 2 == 0 ? "200" : "50000");
    }
    std::set<std::uint64_t> answered;
    for (int i = 0; i < 64; ++i) {
      auto result = host.execute_result(10000ms);
      ASSERT_TRUE(result) << "round " << round << ", after " << i << " answers: " << host.stderr_text();
      ASSERT_TRUE(result->ok) << result->id << " " << result->message;
      EXPECT_TRUE(answered.insert(result->id).second);
    }
  }
  host.close_request(5000);
  EXPECT_EQ(host.wait_exit(), 0) << host.stderr_text();
  EXPECT_EQ(host.stderr_text().find("cannot start"), std::string::npos) << host.stderr_text();
}

TEST(SdkMallocArenas, ArenasReserveAtMostAQuarterOfTheAddressSpace) {
  using sdk::detail::malloc_arenas_for;
  EXPECT_EQ(malloc_arenas_for(0), 0u);  // no limit: glibc's default
  EXPECT_EQ(malloc_arenas_for(std::size_t{64} << 20), 1u);
  EXPECT_EQ(malloc_arenas_for(std::size_t{128} << 20), 1u);
  EXPECT_EQ(malloc_arenas_for(std::size_t{511} << 20), 1u);
  EXPECT_EQ(malloc_arenas_for(std::size_t{1} << 30), 4u);
  EXPECT_EQ(malloc_arenas_for(std::size_t{64} << 30), 8u);
}

// The plugin's threads other than the serving one, once there are `n` in all.
std::vector<pid_t> other_threads(pid_t pid, std::size_t n) {
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (threads_of(pid) < n && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
  }
  std::vector<pid_t> tids;
  for (const auto& task : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task")) {
    const pid_t tid = std::stoi(task.path().filename());
    if (tid != pid) tids.push_back(tid);
  }
  return tids;
}

// Voluntary context switches of one thread: how often it went to sleep.
std::uint64_t sleeps_of_thread(pid_t pid, pid_t tid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("voluntary_ctxt_switches:", 0) == 0) return std::stoull(line.substr(24));
  }
  ADD_FAILURE() << "no voluntary_ctxt_switches for thread " << tid;
  return 0;
}

TEST(SdkLeaderFollower, QuickCallsNeverWakeTheMonitorAndAnIdlePluginSleeps) {
  PluginHost host(SDK_PROBE);
  ASSERT_TRUE(host.handshake(16));
  // The serving thread and the monitor, started once the handshake is
  // done (not at the first call, which would pay for it); the control
  // thread comes with the first Health.
  const auto others = other_threads(host.pid(), 2);
  ASSERT_EQ(others.size(), 1u);
  const pid_t monitor = others.front();
  host.execute(1, "echo", "one");
  ASSERT_TRUE(host.execute_result());
  // A lone call sets the monitor's timer to its first look (5 ms) and the
  // thread clears it when, answered, it reads again: the monitor never runs
  // for it. Calls one after another leave it set, and the monitor looks
  // about once a first look while they come, and once after. (Woken at each
  // call's start and ticking while calls came, the first monitor ran about
  // once a call; left to expire, the timer woke it once a lone call.) A call
  // that really ran to the first look, preempted on a loaded machine, may
  // wake it once more: those are allowed for.
  int slow = 0;
  auto call = [&](std::uint64_t id) {
    const auto sent = std::chrono::steady_clock::now();
    host.execute(id, "echo", "quick");
    auto result = host.execute_result();
    ASSERT_TRUE(result);
    ASSERT_TRUE(result->ok);
    if (std::chrono::steady_clock::now() - sent >= 4ms) ++slow;
  };
  const std::uint64_t before = sleeps_of_thread(host.pid(), monitor);
  const auto stream_began = std::chrono::steady_clock::now();
  for (int i = 0; i < 400; ++i) call(10 + i);
  const auto stream = std::chrono::steady_clock::now() - stream_began;
  std::this_thread::sleep_for(12ms);  // the stream's last looks
  const std::uint64_t after_stream = sleeps_of_thread(host.pid(), monitor);
  const auto looks = static_cast<std::uint64_t>(stream / 5ms) + 2;
  EXPECT_LE(after_stream - before, looks + static_cast<std::uint64_t>(slow))
      << "400 calls in " << std::chrono::duration<double, std::milli>(stream).count() << " ms; "
      << slow << " took 4 ms or more";
  slow = 0;
  for (int i = 0; i < 20; ++i) {
    call(1000 + i);
    std::this_thread::sleep_for(6ms);  // past the first look: a lone call
  }
  EXPECT_LE(sleeps_of_thread(host.pid(), monitor) - after_stream, static_cast<std::uint64_t>(slow) + 1)
      << slow << " of 20 lone calls took 4 ms or more";
  // Idle: no thread wakes up at all.
  std::this_thread::sleep_for(50ms);
  const std::uint64_t idle = sleeps_of(host.pid());
  std::this_thread::sleep_for(200ms);
  EXPECT_LE(sleeps_of(host.pid()) - idle, 2u);
  host.close_request(5000);
  EXPECT_EQ(host.wait_exit(), 0) << host.stderr_text();
}

TEST(SdkLeaderFollower, AnIdlePluginIsWokenOncePerCall) {
  // Calls with a pause between them: the plugin is asleep, waiting for the
  // next request, when the host takes in its answer. Asleep in read(2), it
  // was woken by that too (the socket's write-space wake-up): about two
  // sleeps per call. Waiting in poll(2) for POLLIN, it sleeps once per call.
  PluginHost host(SDK_PROBE);
  ASSERT_TRUE(host.handshake(16));
  other_threads(host.pid(), 2);  // the monitor is up: its start is not counted
  host.execute(1, "echo", "one");
  ASSERT_TRUE(host.execute_result());
  const pid_t serving = host.pid();  // the main thread serves
  const std::uint64_t before = sleeps_of_thread(host.pid(), serving);
  constexpr int kCalls = 200;
  for (int i = 0; i < kCalls; ++i) {
    host.execute(10 + i, "echo", "quick");
    // The answer is taken in once the plugin has gone back to waiting.
    std::this_thread::sleep_for(300us);
    auto result = host.execute_result();
    ASSERT_TRUE(result);
    ASSERT_TRUE(result->ok);
  }
  const std::uint64_t sleeps = sleeps_of_thread(host.pid(), serving) - before;
  EXPECT_LE(sleeps, static_cast<std::uint64_t>(kCalls * 5 / 4)) << sleeps << " sleeps for " << kCalls << " calls";
  host.close_request(5000);
  EXPECT_EQ(host.wait_exit(), 0) << host.stderr_text();
}

TEST(SdkLeaderFollower, AHostThatWritesABatchBeforeReadingIsStillRead) {
  // The host writes 6,000 calls before it reads a single answer. The
  // plugin's replies fill the socket and the thread writing them blocks in
  // send(); that thread counts as blocked, so the monitor must hand the
  // reading role to another one. Parked instead (it parked at the first look
  // with no call running), it left both sides waiting in send() for ever;
  // and the reading role must never write itself (its refusals of calls
  // beyond the queue are queued, not sent), or it blocks the same way.
  PluginHost host(SDK_PROBE);
  ASSERT_TRUE(host.handshake(4));
  std::vector<std::uint8_t> batch;
  constexpr std::uint64_t kCalls = 6000;
  for (std::uint64_t id = 1; id <= kCalls; ++id) {
    auto frame = host.builder().encode_execute_request(id, "big", as_bytes_of("100"), 0, 1);
    ASSERT_TRUE(frame);
    batch.insert(batch.end(), frame->begin(), frame->end());
  }
  const int fd = host.socket_fd();
  auto sent = std::async(std::launch::async, [&batch, fd] {
    std::size_t at = 0;
    while (at < batch.size()) {
      const ssize_t n = ::send(fd, batch.data() + at, batch.size() - at, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      at += static_cast<std::size_t>(n);
    }
    return true;
  });
  // Generous: the batch takes tens of milliseconds; a deadlock never ends.
  const bool done = sent.wait_for(30s) == std::future_status::ready;
  if (!done) ::shutdown(fd, SHUT_RDWR);  // ends the blocked send
  ASSERT_TRUE(done) << "the host's send stayed blocked: the plugin stopped reading";
  ASSERT_TRUE(sent.get());
  // Beyond max_concurrency plus ServeOptions::max_queued, calls are
  // refused; every call is answered exactly once either way.
  std::set<std::uint64_t> answered;
  std::uint64_t served = 0;
  for (std::uint64_t i = 0; i < kCalls; ++i) {
    auto result = host.execute_result(10000ms);
    ASSERT_TRUE(result) << "after " << i << " answers";
    if (result->ok) {
      EXPECT_EQ(result->payload, std::string(100, 'x'));
      ++served;
    } else {
      EXPECT_EQ(result->code, ErrorCode::RESOURCE_EXHAUSTED) << result->message;
    }
    EXPECT_TRUE(answered.insert(result->id).second) << "answered twice: " << result->id;
  }
  EXPECT_EQ(answered.size(), kCalls);
  EXPECT_GE(served, 1028u);  // max_concurrency 4 + 1,024 queued at least
}

}  // namespace
}  // namespace stockade::testing
