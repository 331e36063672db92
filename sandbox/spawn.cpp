// spawn(): prepares everything the child needs (as plain arrays: the child
// shares our memory and may not allocate), clones it into its namespaces,
// writes its id maps, lets it go, and waits until it has
// either exec'd (the close-on-exec channel reaches EOF after the seccomp
// listener was handed over) or reported the step that failed.
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/seccomp.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/syscall.h"
#include "base/error.h"
#include "sandbox/child_plan.h"
#include "sandbox/child_state.h"
#include "sandbox/clone_vm.h"
#include "sandbox/init_binary.h"
#include "sandbox/landlock.h"
#include "sandbox/mount_plan.h"
#include "sandbox/passed_fds.h"
#include "sandbox/seccomp_policy.h"
#include "sandbox/spare_netns.h"
#include "sandbox/syscall_names.h"
#include "sandbox/userns.h"
#include "sandbox/verifier_thread.h"
#include "whitelist/whitelist.h"

namespace stockade::sandbox {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kMaxFdMappings = 64;
constexpr size_t kChildStackSize = 64 * 1024;
constexpr int kSetupTimeoutMs = 10000;  // a mount on a hung filesystem, say

#ifndef CLONE_INTO_CGROUP
constexpr uint64_t CLONE_INTO_CGROUP = 0x200000000ULL;
#endif

int64_t micros_since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
}

Error invalid(const std::string& what, const char* where) {
  return Error{Errc::invalid_input, what, where, 0};
}

