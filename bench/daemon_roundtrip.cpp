// A 16-byte call through `stockade serve` (client -> control socket ->
// daemon -> Supervisor -> sandboxed echo -> back), beside, in the same run,
// the same call made in process (Supervisor::execute, the library) and the
// floor: a bare socketpair ping-pong between two processes. Prints the
// figures and their ratios. Floor, library and daemon alternate, five times
// each, and the medians are compared: the machine is shared.
//
//   bench_daemon_roundtrip [--json] [PLUGINS_DIR]
//       --json: one JSON object, the last line, for scripts
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "bench/bench_stats.h"
#include "bench/socketpair_floor.h"
#include "base/unique_fd.h"
#include "control/client.h"
#include "stockade/supervisor.h"
#include "whitelist/sha256.h"

using stockade::bench::seconds_since;
using stockade::bench::median;

namespace {

using namespace stockade;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

constexpr std::size_t kPayload = 16;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "bench_daemon_roundtrip: %s\n", what.c_str());
  std::exit(1);
}

// The floor: microseconds a 16-byte round trip between two processes.
double floor_us(int rounds) {
  return 1e6 / stockade::bench::socketpair_round_trips_per_s(kPayload, 1, rounds);
}

// A host folder: the echo example, its whitelist, a config for the daemon.
struct Host {
  std::string work, socket, config, log;
};

Host prepare(const std::string& examples) {
  Host h;
  h.work = "/tmp/stockade-bench-daemon-" + std::to_string(::getpid());
  fs::create_directories(h.work + "/plugins/echo");
  fs::create_directories(h.work + "/run");
  fs::permissions(h.work, fs::perms(0755));
  fs::permissions(h.work + "/run", fs::perms(0755));
  fs::copy_file(examples + "/echo/echo", h.work + "/plugins/echo/echo",
                fs::copy_options::overwrite_existing);
  fs::copy_file(examples + "/echo/plugin.json", h.work + "/plugins/echo/plugin.json",
                fs::copy_options::overwrite_existing);
  UniqueFd fd(::open((h.work + "/plugins/echo/echo").c_str(), O_RDONLY | O_CLOEXEC));
  auto digest = sha256_of_fd(fd.get());
  if (!digest) die(digest.error().message());
  std::ofstream(h.work + "/whitelist") << to_hex(*digest) << "  echo\n";
  h.socket = h.work + "/run/control.sock";
  h.config = h.work + "/stockade.json";
  h.log = h.work + "/daemon.log";
  std::ofstream(h.config) << "{\"plugins_dir\": \"" << h.work << "/plugins\", \"whitelist\": \""
                          << h.work << "/whitelist\", \"control\": {\"socket\": \"" << h.socket
                          << "\", \"mode\": \"0600\"}, \"clients\": [{\"uid\": " << ::getuid()
                          << ", \"plugins\": [\"*\"], \"admin\": true}], \"autostart\": [\"echo\"]}\n";
  return h;
}

