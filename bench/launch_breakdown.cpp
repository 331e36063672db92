// bench_launch_breakdown: where launch-to-first-call goes, step by step, for
// the sandboxed echo plugin (verified with sha256, every namespace, mounts,
// Landlock, seccomp, cgroups where the host has them).
//
// Two measurements, interleaved round by round so that the machine's load
// hits both alike:
//   by hand   launch_plugin() (the supervisor's own launch: verify + spawn,
//             with the sandbox's LaunchTimings), then this thread waits for
//             the plugin's Hello on the socket, answers HelloAck and sends one
//             16 B Execute, and waits for the answer: no event loop, so the
//             gap to the full runtime below is the runtime's own cost.
//   runtime   a fresh Supervisor (create), start() (launch + handshake),
//             then one execute(): what bench_supervisor_roundtrip's
//             launch_first_call_ms measures (create excluded there too);
//             then restart() and one execute(), the second launch of the
//             same unchanged binary, whose digest comes from the
//             supervisor's cache (the bench first waits 5 s for the copied
//             binary to settle, as an installed one has).
// Also, as the floor of the same run: a bare fork+exec+wait of the echo
// binary started by hand (it prints that it wants stockade and exits 1: the
// dynamic loader, libc and the SDK's static constructors, nothing else).
//
//   bench_launch_breakdown [--pad-mb N] [ROUNDS] [PLUGINS_DIR]   (default 21 rounds)
//     --pad-mb N: N MiB of zeros appended to the copied echo binary (the
//     loader ignores them), to see what hashing a large binary costs a
//     first launch and what the digest cache saves a restart.
//
// For the plugin's side (exec of stockade-init, its fork, the plugin's exec,
// the loader, the SDK until Hello) see bench/launch-timeline.sh, which
// records the kernel's exec/fork/exit tracepoints around this program.
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_stats.h"
#include "base/unique_fd.h"
#include "config/manifest.h"
#include "stockade/supervisor.h"
#include "supervisor/launch.h"
#include "whitelist/sha256.h"
#include "whitelist/whitelist.h"
#include "wire/frame_builder.h"
#include "wire/frame_decoder.h"
#include "wire/messages.h"
#include "wire/protocol.h"

using stockade::bench::median;

namespace {

using namespace stockade;
using namespace stockade::supervisor;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "bench_launch_breakdown: %s\n", what.c_str());
  std::exit(1);
}

// One frame body read from `fd` within 5 s, into `storage` (8-byte aligned,
// as decode_frame wants).
const wire::fb::Envelope* read_frame(int fd, std::vector<uint64_t>& storage) {
  auto read_n = [&](uint8_t* p, size_t n) {
    while (n > 0) {
      pollfd pfd{fd, POLLIN, 0};
      if (poll(&pfd, 1, 5000) != 1) die("no frame from the plugin within 5 s");
      ssize_t got = ::read(fd, p, n);
      if (got <= 0) die("the plugin closed its socket");
      p += got;
      n -= static_cast<size_t>(got);
    }
  };
  uint8_t prefix[wire::kLengthPrefixSize];
  read_n(prefix, sizeof prefix);
  const uint32_t length = uint32_t{prefix[0]} | uint32_t{prefix[1]} << 8 |
                          uint32_t{prefix[2]} << 16 | uint32_t{prefix[3]} << 24;
  if (length == 0 || length > 64 * 1024) die("frame length out of range");
  storage.assign((length + 7) / 8, 0);
  auto* body = reinterpret_cast<uint8_t*>(storage.data());
  read_n(body, length);
  auto envelope = wire::decode_frame({body, length});
  if (!envelope) die("malformed frame: " + envelope.error().message());
  return *envelope;
}