// The child's stack, in our address space (CLONE_VM), with a guard page.
class ChildStack {
 public:
  static Result<ChildStack> allocate() {
    void* base = mmap(nullptr, kChildStackSize, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (base == MAP_FAILED) return sys_error("allocating the child's stack");
    ChildStack stack;
    stack.base_ = base;
    if (mprotect(base, static_cast<size_t>(sysconf(_SC_PAGESIZE)), PROT_NONE) != 0)
      return sys_error("guard page for the child's stack");
    return stack;
  }
  ChildStack() = default;
  ChildStack(ChildStack&& other) noexcept : base_(std::exchange(other.base_, nullptr)) {}
  ChildStack& operator=(ChildStack&&) = delete;
  ~ChildStack() {
    if (base_ != nullptr) munmap(base_, kChildStackSize);
  }
  void* base() const { return base_; }

 private:
  void* base_ = nullptr;
};

bool has_nul(const std::string& text) { return text.find('\0') != std::string::npos; }

Status check_policy(const Policy& policy, const std::vector<FdMapping>& fds) {
  for (const auto& arg : policy.argv)
    if (has_nul(arg)) return invalid("an argument contains NUL", "policy.argv");
  for (const auto& entry : policy.env) {
    if (has_nul(entry) || entry.find('=') == std::string::npos)
      return invalid("environment entry \"" + entry + "\" is not KEY=VALUE", "policy.env");
  }
  if (policy.hostname.empty() || policy.hostname.size() > 64 || has_nul(policy.hostname))
    return invalid("hostname must be 1-64 characters", "policy.hostname");
  if (policy.cwd.empty() || policy.cwd[0] != '/' || has_nul(policy.cwd))
    return invalid("working directory must be absolute", "policy.cwd");
  const ResourceLimits& l = policy.limits;
  if (l.memory_bytes == 0 || l.cpu_seconds == 0 || l.processes == 0 || l.open_files == 0 ||
      !(l.cpu_cores > 0) || policy.tmp_bytes == 0) {
    return invalid("every resource limit must be positive", "policy.limits");
  }
  if (policy.inner_uid == 0 || policy.inner_gid == 0)
    return invalid("the plugin must not run as root inside its namespace", "policy.inner_uid");
  if (fds.size() > kMaxFdMappings) return invalid("too many fds to pass", "fds");
  std::set<int> targets;
  for (const auto& m : fds) {
    if (m.child_fd < 0 || m.child_fd > 65535)
      return invalid("child fd " + std::to_string(m.child_fd) + " out of range", "fds");
    if (!targets.insert(m.child_fd).second)
      return invalid("child fd " + std::to_string(m.child_fd) + " mapped twice", "fds");
    if (fcntl(m.parent_fd, F_GETFD) < 0)
      return sys_error("fd " + std::to_string(m.parent_fd) + " to pass is not open", "fds");
  }
  return {};
}

rlim_t capped_by_hard_limit(int resource, rlim_t wanted) {
  rlimit current{};
  if (getrlimit(resource, &current) != 0) return wanted;
  return std::min(wanted, current.rlim_max);
}

// The rlimits, and the text saying what they are.
std::vector<ResourceLimit> plan_rlimits(const ResourceLimits& l, const SandboxCgroup& cgroup,
                                        AppliedLimits& applied) {
  std::vector<ResourceLimit> out;
  auto add = [&](int resource, rlim_t soft, rlim_t hard) {
    hard = capped_by_hard_limit(resource, hard);
    soft = std::min(soft, hard);
    out.push_back(ResourceLimit{resource, rlimit{soft, hard}});
    return soft;
  };
  // With a cgroup memory limit, the cgroup is the limit (whole sandbox, real
  // memory, OOM kill we can detect) and RLIMIT_AS only a backstop at twice
  // that (runtimes reserve address space they never touch). Without one,
  // RLIMIT_AS per process is all there is.
  const rlim_t as = cgroup.memory_limited() ? l.memory_bytes * 2 : l.memory_bytes;
  rlim_t as_applied = add(RLIMIT_AS, as, as);
  applied.memory = (cgroup.memory_limited() ? cgroup.memory_how() + "; " : std::string()) +
                   "RLIMIT_AS=" + std::to_string(as_applied);
  // The budget is the sandbox's as a whole (cgroup or stockade-init account,
  // see cpu_budget_how); RLIMIT_CPU stays a per-process backstop a second
  // past it, so the whole-sandbox account is what normally ends a spin:
  // SIGXCPU then, and SIGKILL a second later for a process ignoring it.
  rlim_t cpu = add(RLIMIT_CPU, l.cpu_seconds + 1, l.cpu_seconds + 2);
  applied.cpu_time = std::to_string(l.cpu_seconds) + " s for the whole sandbox (" +
                     (cgroup.cpu_accounted() ? cgroup.cpu_usage_how() : "stockade-init accounting") +
                     "); RLIMIT_CPU=" + std::to_string(cpu) +
                     " s per process (SIGXCPU, then SIGKILL 1 s later)";
  // RLIMIT_NPROC counts per (user namespace, uid) since 5.14, so it is a
  // per-sandbox count here; pids.max also bounds threads and is exact.
  rlim_t nproc = add(RLIMIT_NPROC, l.processes, l.processes);
  applied.processes = (cgroup.pids_limited() ? cgroup.pids_how() + "; " : std::string()) +
                      "RLIMIT_NPROC=" + std::to_string(nproc);
  applied.open_files = "RLIMIT_NOFILE=" +
                       std::to_string(add(RLIMIT_NOFILE, l.open_files, l.open_files));
  applied.file_size = "RLIMIT_FSIZE=" +
                      std::to_string(add(RLIMIT_FSIZE, l.file_size_bytes, l.file_size_bytes));
  add(RLIMIT_CORE, 0, 0);
  return out;
}

// How many CPUs the sandbox can keep busy at once: its pinned CPUs, or all
// of ours when it is not pinned.
unsigned usable_cpus(bool pinned, const cpu_set_t& affinity) {
  if (pinned) return static_cast<unsigned>(std::max(1, CPU_COUNT(&affinity)));
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0) return CPU_SETSIZE;  // check early
  return static_cast<unsigned>(std::max(1, CPU_COUNT(&allowed)));
}

// Whether cpu_cores needs a cgroup CPU quota besides the affinity. Not for
// whole cores: a sandbox pinned to N CPUs cannot use more than N CPUs' time,
// and it cannot widen its affinity (seccomp refuses sched_setaffinity, and
// no manifest can grant it). A fraction (0.5 cores) needs the quota. Saves
// a cgroup hierarchy per launch (a mkdir, an rmdir, two writes).
bool cpu_quota_needed(double cores) { return cores != std::floor(cores); }