pid_t start_daemon(const Host& h) {
  const pid_t pid = ::fork();
  if (pid < 0) die("fork failed");
  if (pid == 0) {
    const int log = ::open(h.log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (log < 0 || ::dup2(log, STDERR_FILENO) < 0) ::_exit(125);
    ::execl(STOCKADE_BIN, STOCKADE_BIN, "serve", "--config", h.config.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  // Up once a Status is answered with echo ready (autostart).
  for (int i = 0; i < 300; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) die("stockade serve exited; see " + h.log);
    auto client = control::ControlClient::connect(h.socket);
    if (!client) continue;
    auto answer = client->status(std::chrono::seconds(5));
    if (!answer || !std::holds_alternative<control::StatusReplyInfo>(*answer)) continue;
    for (const auto& p : std::get<control::StatusReplyInfo>(*answer).plugins) {
      if (p.name == "echo" && p.state == control::fb::PluginState::READY) return pid;
    }
  }
  ::kill(pid, SIGKILL);
  die("stockade serve did not become ready; see " + h.log);
}

// Microseconds a synchronous 16-byte call through the daemon, one in flight.
double daemon_us(control::ControlClient& client, int rounds) {
  const control::CallRequest call{"echo", "echo", control::Bytes(kPayload, 0x5a), {}, {}};
  const auto start = Clock::now();
  for (int i = 0; i < rounds; ++i) {
    auto answer = client.call(call);
    if (!answer) die(answer.error().message());
    const auto* reply = std::get_if<control::CallReplyInfo>(&*answer);
    if (reply == nullptr || reply->payload.size() != kPayload) die("a bad answer from the daemon");
  }
  return seconds_since(start) * 1e6 / rounds;
}

// Calls a second through the daemon, `depth` in flight as pipelined batches.
double daemon_throughput(control::ControlClient& client, int depth, int total) {
  const std::vector<control::Body> batch(
      static_cast<std::size_t>(depth),
      control::CallRequest{"echo", "echo", control::Bytes(kPayload, 0x5a), {}, {}});
  const auto start = Clock::now();
  for (int done = 0; done < total; done += depth) {
    for (auto& answer : client.batch(batch)) {
      if (!answer || !std::holds_alternative<control::CallReplyInfo>(*answer)) {
        die(answer ? "an Error from the daemon" : answer.error().message());
      }
    }
  }
  return total / seconds_since(start);
}

// Microseconds a synchronous 16-byte Supervisor::execute in this process.
double library_us(supervisor::Supervisor& sup, int rounds) {
  const std::vector<std::uint8_t> payload(kPayload, 0x5a);
  const auto start = Clock::now();
  for (int i = 0; i < rounds; ++i) {
    auto r = sup.execute("echo", "echo", payload);
    if (!r || r->size() != kPayload) die(r ? "short reply" : r.error().describe());
  }
  return seconds_since(start) * 1e6 / rounds;
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::warn);
  std::vector<std::string> args(argv + 1, argv + argc);
  bool json = false;
  if (!args.empty() && args[0] == "--json") {
    json = true;
    args.erase(args.begin());
  }
  const Host host = prepare(args.empty() ? STOCKADE_EXAMPLE_PLUGINS_DIR : args[0]);
  const pid_t daemon = start_daemon(host);
  auto client = control::ControlClient::connect(host.socket);
  if (!client) die(client.error().message());

  supervisor::SupervisorOptions options;
  options.plugins_dir = host.work + "/plugins";
  options.whitelist = host.work + "/whitelist";
  options.health_checks = false;
  auto sup = supervisor::Supervisor::create(options);
  if (!sup) die(sup.error().message());
  if (auto started = (*sup)->start("echo"); !started) die(started.error().message());

  // Warm up all three.
  floor_us(2000);
  library_us(**sup, 2000);
  daemon_us(*client, 2000);

  constexpr int kRepeats = 5, kRounds = 5000;
  std::vector<double> floors, libraries, daemons;
  for (int r = 0; r < kRepeats; ++r) {
    floors.push_back(floor_us(kRounds));
    libraries.push_back(library_us(**sup, kRounds));
    daemons.push_back(daemon_us(*client, kRounds));
  }
  const double floor = median(floors), library = median(libraries), through = median(daemons);
  std::vector<double> rates;
  for (int r = 0; r < kRepeats; ++r) rates.push_back(daemon_throughput(*client, 64, 20000));
  const double rate64 = median(rates);

  std::printf("16 B call, 1 in flight, median of %d x %d (us)\n", kRepeats, kRounds);
  std::printf("  bare socketpair (floor)                 %10.1f\n", floor);
  std::printf("  in-process library (execute)            %10.1f  %6.2fx floor\n", library,
              library / floor);
  std::printf("  through stockade serve (ControlClient)  %10.1f  %6.2fx floor  %6.2fx library\n",
              through, through / floor, through / library);
  std::printf("  through stockade serve, 64 in flight    %10.0f calls/s\n", rate64);
  if (json) {
    std::printf("{\"floor_rt16_us\": %.3f, \"library_rt16_sync_us\": %.3f, \"daemon_rt16_us\": %.3f, "
                "\"daemon_over_library\": %.3f, \"daemon_over_floor\": %.3f, "
                "\"daemon_inflight64_per_s\": %.1f}\n",
                floor, library, through, through / library, through / floor, rate64);
  }

  sup->reset();
  ::kill(daemon, SIGTERM);
  int status = 0;
  ::waitpid(daemon, &status, 0);
  fs::remove_all(host.work);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
