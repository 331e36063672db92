#include "cli/stdio_relay.h"
#include "base/error.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>

#include "base/syscall.h"
#include "base/unique_fd.h"
#include "cli/terminal_text.h"

namespace stockade::supervisor {
namespace {

// Bytes moved per read: bounds each copier's memory (plus at most four
// times this once escaped).
constexpr size_t kChunk = 64 * 1024;

// Sent to a copier blocked in read() or write() on a host descriptor to make
// the call return EINTR. The handler does nothing and has no SA_RESTART; the
// signal's default action is to be ignored, so a stray one is harmless.
constexpr int kWakeSignal = SIGURG;

void on_wake(int) {}

Status install_wake_handler() {
  static std::once_flag once;
  static int result = 0;
  std::call_once(once, [] {
    struct sigaction action {};
    action.sa_handler = on_wake;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;  // no SA_RESTART: a blocked call must return
    result = ::sigaction(kWakeSignal, &action, nullptr) == 0 ? 0 : errno;
  });
  if (result != 0) return sys_error("cannot install the copiers' wake-up handler", "sigaction", result);
  return {};
}

bool is_open(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

// fd 1 and fd 2 are the same file opened the same way (2>&1, a terminal
// session): one pipe keeps the order in which the program wrote them.
bool same_destination(int a, int b) {
  struct stat sa {}, sb {};
  if (::fstat(a, &sa) != 0 || ::fstat(b, &sb) != 0) return false;
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino && sa.st_rdev == sb.st_rdev &&
         ::fcntl(a, F_GETFL) == ::fcntl(b, F_GETFL);
}

Result<std::pair<UniqueFd, UniqueFd>> make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return sys_error("cannot create a pipe for the sandbox's stdio", "pipe2");
  return std::pair{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

}  // namespace

// One direction of one stream, on a thread of its own. Inward: host fd →
// `pipe_` (the write end the sandbox reads). Outward: `pipe_` (the read end
// the sandbox writes) → host fd, or nowhere when the host's fd is closed.
class StdioRelay::Copier {
 public:
  enum class Direction { inward, outward };

  Copier(Direction direction, UniqueFd pipe, int host_fd)
      : direction_(direction), pipe_(std::move(pipe)), host_fd_(host_fd),
        escape_(direction == Direction::outward && host_fd >= 0 && ::isatty(host_fd) == 1) {}

  ~Copier() { abandon(); }

  Status start() {
    try {
      thread_ = std::thread([this] { run(); });
    } catch (const std::system_error& e) {
      mark_done();
      return Error{Errc::io, std::string("cannot start a stdio copier thread: ") + e.what(), "pthread_create"};
    }
    return {};
  }

  // Waits for the copier to finish by itself until `deadline`.
  bool wait_until(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    return done_changed_.wait_until(lock, deadline, [this] { return done_; });
  }

  // Makes it stop where it is (a blocked call returns EINTR), and joins it.
  void abandon() {
    stop_.store(true);
    if (!thread_.joinable()) return;
    // Repeated: a signal that lands just before the thread enters a
    // blocking call is lost, the next one is not.
    while (!wait_until(std::chrono::steady_clock::now() + std::chrono::milliseconds(10))) {
      ::pthread_kill(thread_.native_handle(), kWakeSignal);
    }
    thread_.join();
  }

  bool finished_whole() const { return whole_.load(); }
  bool escapes() const { return escape_; }
  bool at_line_start() const { return at_line_start_.load(); }

 private:
  void mark_done() {
    std::lock_guard lock(mutex_);
    done_ = true;
    done_changed_.notify_all();
  }

  // Writes all of `bytes`; false when the destination failed or we were
  // told to stop.
  bool write_all(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::write(fd, bytes.data(), bytes.size());
      if (n < 0 && errno == EINTR) {
        if (stop_.load()) return false;
        continue;
      }
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  void run() {
    std::string buffer(kChunk, '\0');
    std::string escaped;
    TerminalEscaper escaper;
    const int from = direction_ == Direction::inward ? host_fd_ : pipe_.get();
    const int to = direction_ == Direction::inward ? pipe_.get() : host_fd_;
    bool delivering = to >= 0;
    bool ended = false;  // EOF from the source
    while (!stop_.load()) {
      ssize_t n = ::read(from, buffer.data(), buffer.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {  // EOF, or an error (EIO from a terminal we lost): the end
        ended = n == 0;
        break;
      }
      if (!delivering) continue;  // the host's fd is closed or gone: drop
      std::string_view chunk(buffer.data(), static_cast<size_t>(n));
      if (escape_) {
        escaped.clear();
        escaper.feed(chunk, escaped);
        chunk = escaped;
      }
      if (!write_all(to, chunk)) {
        if (stop_.load()) break;
        // The reader went away (EPIPE) or the file refuses (ENOSPC): the
        // program's further writes to this stream fail too, as they would
        // without us (its pipe's read end closes below).
        delivering = false;
        if (direction_ == Direction::inward) break;
        pipe_.reset();
        break;
      }
      if (!chunk.empty()) at_line_start_.store(chunk.back() == '\n');
    }
    if (escape_ && delivering && !stop_.load()) {
      escaped.clear();
      escaper.finish(escaped);
      if (write_all(to, escaped) && !escaped.empty()) at_line_start_.store(escaped.back() == '\n');
    }
    whole_.store(direction_ == Direction::inward || ended || !delivering);
    // Inward: the program sees EOF on its stdin.
    if (direction_ == Direction::inward) pipe_.reset();
    mark_done();
  }

  const Direction direction_;
  UniqueFd pipe_;
  const int host_fd_;
  const bool escape_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> whole_{false};
  std::atomic<bool> at_line_start_{true};
  std::mutex mutex_;
  std::condition_variable done_changed_;
  bool done_ = false;
  std::thread thread_;
};

struct StdioRelay::Parts {
  // The sandbox's ends until start(); [1] and [2] may be one pipe.
  UniqueFd child_in, child_out, child_err;
  bool shared_output = false;
  std::unique_ptr<Copier> in, out, err;  // err is null when shared with out
};

StdioRelay::StdioRelay() : parts_(std::make_unique<Parts>()) {}

StdioRelay::~StdioRelay() { finish(std::chrono::milliseconds(0)); }

Result<std::unique_ptr<StdioRelay>> StdioRelay::create() {
  if (auto installed = install_wake_handler(); !installed) return installed.error();
  std::unique_ptr<StdioRelay> relay(new StdioRelay());
  Parts& p = *relay->parts_;
  using Direction = Copier::Direction;

  auto in = make_pipe();
  if (!in) return in.error();
  p.child_in = std::move(in->first);
  // A closed stdin: the write end closes at once, the program reads EOF.
  p.in = std::make_unique<Copier>(Direction::inward, std::move(in->second), is_open(0) ? 0 : -1);

  auto out = make_pipe();
  if (!out) return out.error();
  p.child_out = std::move(out->second);
  p.out = std::make_unique<Copier>(Direction::outward, std::move(out->first), is_open(1) ? 1 : -1);

  p.shared_output = is_open(1) && is_open(2) && same_destination(1, 2);
  if (!p.shared_output) {
    auto err = make_pipe();
    if (!err) return err.error();
    p.child_err = std::move(err->second);
    p.err = std::make_unique<Copier>(Direction::outward, std::move(err->first), is_open(2) ? 2 : -1);
  }
  return relay;
}

std::vector<sandbox::FdMapping> StdioRelay::child_fds() const {
  const Parts& p = *parts_;
  const int err = p.shared_output ? p.child_out.get() : p.child_err.get();
  return {{p.child_in.get(), 0}, {p.child_out.get(), 1}, {err, 2}};
}

Status StdioRelay::start() {
  Parts& p = *parts_;
  p.child_in.reset();
  p.child_out.reset();
  p.child_err.reset();
  for (Copier* c : {p.in.get(), p.out.get(), p.err.get()}) {
    if (c == nullptr) continue;
    if (auto started = c->start(); !started) return started;
  }
  return {};
}

bool StdioRelay::finish(std::chrono::milliseconds drain) {
  Parts& p = *parts_;
  // Whatever stdin still had is no longer anyone's to read.
  if (p.in) p.in->abandon();
  const auto deadline = std::chrono::steady_clock::now() + drain;
  bool whole = true;
  for (Copier* c : {p.out.get(), p.err.get()}) {
    if (c == nullptr) continue;
    c->wait_until(deadline);
    c->abandon();
    whole = whole && c->finished_whole();
  }
  return whole;
}

bool StdioRelay::stderr_is_terminal() const { return ::isatty(2) == 1; }

bool StdioRelay::stderr_at_line_start() const {
  const Copier* c = parts_->shared_output ? parts_->out.get() : parts_->err.get();
  return c == nullptr || c->at_line_start();
}

}  // namespace stockade::supervisor