// ceil(cpu_cores) CPUs of those we may use, rotating the starting CPU so
// concurrent sandboxes spread out. Returns false when all would be used.
bool plan_affinity(double cores, cpu_set_t& out, std::string& how) {
  static std::atomic<unsigned> next_start{0};
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0) {
    how = "affinity unchanged (sched_getaffinity failed)";
    return false;
  }
  std::vector<int> cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
    if (CPU_ISSET(cpu, &allowed)) cpus.push_back(cpu);
  const size_t need = std::max<size_t>(1, static_cast<size_t>(std::ceil(cores)));
  if (cpus.empty() || need >= cpus.size()) {
    how = "affinity: all " + std::to_string(cpus.size()) + " CPUs";
    return false;
  }
  CPU_ZERO(&out);
  const unsigned start = next_start.fetch_add(static_cast<unsigned>(need));
  for (size_t i = 0; i < need; ++i) CPU_SET(cpus[(start + i) % cpus.size()], &out);
  how = "affinity " + std::to_string(need) + " of " + std::to_string(cpus.size()) + " CPUs";
  return true;
}

std::vector<char*> c_strings(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (const auto& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

int last_capability() {
  static const int last = [] {
    int value = 63;
    if (FILE* f = fopen("/proc/sys/kernel/cap_last_cap", "re")) {
      if (fscanf(f, "%d", &value) != 1) value = 63;
      fclose(f);
    }
    return value;
  }();
  return last;
}

Error step_error(const StepFailure& failure, const MountPlan& mounts) {
  std::string what = std::string("sandbox step ") + step_name(failure.step);
  if (failure.step == Step::mount_op && failure.detail >= 0 && failure.detail < mounts.count()) {
    return mounts.step_error(failure.detail, failure.error);  // says why a bind failed
  } else if (failure.step == Step::rlimit || failure.step == Step::fds ||
             failure.step == Step::cgroup) {
    if (failure.detail >= 0) what += " (" + std::to_string(failure.detail) + ")";
  }
  return sys_error(what, {}, failure.error);
}

// The sandbox's own execs, which the filter reports when the policy does not
// allow exec: stockade-init's (the first process, from its memfd) and then
// the plugin's (init's child, from the verified fd). Both are execveat(fd,
// "", ..., AT_EMPTY_PATH) of fds at the numbers arrange_fds gives them.
struct ExpectedExecs {
  bool notified = false;  // false: allow_exec, the filter lets them through
  pid_t first_process = -1;
  int init_fd = -1;
  int binary_fd = -1;
};

// Answers one notification of the launch: CONTINUE for the next expected
// exec, an error for anything else. CONTINUE lets the kernel run the call as
// made; it is safe here (and only here) because nothing of the plugin's has
// run yet: the arguments are the sandbox's own, in memory no plugin code
// could have changed. Returns how many execs have now been answered.
Result<int> answer_launch_exec(int listener, const ExpectedExecs& expected, int answered) {
  seccomp_notif notification;
  std::memset(&notification, 0, sizeof(notification));  // the kernel insists on zeroes
  if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &notification) != 0) {
    if (errno == EINTR || errno == ENOENT) return answered;  // ENOENT: the task died
    return sys_error("reading the sandbox's seccomp notification during setup");
  }
  const seccomp_data& call = notification.data;
  const bool first = answered == 0;
  const bool exec_of_expected_fd =
      call.nr == SYS_execveat &&
      static_cast<int>(static_cast<uint32_t>(call.args[0])) ==
          (first ? expected.init_fd : expected.binary_fd) &&
      (call.args[4] & AT_EMPTY_PATH) != 0;
  // The first exec is the first process's (the pid we cloned); the second
  // its child's, the only other process there is.
  const bool from_expected_process = first ? static_cast<pid_t>(notification.pid) ==
                                                 expected.first_process
                                           : static_cast<pid_t>(notification.pid) !=
                                                 expected.first_process;
  if (answered >= 2 || !exec_of_expected_fd || !from_expected_process) {
    // Left unanswered: the caller kills the sandbox, which ends the call.
    return Error{Errc::internal,
                 "sandbox setup made an unexpected syscall (" + syscall_name(call.arch, call.nr) +
                     ") before the plugin started",
                 "seccomp", 0};
  }
  seccomp_notif_resp response{};
  response.id = notification.id;
  response.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
  if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &response) != 0 && errno != ENOENT)
    return sys_error("answering the sandbox's exec during setup");
  return answered + 1;
}

