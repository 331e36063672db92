#include <string.h>

#include <csignal>
#include <string>

#include "sandbox/child_plan.h"
#include "sandbox/sandbox.h"

namespace stockade::sandbox {
namespace {

std::string signal_name(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  return abbrev != nullptr ? "SIG" + std::string(abbrev) : "signal " + std::to_string(sig);
}

// What would have allowed a violation the default profile makes on purpose
// (seccomp_policy.h), so that the operator is not left guessing.
std::string violation_hint(const std::string& syscall) {
  if (syscall == "execve" || syscall == "execveat")
    return " (only the pinned binary may run: sandbox.allow_exec would allow it)";
  if (syscall == "mmap" || syscall == "mprotect")
    return " with these arguments (memory writable and executable, or anonymous executable "
           "memory: sandbox.allow_jit would allow it)";
  return "";
}

}  // namespace

int ExitStatus::shell_code() const {
  if (kind == Kind::exited) return code;
  return 128 + (signal != 0 ? signal : SIGKILL);
}

std::string ExitStatus::describe() const {
  switch (kind) {
    case Kind::exited:
      return "exited with code " + std::to_string(code);
    case Kind::signaled:
      return "killed by " + signal_name(signal);
    case Kind::seccomp_violation:
      return "seccomp violation: " + (syscall.empty() ? std::string("unknown syscall") : syscall) +
             " is not allowed" + violation_hint(syscall) + "; the sandbox was killed";
    case Kind::memory_limit:
      return "killed by the memory limit (cgroup OOM)";
    case Kind::cpu_limit:
      if (cpu_used_ms > 0) {
        return "killed by the CPU time limit (" + signal_name(signal) + ", " +
               std::to_string(cpu_used_ms / 1000) + "." + std::to_string(cpu_used_ms % 1000 / 100) +
               " s of CPU used by the whole sandbox)";
      }
      return "killed by the CPU time limit (" + signal_name(signal) + ")";
    case Kind::file_size_limit:
      return "killed by the file size limit (SIGXFSZ)";
    case Kind::killed:
      return "killed by the supervisor";
  }
  return "ended";
}

std::string AppliedLimits::describe() const {
  return "cgroup: " + cgroup + "; memory: " + memory + "; cpu time: " + cpu_time +
         "; cpu cores: " + cpu_cores + "; processes: " + processes + "; open files: " +
         open_files + "; file size: " + file_size + "; /tmp: " + tmp + "; landlock: " + landlock +
         "; network: " + network;
}

const char* step_name(Step step) {
  switch (step) {
    case Step::setsid: return "setsid";
    case Step::mount_private: return "mount private";
    case Step::mount_root: return "mount tmpfs root";
    case Step::mount_op: return "mount";
    case Step::pivot_root: return "pivot_root";
    case Step::detach_old_root: return "detach old root";
    case Step::remount_root_ro: return "remount root read-only";
    case Step::hostname: return "sethostname";
    case Step::chdir: return "chdir";
    case Step::credentials: return "setuid/setgid";
    case Step::pdeathsig: return "parent-death signal";
    case Step::exec_grant: return "waiting for the supervisor's go-ahead";
    case Step::cgroup: return "joining the v1 cgroups";
    case Step::rlimit: return "rlimit";
    case Step::fds: return "close_range";
    case Step::no_new_privs: return "no_new_privs";
    case Step::capabilities: return "capabilities";
    case Step::landlock: return "landlock";
    case Step::seccomp: return "seccomp";
    case Step::send_listener: return "seccomp listener hand-over";
    case Step::exec_init: return "execveat of stockade-init";
    case Step::init_setup: return "stockade-init setup";
    case Step::start_plugin: return "stockade-init's fork of the plugin";
    case Step::execveat: return "execveat";
  }
  return "unknown";
}

}  // namespace stockade::sandbox
