#include "sandbox/verifier_thread.h"

#include <sched.h>
#include <signal.h>

#include <utility>

namespace stockade::sandbox {
namespace {

// One allowed CPU that is not the one we run on; false when there is none.
bool other_cpu(cpu_set_t& out) {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0) return false;
  const int here = sched_getcpu();
  CPU_ZERO(&out);
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &allowed) && cpu != here) {
      CPU_SET(cpu, &out);
      return true;
    }
  }
  return false;
}

}  // namespace

VerifierThread::VerifierThread(std::function<Status()> work) : work_(std::move(work)) {
  cpu_set_t cpu;
  if (!other_cpu(cpu)) return;
  pthread_attr_t attr;
  if (pthread_attr_init(&attr) != 0) return;
  // Pinned before it starts, so it is never queued behind us on our CPU.
  const bool pinned = pthread_attr_setaffinity_np(&attr, sizeof(cpu), &cpu) == 0;
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  started_ = pinned && pthread_create(&thread_, &attr, &VerifierThread::run, this) == 0;
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  pthread_attr_destroy(&attr);
}

VerifierThread::~VerifierThread() {
  if (started_) pthread_join(thread_, nullptr);
}

void* VerifierThread::run(void* self) {
  auto* verifier = static_cast<VerifierThread*>(self);
  verifier->status_ = verifier->work_();
  return nullptr;
}

Status VerifierThread::result() {
  if (started_) {
    pthread_join(thread_, nullptr);
    started_ = false;
    return std::move(status_);
  }
  return work_();
}

}  // namespace stockade::sandbox