// Reads the channel until the child has exec'd (EOF after the listener) or
// failed, answering the sandbox's own execs on the listener meanwhile.
// Returns the seccomp listener.
Result<UniqueFd> await_exec(int channel, const MountPlan& mounts, const ExpectedExecs& execs) {
  UniqueFd listener;
  int answered = 0;
  const auto deadline = Clock::now() + std::chrono::milliseconds(kSetupTimeoutMs);
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    // The listener only once we have it, only while an exec of ours is due.
    const bool watch_listener = execs.notified && listener && answered < 2;
    pollfd pfds[2] = {{channel, POLLIN, 0}, {watch_listener ? listener.get() : -1, POLLIN, 0}};
    int n = retry_on_eintr([&] { return poll(pfds, 2, static_cast<int>(std::max<int64_t>(0, left.count()))); });
    if (n < 0) return sys_error("waiting for the sandbox setup");
    if (n == 0) return Error{Errc::timeout, "sandbox setup did not finish in 10 s", "", 0};
    if (pfds[1].revents & POLLIN) {
      auto now_answered = answer_launch_exec(listener.get(), execs, answered);
      if (!now_answered) return std::move(now_answered).error();
      answered = *now_answered;
      continue;
    }
    if (!(pfds[0].revents & (POLLIN | POLLHUP | POLLERR))) {
      // The listener hung up (every task under the filter gone): the
      // channel's EOF or failure report follows.
      if (pfds[1].revents != 0) listener.reset();
      continue;
    }

    StepFailure failure{};
    iovec iov{&failure, sizeof(failure)};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr message{};
    message.msg_iov = &iov;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof(control);
    ssize_t got = retry_on_eintr([&] { return recvmsg(channel, &message, MSG_CMSG_CLOEXEC); });
    // A child that failed a step and exited with our 'X' still unread in
    // its queue resets the connection: the kernel reports that once (and
    // clears it), then hands over what the child wrote before it went.
    if (got < 0 && errno == ECONNRESET) continue;
    if (got < 0) return sys_error("reading the sandbox setup channel");
    for (cmsghdr* c = CMSG_FIRSTHDR(&message); c != nullptr; c = CMSG_NXTHDR(&message, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
          c->cmsg_len == CMSG_LEN(sizeof(int))) {
        int fd = -1;
        std::memcpy(&fd, CMSG_DATA(c), sizeof(fd));
        listener.reset(fd);
      }
    }
    if (got == 0) break;  // EOF: exec'd (channel is close-on-exec) or died
    if (got == static_cast<ssize_t>(sizeof(failure))) return step_error(failure, mounts);
  }
  if (!listener) {
    return Error{Errc::internal, "the sandbox's process died during setup, before exec", "", 0};
  }
  // EOF means the plugin's exec went through, which needed both answers.
  if (execs.notified && answered < 2) {
    return Error{Errc::internal, "the sandbox's process died during setup, before exec", "", 0};
  }
  return listener;
}

