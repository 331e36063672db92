// The observer's kind of end (supervisor/exit_kind.h): the sandbox's
// classification first, then what the supervisor was doing.
#include <gtest/gtest.h>
#include <signal.h>

#include "supervisor/exit_kind.h"

namespace stockade::supervisor {
namespace {

using Kind = sandbox::ExitStatus::Kind;

sandbox::ExitStatus end(Kind kind, int code = 0, int signal = 0) {
  sandbox::ExitStatus status;
  status.kind = kind;
  status.code = code;
  status.signal = signal;
  return status;
}

TEST(ExitKind, LimitsAndTheFilterAreNamedWhoeverElseActed) {
  const EndContext all{.killed_by_us = true, .asked_to_close = true, .handshaking = true};
  EXPECT_EQ(exit_kind_of(end(Kind::seccomp_violation), all), ExitKind::seccomp_violation);
  EXPECT_EQ(exit_kind_of(end(Kind::memory_limit, 0, SIGKILL), all), ExitKind::memory_limit);
  EXPECT_EQ(exit_kind_of(end(Kind::cpu_limit, 0, SIGKILL), {}), ExitKind::cpu_limit);
  EXPECT_EQ(exit_kind_of(end(Kind::file_size_limit, 0, SIGXFSZ), {}), ExitKind::file_size_limit);
}

TEST(ExitKind, ExitsSignalsAndKills) {
  EXPECT_EQ(exit_kind_of(end(Kind::exited, 0), {}), ExitKind::exited);
  EXPECT_EQ(exit_kind_of(end(Kind::exited, 3), {}), ExitKind::crashed);
  EXPECT_EQ(exit_kind_of(end(Kind::exited, 3), {.asked_to_close = true}), ExitKind::exited);
  EXPECT_EQ(exit_kind_of(end(Kind::exited, 0), {.handshaking = true}), ExitKind::handshake_failed);
  EXPECT_EQ(exit_kind_of(end(Kind::signaled, 0, SIGSEGV), {}), ExitKind::crashed);
  EXPECT_EQ(exit_kind_of(end(Kind::signaled, 0, SIGTERM), {.asked_to_close = true}),
            ExitKind::killed_by_supervisor);
  EXPECT_EQ(exit_kind_of(end(Kind::killed, 0, SIGKILL), {.killed_by_us = true}), ExitKind::killed_by_supervisor);
  // Our kill of a silent handshake is the handshake's failure; a kill
  // nobody here made is a crash.
  EXPECT_EQ(exit_kind_of(end(Kind::killed, 0, SIGKILL), {.killed_by_us = true, .handshaking = true}),
            ExitKind::handshake_failed);
  EXPECT_EQ(exit_kind_of(end(Kind::killed, 0, SIGKILL), {}), ExitKind::crashed);
  EXPECT_STREQ(exit_kind_name(ExitKind::seccomp_violation), "seccomp_violation");
}

}  // namespace
}  // namespace stockade::supervisor
