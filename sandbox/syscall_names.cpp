#include "sandbox/syscall_names.h"

#include <linux/audit.h>
#include <seccomp.h>

#include <cstdlib>
#include <memory>

namespace stockade::sandbox {
namespace {

struct NamedSyscall {
  int nr;
  std::string_view name;
};

// Checked against the kernel's arch/x86/entry/syscalls/syscall_64.tbl and
// scripts/syscall.tbl (the generic table aarch64 uses), not against memory.
// Since 6.x every new syscall has the same number on both ("common"), except
// x86_64's uprobe helpers. Numbers libseccomp 2.5.4 already knows (up to
// futex_requeue, 456, in Debian's build) are repeated so that another
// libseccomp build cannot turn them back into numbers.
constexpr NamedSyscall kCommonNew[] = {
    {451, "cachestat"},          // 6.5
    {452, "fchmodat2"},          // 6.6
    {453, "map_shadow_stack"},   // 6.6
    {454, "futex_wake"},         // 6.7
    {455, "futex_wait"},         // 6.7
    {456, "futex_requeue"},      // 6.7
    {457, "statmount"},          // 6.8
    {458, "listmount"},          // 6.8
    {459, "lsm_get_self_attr"},  // 6.8
    {460, "lsm_set_self_attr"},  // 6.8
    {461, "lsm_list_modules"},   // 6.8
    {462, "mseal"},              // 6.10
    {463, "setxattrat"},         // 6.13
    {464, "getxattrat"},         // 6.13
    {465, "listxattrat"},        // 6.13
    {466, "removexattrat"},      // 6.13
    {467, "open_tree_attr"},     // 6.15
    {468, "file_getattr"},       // 6.17
    {469, "file_setattr"},       // 6.17
    {470, "listns"},             // 6.19
};

constexpr NamedSyscall kX86_64Only[] = {
    {335, "uretprobe"},  // 6.11
    {336, "uprobe"},     // 6.16
};

std::string_view table_name(uint32_t arch, int nr) {
  if (arch == AUDIT_ARCH_X86_64) {
    for (const auto& entry : kX86_64Only)
      if (entry.nr == nr) return entry.name;
  }
  if (arch == AUDIT_ARCH_X86_64 || arch == AUDIT_ARCH_AARCH64) {
    for (const auto& entry : kCommonNew)
      if (entry.nr == nr) return entry.name;
  }
  return {};
}

uint32_t native_arch() {
#if defined(__x86_64__)
  return AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
  return AUDIT_ARCH_AARCH64;
#else
  return 0;  // libseccomp alone
#endif
}

struct FreeDeleter {
  void operator()(char* p) const { std::free(p); }
};

}  // namespace

std::string syscall_name(uint32_t arch, int nr) {
  std::unique_ptr<char, FreeDeleter> known(seccomp_syscall_resolve_num_arch(arch, nr));
  if (known) return std::string(known.get());
  if (auto name = table_name(arch, nr); !name.empty()) return std::string(name);
  return "#" + std::to_string(nr);
}

int syscall_number(std::string_view name) {
  const std::string text(name);
  int nr = seccomp_syscall_resolve_name(text.c_str());
  if (nr >= 0) return nr;
  const uint32_t arch = native_arch();
  if (arch == AUDIT_ARCH_X86_64) {
    for (const auto& entry : kX86_64Only)
      if (entry.name == name) return entry.nr;
  }
  if (arch == AUDIT_ARCH_X86_64 || arch == AUDIT_ARCH_AARCH64) {
    for (const auto& entry : kCommonNew)
      if (entry.name == name) return entry.nr;
  }
  return -1;
}

}  // namespace stockade::sandbox