// The 'X' byte: the binary passed, plan.late is written, exec when ready.
// It carries the v1 cgroups' tasks fds (SCM_RIGHTS) for the child to join.
// The fence orders our writes to the plan before the send, as the child's
// after its receive (the plan is shared memory: CLONE_VM).
Status release_child(int channel, const std::vector<UniqueFd>& cgroup_fds) {
  std::atomic_thread_fence(std::memory_order_seq_cst);
  char exec = 'X';
  iovec iov{&exec, 1};
  msghdr message{};
  message.msg_iov = &iov;
  message.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxCgroupFds)] = {};
  if (cgroup_fds.size() > kMaxCgroupFds)
    return Error{Errc::internal, "too many cgroup fds for the child", "", 0};
  if (!cgroup_fds.empty()) {
    message.msg_control = control;
    message.msg_controllen = CMSG_SPACE(sizeof(int) * cgroup_fds.size());
    // Header and data written at their offsets in `control` rather than
    // through CMSG_FIRSTHDR: g++ 12 at -O3 cannot see that it is non-null
    // and reports a false -Wstringop-overflow on the copy.
    cmsghdr header{};
    header.cmsg_level = SOL_SOCKET;
    header.cmsg_type = SCM_RIGHTS;
    header.cmsg_len = CMSG_LEN(sizeof(int) * cgroup_fds.size());
    std::memcpy(control, &header, sizeof(header));
    int fds[kMaxCgroupFds] = {};
    for (size_t i = 0; i < cgroup_fds.size(); ++i) fds[i] = cgroup_fds[i].get();
    std::memcpy(control + CMSG_LEN(0), fds, sizeof(int) * cgroup_fds.size());
  }
  // EPIPE: the child already failed a step and said which; await_exec reads it.
  if (retry_on_eintr([&] { return sendmsg(channel, &message, MSG_NOSIGNAL); }) != 1 &&
      errno != EPIPE && errno != ECONNRESET)
    return sys_error("sandbox step sync (letting the child exec)");
  return {};
}

