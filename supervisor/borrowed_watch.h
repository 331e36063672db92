// A readiness watch on the event loop over a descriptor someone else owns
// (the sandbox::Child's pidfd and seccomp listener): Asio's descriptor would
// close what it holds, so this releases it instead. Watching the owner's
// descriptor, not a dup() of it, saves two descriptors per plugin (issue 13:
// 10,000 plugins on one host). The owner must outlive the watch or release()
// it first; when the owner closes the descriptor itself (a listener that hung
// up), release() at once, in the same handler, before the number can be
// handed out again to anything this loop watches. Internal to the runtime.
#pragma once

#include <optional>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

namespace stockade::supervisor {

class BorrowedWatch {
 public:
  BorrowedWatch() = default;
  BorrowedWatch(const BorrowedWatch&) = delete;
  BorrowedWatch& operator=(const BorrowedWatch&) = delete;
  ~BorrowedWatch() { release(); }

  // Watches `fd` from now on (releasing any earlier one); false if fd < 0.
  bool watch(boost::asio::io_context& io, int fd) {
    release();
    if (fd < 0) return false;
    descriptor_.emplace(io, fd);
    fd_ = fd;
    return true;
  }
  // Deregisters the descriptor (a pending wait ends with operation_aborted)
  // and leaves it open, to its owner.
  void release() {
    if (!descriptor_) return;
    if (descriptor_->is_open()) (void)descriptor_->release();
    descriptor_.reset();
    fd_ = -1;
  }
  int fd() const { return fd_; }
  explicit operator bool() const { return descriptor_.has_value(); }
  boost::asio::posix::stream_descriptor* operator->() { return &*descriptor_; }

 private:
  std::optional<boost::asio::posix::stream_descriptor> descriptor_;
  int fd_ = -1;  // descriptor_'s, kept here: Asio's native_handle() is not const
};

}  // namespace stockade::supervisor
