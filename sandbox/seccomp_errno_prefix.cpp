#include "sandbox/seccomp_errno_prefix.h"

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <stdexcept>

namespace stockade::sandbox {
namespace {

#if defined(__x86_64__)
constexpr uint32_t kNativeArch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
constexpr uint32_t kNativeArch = AUDIT_ARCH_AARCH64;
#else
constexpr uint32_t kNativeArch = 0;
#endif

#ifndef F_OFD_SETLK
constexpr uint32_t F_OFD_SETLK = 37;
constexpr uint32_t F_OFD_SETLKW = 38;
#endif
#ifndef F_SETLEASE
constexpr uint32_t F_SETLEASE = 1024;
#endif

// Offset of the low 32 bits of argument `index` in seccomp_data.
constexpr uint32_t low_word(int index) {
  return static_cast<uint32_t>(offsetof(seccomp_data, args) + 8 * index +
                               (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? 0 : 4));
}

// One exception: syscall `nr`, optionally a first argument equal to
// `match_value`, and argument `arg` one of `values` → errno `error`.
struct Exception {
  int nr;
  int match_arg;  // -1: none
  uint32_t match_value;
  int arg;
  std::initializer_list<uint32_t> values;
  int error;
};

// A tiny assembler: jump targets are labels resolved once the size is known.
class Assembler {
 public:
  static constexpr int kEnd = -1;  // the first instruction after the prefix

  int here() const { return static_cast<int>(code_.size()); }
  void load(uint32_t offset) { emit(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offset), 0, 0); }
  void ret(uint32_t value) { emit(BPF_STMT(BPF_RET | BPF_K, value), 0, 0); }
  // Jumps to `on_true` / `on_false` (instruction indices or kEnd); an index
  // not yet emitted is fine: fixed up in finish().
  void jump_eq(uint32_t value, int on_true, int on_false) {
    emit(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, value, 0, 0), on_true, on_false);
  }
  std::vector<sock_filter> finish() {
    const int end = here();
    for (size_t i = 0; i < code_.size(); ++i) {
      if (BPF_CLASS(code_[i].code) != BPF_JMP) continue;
      code_[i].jt = offset(static_cast<int>(i), targets_[i].first, end);
      code_[i].jf = offset(static_cast<int>(i), targets_[i].second, end);
    }
    return code_;
  }

 private:
  void emit(sock_filter insn, int on_true, int on_false) {
    code_.push_back(insn);
    targets_.emplace_back(on_true, on_false);
  }
  static uint8_t offset(int from, int target, int end) {
    const int to = target == kEnd ? end : target;
    const int distance = to - from - 1;
    if (distance < 0 || distance > 255) throw std::logic_error("seccomp prefix jump out of range");
    return static_cast<uint8_t>(distance);
  }
  std::vector<sock_filter> code_;
  std::vector<std::pair<int, int>> targets_;
};

}  // namespace

std::vector<sock_filter> seccomp_errno_prefix() {
  if (kNativeArch == 0) return {};
  const Exception exceptions[] = {
      // Socket buffers are kernel memory no rlimit counts: without a cgroup
      // a sandbox raised them to hold 204 MiB under a 16 MiB limit (issue 8).
      // The FORCE forms need CAP_NET_ADMIN, which the plugin never has; they
      // are listed so that no capability change can open them.
      {SYS_setsockopt, 1, SOL_SOCKET, 2,
       {SO_SNDBUF, SO_RCVBUF, SO_SNDBUFFORCE, SO_RCVBUFFORCE}, EPERM},
      // Locks and leases on read-only bound host files blocked host writers;
      // seccomp cannot tell a host file from a /tmp one, so all are refused
      // (F_GETLK and F_OFD_GETLK stay allowed: they only ask).
      {SYS_fcntl, -1, 0, 1,
       {F_SETLK, F_SETLKW, static_cast<uint32_t>(F_OFD_SETLK),
        static_cast<uint32_t>(F_OFD_SETLKW), static_cast<uint32_t>(F_SETLEASE)},
       ENOLCK},
  };
  Assembler bpf;
  bpf.load(offsetof(seccomp_data, arch));
  bpf.jump_eq(kNativeArch, bpf.here() + 1, Assembler::kEnd);
  bpf.load(offsetof(seccomp_data, nr));
  constexpr size_t kCount = sizeof(exceptions) / sizeof(exceptions[0]);
  for (size_t i = 0; i < kCount; ++i) {
    const Exception& e = exceptions[i];
    const int start = bpf.here();
    const int length = 1 + (e.match_arg >= 0 ? 2 : 0) + 1 + static_cast<int>(e.values.size()) + 1;
    const int next_block = i + 1 < kCount ? start + length : Assembler::kEnd;
    const int ret_at = start + length - 1;
    // Only this first test runs with nr in the accumulator: a mismatch moves
    // on to the next block, which tests nr again. Once an argument is
    // loaded, every mismatch leaves the prefix (libseccomp's program starts
    // by loading what it needs).
    bpf.jump_eq(static_cast<uint32_t>(e.nr), start + 1, next_block);
    if (e.match_arg >= 0) {
      bpf.load(low_word(e.match_arg));
      bpf.jump_eq(e.match_value, bpf.here() + 1, Assembler::kEnd);
    }
    bpf.load(low_word(e.arg));
    size_t left = e.values.size();
    for (uint32_t value : e.values) {
      --left;
      bpf.jump_eq(value, ret_at, left > 0 ? bpf.here() + 1 : Assembler::kEnd);
    }
    bpf.ret(SECCOMP_RET_ERRNO | (static_cast<uint32_t>(e.error) & SECCOMP_RET_DATA));
  }
  return bpf.finish();
}

}  // namespace stockade::sandbox