// Everything both spawn()s share. `before_exec`, if set, runs after the
// child was released into its setup; the child execs only once it returned
// success (the 'X' byte).
Result<Child> spawn_fd(int binary_fd, const std::string& default_argv0, const Policy& policy,
                       const std::vector<FdMapping>& fds,
                       const std::function<Status()>& before_exec) {
  const auto start = Clock::now();
  if (binary_fd < 0) return invalid("the binary has no open fd", "binary");
  if (auto s = check_policy(policy, fds); !s) return std::move(s).error();
  auto program = cached_seccomp_program(policy);
  if (!program) return std::move(program).error();
  // Kept open until spawn() returns: the child dups them before exec.
  auto passed = own_descriptions(fds);
  if (!passed) return std::move(passed).error();

  auto init_fd = init_binary_fd();
  if (!init_fd) return std::move(init_fd).error();
  // stockade-init is one more process of the sandbox: the plugin keeps the
  // count its policy asked for.
  ResourceLimits limits = policy.limits;
  limits.processes += 1;

  auto state = std::make_unique<Child::State>();
  state->cpu_seconds_limit = policy.limits.cpu_seconds;
  // Only the v2 group now (the child is born into it); the v1 groups are
  // made while the child builds its root, see below.
  const auto cgroup_start = Clock::now();
  const bool cpu_quota = cpu_quota_needed(limits.cpu_cores);
  auto cgroup = SandboxCgroup::create_v2(limits, cpu_quota);
  if (!cgroup) return std::move(cgroup).error();
  state->cgroup = std::move(*cgroup);
  state->timings.cgroup_us = micros_since(cgroup_start);
  AppliedLimits& applied = state->applied;

  cpu_set_t affinity;
  CPU_ZERO(&affinity);
  const bool set_affinity = plan_affinity(policy.limits.cpu_cores, affinity, applied.cpu_cores);
  applied.network = policy.network == Network::none
                        ? "none (empty network namespace, loopback down)"
                        : "host";
  static const char* const kWritablePaths[] = {"/tmp", "/dev", nullptr};
  const LandlockPlan landlock = landlock_plan(landlock_abi(), kWritablePaths);
  applied.landlock = landlock.abi > 0 ? "ABI " + std::to_string(landlock.abi) : "unavailable";

  int pair[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0)
    return sys_error("sandbox step channel (socketpair)");
  UniqueFd channel(pair[0]);
  UniqueFd child_end(pair[1]);
  // init's report of the plugin's wait status (init/init_report.h): a
  // shared page, whose descriptor is closed here once the child has it.
  auto report = ReportPage::create();
  if (!report) return std::move(report).error();

  std::vector<FdMove> moves;
  int highest = std::max({channel.get(), child_end.get(), binary_fd, *init_fd,
                          report->fd(), 2});
  for (const auto& m : passed->mappings) {
    moves.push_back(FdMove{m.parent_fd, m.child_fd});
    highest = std::max({highest, m.parent_fd, m.child_fd});
  }
  // The provided files' memfds are read at their own numbers while the root
  // is built: no scratch fd or bind source may land on one.
  for (const auto& f : policy.provided_files) highest = std::max(highest, f.fd);
  std::sort(moves.begin(), moves.end(), [](const FdMove& a, const FdMove& b) { return a.to < b.to; });
  // Scratch fds in the child: base channel, +1 binary, +2 init, +3 report,
  // then one per passed fd, then the bind sources.
  const int scratch_base = highest + 1;
  // /tmp is memory (tmpfs). A memory cgroup charges its pages to the
  // sandbox; without one nothing would, so /tmp is never larger than the
  // memory limit either way (a 64 MiB sandbox once held 150 MiB there).
  std::optional<Policy> capped_tmp;
  if (policy.tmp_bytes > policy.limits.memory_bytes) {
    capped_tmp = policy;
    capped_tmp->tmp_bytes = policy.limits.memory_bytes;
  }
  const Policy& mount_policy = capped_tmp ? *capped_tmp : policy;
  // Bind sources right after the passed fds' slots, not after room for the
  // most fds one could pass: every slot is an fd number the child must be
  // allowed to use (RLIMIT_NOFILE), so a supervisor with many plugins open
  // does not run out of numbers early.
  auto mounts =
      MountPlan::build(mount_policy, scratch_base + 4 + static_cast<int>(moves.size()), binary_fd);
  if (!mounts) return std::move(mounts).error();

  // stockade-init BINARY_FD CHANNEL_FD REPORT_FD CPU_BUDGET_MS CPUS
  // PLUGIN_ARGV... (the fd numbers arrange_fds gives them). The budget is
  // init's to keep unless a cgroup accounts the CPU: decided once the v1
  // groups exist, before the child is released (kInitBudgetArg below).
  const unsigned cpus = usable_cpus(set_affinity, affinity);
  std::vector<std::string> argv_strings = {"stockade-init", std::to_string(scratch_base + 1),
                                           std::to_string(scratch_base),
                                           std::to_string(scratch_base + 3),
                                           std::to_string(policy.limits.cpu_seconds * 1000),
                                           std::to_string(cpus)};
  argv_strings.insert(argv_strings.end(), policy.argv.begin(), policy.argv.end());
  if (policy.argv.empty()) argv_strings.push_back(default_argv0);
  std::vector<char*> argv = c_strings(argv_strings);
  std::vector<char*> envp = c_strings(policy.env);

  ChildPlan plan;
  plan.channel_fd = child_end.get();
  plan.binary_fd = binary_fd;
  plan.init_fd = *init_fd;
  plan.report_fd = report->fd();
  plan.init_argv = argv.data();
  plan.envp = envp.data();
  plan.root_mount_point = kNewRootMountPoint;
  plan.root_tmpfs_options = "size=1m,nr_inodes=4096,mode=0755";
  plan.mounts = mounts->ops();
  plan.mount_count = mounts->count();
  plan.binary_inside_path = mounts->binary_inside_path();
  plan.hostname = policy.hostname.c_str();
  plan.hostname_length = static_cast<int>(policy.hostname.size());
  plan.cwd = policy.cwd.c_str();
  const IdMapping ids = id_mapping_for(policy);
  plan.set_groups = !ids.deny_setgroups;
  plan.inner_uid = ids.inner_uid;
  plan.inner_gid = ids.inner_gid;
  plan.fd_moves = moves.data();
  plan.fd_move_count = static_cast<int>(moves.size());
  plan.fd_scratch_base = scratch_base;
  for (int slot = 0; slot < 3; ++slot) {
    plan.stdio_to_dev_null[slot] =
        std::none_of(moves.begin(), moves.end(), [&](const FdMove& m) { return m.to == slot; });
  }
  plan.last_capability = last_capability();
  plan.landlock = landlock;
  plan.seccomp_program = (*program)->program();

  auto stack = ChildStack::allocate();
  if (!stack) return std::move(stack).error();
  state->timings.prepare_us = micros_since(start) - state->timings.cgroup_us;

  // Network::none: a spare namespace made ahead (sandbox/spare_netns.h says
  // why), entered by this thread for the clone only; else CLONE_NEWNET.
  UniqueFd spare_netns;
  UniqueFd own_netns;
  if (policy.network == Network::none) {
    spare_netns = take_spare_netns();
    if (spare_netns) {
      own_netns.reset(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
      if (!own_netns) spare_netns.reset();
    }
  }
  int pidfd = -1;
  clone_args args{};
  args.flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS |
               CLONE_NEWCGROUP | CLONE_PIDFD;
  if (policy.network == Network::none && !spare_netns) args.flags |= CLONE_NEWNET;
  if (state->cgroup.clone_into_fd() >= 0) {
    args.flags |= CLONE_INTO_CGROUP;
    args.cgroup = static_cast<uint64_t>(state->cgroup.clone_into_fd());
  }
  args.pidfd = reinterpret_cast<uint64_t>(&pidfd);
  args.exit_signal = SIGCHLD;
  args.stack = reinterpret_cast<uint64_t>(stack->base());
  args.stack_size = kChildStackSize;

  // The child starts with every signal blocked (our handlers must never run
  // in it); it resets the handlers and unblocks just before exec.
  const auto clone_start = Clock::now();
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  if (spare_netns && setns(spare_netns.get(), CLONE_NEWNET) != 0) {
    // Not entered: this thread is still in its own namespace.
    spare_netns.reset();
    args.flags |= CLONE_NEWNET;
  }
  long pid = clone3_run(&args, run_child, &plan, clone3_can_share_memory());
  // Back at once, whatever the clone did: nothing else of ours may run in
  // the sandbox's namespace. Entering our own namespace again cannot fail
  // short of a kernel bug, and staying would cut the host off its network.
  if (spare_netns && setns(own_netns.get(), CLONE_NEWNET) != 0) {
    static const char kMessage[] =
        "stockade: cannot return to the supervisor's network namespace after a launch\n";
    (void)!write(2, kMessage, sizeof(kMessage) - 1);
    std::abort();
  }
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  if (pid < 0) return sys_error("sandbox step clone3", {}, static_cast<int>(-pid));
  state->pid = static_cast<pid_t>(pid);
  state->pidfd.reset(pidfd);
  child_end.reset();
  report->close_fd();
  state->report = std::move(*report);
  state->timings.clone_us = micros_since(clone_start);
  // Until exec the child runs on `stack` and reads `plan`, `argv`, `mounts`:
  // every error path from here kills and reaps it before they go away.
  auto abandon = [&](Error error) {
    state->kill_all();
    state->reap(true);
    return error;
  };

  const auto maps_start = Clock::now();
  if (auto s = write_id_maps(state->pid, ids); !s) return abandon(std::move(s).error());
  const char go = 'G';
  if (retry_on_eintr([&] { return send(channel.get(), &go, 1, MSG_NOSIGNAL); }) != 1)
    return abandon(sys_error("sandbox step sync (releasing the child)"));
  state->timings.maps_us = micros_since(maps_start);

  // The child is building its root now. Beside it: the verifier (hashing),
  // then the v1 cgroups and, with them known, the rlimits.
  if (before_exec) {
    const auto verify_start = Clock::now();
    if (auto s = before_exec(); !s) return abandon(std::move(s).error());
    state->timings.verify_us = micros_since(verify_start);
  }
  const auto v1_start = Clock::now();
  if (auto s = state->cgroup.add_v1(limits, cpu_quota); !s) return abandon(std::move(s).error());
  state->timings.cgroup_us += micros_since(v1_start);
  applied.cgroup = state->cgroup.summary();
  if (state->cgroup.cpu_accounted()) {
    // Ours to check (cpu_check_due): init keeps no account of its own. The
    // child reads argv only at its exec, after release_child's fence.
    constexpr size_t kInitBudgetArg = 4;
    argv_strings[kInitBudgetArg] = "0";
    argv[kInitBudgetArg] = argv_strings[kInitBudgetArg].data();
    state->cpu_budget_us = policy.limits.cpu_seconds * 1000000;
    state->cpus = cpus;
    state->next_cpu_check =
        Clock::now() + std::chrono::microseconds(state->cpu_budget_us / std::max(1u, cpus));
  }
  applied.tmp = "tmpfs size=" + std::to_string(mount_policy.tmp_bytes) +
                (state->cgroup.memory_limited()
                     ? ", its pages charged to the cgroup memory limit"
                     : ", no larger than the memory limit (no memory cgroup charges it)");
  const std::vector<ResourceLimit> rlimits = plan_rlimits(limits, state->cgroup, applied);
  if (state->cgroup.cpu_limited()) {
    applied.cpu_cores += "; " + state->cgroup.cpu_how();
  } else if (set_affinity && !cpu_quota) {
    applied.cpu_cores += " (whole cores: the affinity is the limit)";
  }
  if (rlimits.size() > std::size(plan.late.rlimits))
    return abandon(Error{Errc::internal, "too many rlimits for the child's plan", "", 0});
  std::copy(rlimits.begin(), rlimits.end(), plan.late.rlimits);
  plan.late.rlimit_count = static_cast<int>(rlimits.size());
  // We pin the child, not it itself: pinned during its setup it could be made
  // to take turns with us on our CPU (measured: stalls of 0.7 ms). Now, just
  // before it may exec, we are about to wait; stockade-init and the plugin
  // inherit the affinity, and seccomp keeps them from changing it.
  if (set_affinity && sched_setaffinity(state->pid, sizeof(affinity), &affinity) != 0)
    return abandon(sys_error("sandbox step cpu affinity"));
  if (auto s = release_child(channel.get(), state->cgroup.placement_fds()); !s)
    return abandon(std::move(s).error());
  state->cgroup.close_placement_fds();
  state->cgroup.close_clone_fd();

  const auto setup_start = Clock::now();
  const ExpectedExecs execs{!policy.allow_exec, state->pid, scratch_base + 2, scratch_base + 1};
  auto listener = await_exec(channel.get(), *mounts, execs);
  if (!listener) return abandon(std::move(listener).error());
  state->listener = std::move(*listener);
  state->timings.setup_us = micros_since(setup_start);
  return Child(std::move(state));
}

}  // namespace

