#include "supervisor/exit_kind.h"

namespace stockade::supervisor {

const char* exit_kind_name(ExitKind kind) {
  switch (kind) {
    case ExitKind::exited: return "exited";
    case ExitKind::crashed: return "crashed";
    case ExitKind::seccomp_violation: return "seccomp_violation";
    case ExitKind::memory_limit: return "memory_limit";
    case ExitKind::cpu_limit: return "cpu_limit";
    case ExitKind::file_size_limit: return "file_size_limit";
    case ExitKind::killed_by_supervisor: return "killed_by_supervisor";
    case ExitKind::handshake_failed: return "handshake_failed";
  }
  return "crashed";
}

ExitKind exit_kind_of(const sandbox::ExitStatus& status, const EndContext& context) {
  using Kind = sandbox::ExitStatus::Kind;
  // A limit or the filter is named whoever else was acting: that is the
  // cause an operator has to see (and the counters metrics keep by kind).
  switch (status.kind) {
    case Kind::seccomp_violation: return ExitKind::seccomp_violation;
    case Kind::memory_limit: return ExitKind::memory_limit;
    case Kind::cpu_limit: return ExitKind::cpu_limit;
    case Kind::file_size_limit: return ExitKind::file_size_limit;
    case Kind::exited:
      // Gone before Hello is the handshake's failure, whatever the status.
      if (context.asked_to_close) return ExitKind::exited;
      if (context.handshaking) return ExitKind::handshake_failed;
      return status.code == 0 ? ExitKind::exited : ExitKind::crashed;
    case Kind::signaled:
    case Kind::killed:
      break;
  }
  // Our kill during the handshake is the handshake's failure (timeout,
  // refusal, garbage instead of Hello); a kill we did not make is a crash
  // (the OOM killer without a cgroup, a kill from outside the sandbox).
  if (context.killed_by_us) {
    return context.handshaking && !context.asked_to_close ? ExitKind::handshake_failed
                                                          : ExitKind::killed_by_supervisor;
  }
  if (context.asked_to_close && status.kind == Kind::signaled) return ExitKind::killed_by_supervisor;
  return context.handshaking ? ExitKind::handshake_failed : ExitKind::crashed;
}

}  // namespace stockade::supervisor
