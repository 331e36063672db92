// Large payloads in sealed memfds (PROTOCOL.md, "Large payloads"): the
// sender writes the payload into a memfd and seals it against any change;
// the receiver checks the seals, the file system and the size before it maps
// a byte, so a hostile sender can neither change the bytes under the reader
// nor shrink the file into a SIGBUS.
#pragma once

#include <cstdint>
#include <span>

#include "base/unique_fd.h"
#include "stockade/result.h"

namespace stockade {

// A new memfd holding `bytes`, sealed against writes, growth, shrinking and
// further seals. The kernel copies the bytes once (write(2)).
Result<UniqueFd> make_payload_memfd(std::span<const std::uint8_t> bytes);

// A read-only view of a peer's payload memfd. Refuses (Errc::protocol, the
// message says what is wrong) anything but a regular file of the kernel's
// shmem (a memfd: hugetlbfs would fault with SIGBUS when huge pages run out)
// sealed with F_SEAL_WRITE, F_SEAL_SHRINK and F_SEAL_GROW whose size is
// exactly `size` (1 or more) and that has no hole (a hole's page would be
// allocated, and charged, to the reader).
class MappedPayload {
 public:
  static Result<MappedPayload> map(int fd, std::uint64_t size);

  MappedPayload() = default;
  MappedPayload(MappedPayload&& other) noexcept;
  MappedPayload& operator=(MappedPayload&& other) noexcept;
  MappedPayload(const MappedPayload&) = delete;
  MappedPayload& operator=(const MappedPayload&) = delete;
  ~MappedPayload();

  std::span<const std::uint8_t> bytes() const { return {data_, size_}; }

 private:
  MappedPayload(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  void unmap();

  const std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace stockade
