#include "sandbox/init_binary.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <mutex>

#include "base/error.h"
#include "base/syscall.h"
#include "base/unique_fd.h"

namespace stockade::sandbox {
namespace {

const unsigned char kInitBinary[] = {
#include "stockade_init.inc"
};

#ifndef MFD_EXEC
constexpr unsigned int MFD_EXEC = 0x0010U;
#endif

Result<int> create_sealed_memfd() {
  // MFD_EXEC (6.3) keeps the memfd executable where vm.memfd_noexec would
  // otherwise make it noexec; older kernels refuse the flag (EINVAL) and
  // create executable memfds anyway.
  int fd = memfd_create("stockade-init", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  if (fd < 0 && errno == EINVAL) fd = memfd_create("stockade-init", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) return sys_error("memfd_create for stockade-init");
  UniqueFd memfd(fd);
  size_t done = 0;
  while (done < sizeof(kInitBinary)) {
    ssize_t n = retry_on_eintr(
        [&] { return write(memfd.get(), kInitBinary + done, sizeof(kInitBinary) - done); });
    if (n <= 0) return sys_error("writing stockade-init into its memfd");
    done += static_cast<size_t>(n);
  }
  if (fcntl(memfd.get(), F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) != 0)
    return sys_error("sealing stockade-init's memfd");
  return memfd.release();
}

}  // namespace

Result<int> init_binary_fd() {
  // Once per process; a failure is kept too (it would fail the same way again).
  static std::once_flag once;
  static Result<int> fd = Error{Errc::internal, "stockade-init not loaded", "", 0};
  std::call_once(once, [] { fd = create_sealed_memfd(); });
  return fd;
}

}  // namespace stockade::sandbox
