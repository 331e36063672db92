#include "sdk/thread.h"
#include "base/error.h"

#include <limits.h>

#include <algorithm>
#include <utility>

namespace stockade::sdk::detail {

namespace {

void* run_body(void* arg) {
  std::unique_ptr<std::function<void()>> body(static_cast<std::function<void()>*>(arg));
  (*body)();
  return nullptr;
}

}  // namespace

Thread::Thread(Thread&& other) noexcept
    : handle_(other.handle_), started_(std::exchange(other.started_, false)) {}

Thread& Thread::operator=(Thread&& other) noexcept {
  if (this != &other) {
    join();
    handle_ = other.handle_;
    started_ = std::exchange(other.started_, false);
  }
  return *this;
}

Result<Thread> Thread::start(std::function<void()> body, std::size_t stack_bytes) {
  pthread_attr_t attr;
  if (int rc = pthread_attr_init(&attr); rc != 0) {
    return sys_error("cannot start a thread", "pthread_attr_init", rc);
  }
  const std::size_t size = std::max<std::size_t>(stack_bytes, PTHREAD_STACK_MIN);
  if (int rc = pthread_attr_setstacksize(&attr, size); rc != 0) {
    pthread_attr_destroy(&attr);
    return sys_error("cannot set a thread's stack size", "pthread_attr_setstacksize", rc);
  }
  auto owned = std::make_unique<std::function<void()>>(std::move(body));
  Thread thread;
  const int rc = pthread_create(&thread.handle_, &attr, run_body, owned.get());
  pthread_attr_destroy(&attr);
  if (rc != 0) return sys_error("cannot start a thread", "pthread_create", rc);
  owned.release();  // run_body owns it now
  thread.started_ = true;
  return thread;
}

void Thread::join() {
  if (!started_) return;
  pthread_join(handle_, nullptr);
  started_ = false;
}

}  // namespace stockade::sdk::detail