Result<Child> spawn(const VerifiedBinary& binary, const Policy& policy,
                    const std::vector<FdMapping>& fds) {
  return spawn_fd(binary.fd(), binary.name(), policy, fds, nullptr);
}

Result<Child> spawn(OpenedBinary&& binary, const BinaryVerifier& verify, const Policy& policy,
                    const std::vector<FdMapping>& fds) {
  const int fd = binary.fd();
  const std::string path = binary.path();
  struct stat opened {};
  if (fd < 0 || fstat(fd, &opened) != 0) return sys_error("cannot stat the binary", path);
  std::optional<VerifiedBinary> verified;  // kept open until the child has exec'd
  auto run_verifier = [&]() -> Status {
    auto result = verify(std::move(binary));
    if (!result) return std::move(result).error();
    // The child holds a copy of `fd` from the clone: what was verified must
    // be that very open file, or the hash would vouch for other bytes.
    struct stat checked {};
    if (result->fd() != fd || fstat(result->fd(), &checked) != 0 ||
        checked.st_dev != opened.st_dev || checked.st_ino != opened.st_ino) {
      return Error{Errc::internal, "the verifier vouched for another file than the one opened",
                   path, 0};
    }
    verified.emplace(std::move(*result));
    return {};
  };
  const auto slash = path.find_last_of('/');
  const std::string argv0 = slash == std::string::npos ? path : path.substr(slash + 1);
  // Hashing starts now, beside the cgroups, the clone and the child's setup;
  // joined before the child may exec, and on every early return (after
  // `verified`, which it may fill, is declared: destroyed first).
  VerifierThread verifier(run_verifier);
  return spawn_fd(fd, argv0, policy, fds, [&] { return verifier.result(); });
}

}  // namespace stockade::sandbox