void send_frame(int fd, wire::Frame frame) {
  if (::send(fd, frame.data(), frame.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(frame.size()))
    die("short send to the plugin");
}

struct Step {
  const char* name;
  std::vector<double> ms;
};

class Table {
 public:
  void add(const char* name, double ms) {
    auto it = std::find_if(steps_.begin(), steps_.end(), [&](const Step& s) { return s.name == name; });
    if (it == steps_.end()) {
      steps_.push_back({name, {}});
      it = steps_.end() - 1;
    }
    it->ms.push_back(ms);
  }
  double median_of(const char* name) const {
    for (const auto& s : steps_)
      if (std::strcmp(s.name, name) == 0) return median(s.ms);
    return 0;
  }
  void print() const {
    for (const auto& s : steps_) {
      auto sorted = s.ms;
      std::sort(sorted.begin(), sorted.end());
      std::printf("  %-58s %7.2f  (%.2f-%.2f)\n", s.name, median(s.ms), sorted.front(), sorted.back());
    }
  }

 private:
  std::vector<Step> steps_;
};

// The echo binary run by hand: it finds no socket and exits 1.
double bare_exec_ms(const std::string& binary) {
  const auto start = Clock::now();
  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    int null = ::open("/dev/null", O_WRONLY);
    if (null >= 0) {
      dup2(null, 1);
      dup2(null, 2);
    }
    char* const argv[] = {const_cast<char*>(binary.c_str()), nullptr};
    char* const envp[] = {nullptr};
    execve(binary.c_str(), argv, envp);
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return ms_between(start, Clock::now());
}

void by_hand(const Manifest& manifest, const LaunchSettings& settings, Table& table) {
  const auto t0 = Clock::now();
  auto launched = launch_plugin(manifest, settings);
  if (!launched) die(launched.error().message());
  const auto t1 = Clock::now();
  const auto& t = launched->child.timings();
  table.add("launch_plugin (verify + sandbox spawn, until exec)", ms_between(t0, t1));
  table.add("  prepare (policy, seccomp program, mount plan)", t.prepare_us / 1e3);
  table.add("  cgroups (v2 before clone, v1 beside the child)", t.cgroup_us / 1e3);
  table.add("  clone3 into the namespaces", t.clone_us / 1e3);
  table.add("  uid/gid maps", t.maps_us / 1e3);
  table.add("  waiting for the verifier (sha256)", t.verify_us / 1e3);
  table.add("  child's setup left after release, until exec", t.setup_us / 1e3);
  const double accounted = (t.prepare_us + t.cgroup_us + t.clone_us + t.maps_us + t.verify_us +
                            t.setup_us) / 1e3;
  table.add("  rest (files, socketpair, pipes, policy capping)", ms_between(t0, t1) - accounted);

  const int fd = launched->socket.get();
  std::vector<uint64_t> storage;
  const auto* hello = read_frame(fd, storage);
  const auto t2 = Clock::now();
  if (hello->body_type() != wire::fb::Body::Hello) die("expected Hello");
  table.add("plugin start: init, plugin exec, loader, SDK until Hello", ms_between(t1, t2));

  wire::FrameBuilder builder;
  wire::HelloAckInfo ack;
  ack.max_concurrency = manifest.execute.max_concurrency;
  auto ack_frame = builder.encode_hello_ack(hello->id(), ack);
  if (!ack_frame) die("encode HelloAck");
  send_frame(fd, *ack_frame);
  const std::vector<uint8_t> payload(16, 1);
  auto request = builder.encode_execute_request(1, "echo", payload, 5000, 1);
  if (!request) die("encode ExecuteRequest");
  send_frame(fd, *request);
  const auto* answer = read_frame(fd, storage);
  const auto t3 = Clock::now();
  if (answer->body_type() != wire::fb::Body::ExecuteResponse) die("expected ExecuteResponse");
  table.add("HelloAck + first Execute answered (SDK session start)", ms_between(t2, t3));
  table.add("total by hand (launch to first answer)", ms_between(t0, t3));

  const auto t4 = Clock::now();
  launched->socket.reset();
  { sandbox::Child child = std::move(launched->child); }  // kills every process, reaps
  table.add("teardown (kill, reap, cgroup removal; not in launch)", ms_between(t4, Clock::now()));
}

void runtime(const std::string& work, Table& table) {
  SupervisorOptions options;
  options.plugins_dir = work + "/plugins";
  options.whitelist = work + "/whitelist";
  options.health_checks = false;
  const auto t0 = Clock::now();
  auto sup = Supervisor::create(options);
  if (!sup) die(sup.error().message());
  const auto t1 = Clock::now();
  if (auto s = (*sup)->start("echo"); !s) die(s.error().message());
  const auto t2 = Clock::now();
  const std::vector<uint8_t> payload(16, 1);
  auto r = (*sup)->execute("echo", "echo", payload);
  if (!r) die(r.error().describe());
  const auto t3 = Clock::now();
  table.add("runtime: Supervisor::create (not in launch_first_call_ms)", ms_between(t0, t1));
  table.add("runtime: start() (launch + handshake)", ms_between(t1, t2));
  table.add("runtime: first execute() after start", ms_between(t2, t3));
  table.add("runtime: start + first execute", ms_between(t1, t3));
  const auto t5 = Clock::now();
  if (auto s = (*sup)->restart("echo"); !s) die(s.error().message());
  auto again = (*sup)->execute("echo", "echo", payload);
  if (!again) die(again.error().describe());
  table.add("runtime: restart() + execute (digest from the cache)", ms_between(t5, Clock::now()));
  const auto t4 = Clock::now();
  sup->reset();
  table.add("runtime: Supervisor destroyed (not in launch)", ms_between(t4, Clock::now()));
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  long pad_mb = 0;
  if (args.size() >= 2 && args[0] == "--pad-mb") {
    pad_mb = std::atol(args[1].c_str());
    args.erase(args.begin(), args.begin() + 2);
  }
  int rounds = !args.empty() ? std::atoi(args[0].c_str()) : 21;
  if (rounds < 1) rounds = 1;
  const std::string examples = args.size() > 1 ? args[1] : STOCKADE_EXAMPLE_PLUGINS_DIR;
  const std::string work = "/tmp/stockade-launch-bench-" + std::to_string(::getpid());
  fs::create_directories(work + "/plugins/echo");
  fs::copy_file(examples + "/echo/echo", work + "/plugins/echo/echo",
                fs::copy_options::overwrite_existing);
  fs::copy_file(examples + "/echo/plugin.json", work + "/plugins/echo/plugin.json",
                fs::copy_options::overwrite_existing);
  const std::string binary = work + "/plugins/echo/echo";
  if (pad_mb > 0) {
    std::ofstream out(binary, std::ios::binary | std::ios::app);
    const std::vector<char> zeros(1 << 20, 0);
    for (long i = 0; i < pad_mb; ++i) out.write(zeros.data(), static_cast<std::streamsize>(zeros.size()));
    if (!out) die("padding the echo binary");
  }
  {
    UniqueFd fd(::open(binary.c_str(), O_RDONLY | O_CLOEXEC));
    auto digest = sha256_of_fd(fd.get());
    if (!digest) die("hashing the echo binary");
    std::ofstream(work + "/whitelist") << to_hex(*digest) << "  echo\n";
  }
  auto manifest = load_manifest(work + "/plugins/echo/plugin.json");
  if (!manifest) die(manifest.error().message());
  auto whitelist = Whitelist::load(work + "/whitelist");
  if (!whitelist) die(whitelist.error().message());
  LaunchSettings settings;
  settings.whitelist = &*whitelist;

  // The digest cache records a binary last changed 5 s or more before it
  // was hashed (whitelist/digest_cache.h), as an installed one is.
  std::this_thread::sleep_for(std::chrono::milliseconds(5200));
  Table table;
  std::vector<double> bare;
  // One of each first, not counted: page cache, lazily made cgroup parents.
  {
    Table warm;
    by_hand(*manifest, settings, warm);
    runtime(work, warm);
  }
  for (int i = 0; i < rounds; ++i) {
    bare.push_back(bare_exec_ms(binary));
    by_hand(*manifest, settings, table);
    runtime(work, table);
  }
  std::printf("launch to first call of the sandboxed echo plugin (%ld MiB appended), %d rounds, ms: "
              "median (min-max)\n",
              pad_mb, rounds);
  std::printf("  %-58s %7.2f\n", "floor: bare fork+exec+wait of the echo binary", median(bare));
  table.print();
  std::printf("runtime start + first execute / by hand: %.2fx; by hand / bare exec: %.2fx\n",
              table.median_of("runtime: start + first execute") /
                  table.median_of("total by hand (launch to first answer)"),
              table.median_of("total by hand (launch to first answer)") / median(bare));
  fs::remove_all(work);
  return 0;
}
