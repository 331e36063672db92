/* stockade-init: pid 1 of every sandbox's pid namespace; the plugin is its
 * child, pid 2.
 *
 * Why an init at all: the kernel drops any signal sent to a namespace's init
 * from inside the namespace when init has no handler for it, even one it
 * raises itself. A plugin as pid 1 could not die of abort() (glibc then
 * faults: SIGSEGV), ignored raise(SIGSEGV), and lost RLIMIT_CPU's SIGXCPU and
 * RLIMIT_FSIZE's SIGXFSZ.
 *
 * Why a program of its own, exec'd from a sealed memfd: the sandbox's first
 * process is cloned with CLONE_VM and shares the supervisor's memory until it
 * execs. Staying alive there as init would leave the supervisor's address
 * space reachable through /proc/1/mem; forking there would copy the
 * supervisor's page tables on every launch.
 *
 * Built freestanding (no libc, raw syscalls, no signal handlers: every signal
 * stays blocked and is taken with rt_sigtimedwait, which the kernel queues for
 * init because a blocked signal is never "ignored"). Runs under the sandbox's
 * seccomp filter and rlimits, as the plugin's uid, with no capabilities.
 *
 * argv: stockade-init BINARY_FD CHANNEL_FD REPORT_FD CPU_BUDGET_MS CPUS PLUGIN_ARGV...
 *   BINARY_FD   the verified plugin binary, exec'd with execveat
 *   CHANNEL_FD  the setup channel: a failure before the plugin's exec is
 *               written there as the supervisor's StepFailure; its close on
 *               the plugin's exec tells the supervisor the plugin runs
 *   REPORT_FD   a one-page memfd the supervisor has mapped: init maps it,
 *               closes the descriptor, and writes the plugin's wait status
 *               on the page just before it exits (sandbox/report_page.h)
 *   CPU_BUDGET_MS  the CPU time the whole sandbox may use, or 0 when the
 *               supervisor accounts it with a cgroup. Without a cgroup init
 *               is the only process that outlives (and reaps) every other,
 *               so it keeps the account: its RUSAGE_CHILDREN (every process
 *               reaped, with what they reaped) plus the live processes' own
 *               and reaped times from /proc/<pid>/stat. At the budget it
 *               reports STOCKADE_INIT_CPU_LIMIT_MAGIC and exits, which ends
 *               the namespace. Time of a child auto-reaped by a parent that
 *               ignores SIGCHLD reaches no account the kernel keeps: the
 *               residual risk the README states (per-process RLIMIT_CPU
 *               still bounds each such process).
 *   CPUS        how many CPUs the sandbox can use at once: the next check is
 *               due when the budget could be spent at full speed on all.
 */
#include <linux/prctl.h>
#include <linux/sched.h>
#include <linux/signal.h>
#include <linux/wait.h>
#include <asm/unistd.h>

#include "sandbox/init/init_report.h"

/* Kernel ABI values libc's headers would give (asm-generic/fcntl.h,
 * linux/fcntl.h, asm-generic/errno-base.h). */
#define F_SETFD_CMD 2
#define AT_EMPTY_PATH_FLAG 0x1000
#define O_RDONLY_FLAG 0
#define O_DIRECTORY_FLAG 0200000
#define O_CLOEXEC_FLAG 02000000
#define RUSAGE_CHILDREN_WHO (-1)
#define SI_USER_CODE 0
#define PROT_READ_WRITE 3
#define MAP_SHARED_FLAG 1
#define MADV_DONTFORK_ADVICE 10
#define PAGE_BYTES 4096
/* /proc/<pid>/stat counts in USER_HZ, 100 on every Linux ABI. */
#define TICK_MS 10
/* Never check more often than the kernel's own accounting moves. */
#define MIN_CHECK_MS 10

#if defined(__x86_64__)
static long sys6(long nr, long a, long b, long c, long d, long e, long f) {
  long ret;
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  register long r9 __asm__("r9") = f;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return ret;
}
__asm__(".text\n.global _start\n_start:\n xor %rbp,%rbp\n mov %rsp,%rdi\n and $-16,%rsp\n"
        " call init_main\n hlt\n");
#elif defined(__aarch64__)
static long sys6(long nr, long a, long b, long c, long d, long e, long f) {
  register long x8 __asm__("x8") = nr;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  register long x3 __asm__("x3") = d;
  register long x4 __asm__("x4") = e;
  register long x5 __asm__("x5") = f;
  __asm__ volatile("svc 0"
                   : "+r"(x0)
                   : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
                   : "memory");
  return x0;
}
__asm__(".text\n.global _start\n_start:\n mov x0, sp\n bl init_main\n b .\n");
#else
#error "stockade-init: add the syscall convention of this architecture"
#endif

#define SYS(nr, a, b, c, d, e) sys6((nr), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), 0)

static void exit_now(int code) {
  for (;;) SYS(__NR_exit_group, code, 0, 0, 0, 0);
}

static int parse_fd(const char* text) {
  int value = 0;
  if (text == 0 || *text == 0) return -1;
  for (; *text; ++text) {
    if (*text < '0' || *text > '9' || value > 1000000) return -1;
    value = value * 10 + (*text - '0');
  }
  return value;
}

static long parse_number(const char* text, long max) {
  long value = 0;
  if (text == 0 || *text == 0) return -1;
  for (; *text; ++text) {
    if (*text < '0' || *text > '9' || value > max / 10) return -1;
    value = value * 10 + (*text - '0');
  }
  return value > max ? -1 : value;
}

/* The layout the supervisor reads on the channel (sandbox/child_plan.h). */
struct step_failure {
  unsigned int step;
  int error;
  int detail;
};

static void fail(int channel, unsigned int step, long rc) {
  struct step_failure failure = {step, (int)-rc, -1};
  SYS(__NR_write, channel, &failure, sizeof(failure), 0, 0);
  exit_now(125);
}

/* The plugin's signals: the ones a supervisor or an operator sends to ask a
 * process to stop or to act. SIGKILL needs no forwarding: killing init ends
 * every process of the namespace. */
static int forwarded(int sig) {
  return sig == SIGTERM || sig == SIGINT || sig == SIGHUP || sig == SIGQUIT || sig == SIGUSR1 ||
         sig == SIGUSR2;
}

struct kernel_timeval {
  long sec, usec;
};
struct kernel_rusage {
  struct kernel_timeval utime, stime;
  long rest[14];
};
struct kernel_timespec {
  long sec, nsec;
};
struct dirent64_head {
  unsigned long ino;
  long off;
  unsigned short reclen;
  unsigned char type;
  char name[];
};

/* utime+stime+cutime+cstime (fields 14-17) of one /proc/<pid>/stat, in
 * ticks; 0 for a process gone meanwhile (it was reaped: its time moved into
 * its reaper's account, which we read too). */
static long process_ticks(int proc, const char* pid) {
  char path[32];
  int n = 0;
  while (pid[n] && n < 20) {
    path[n] = pid[n];
    ++n;
  }
  const char* tail = "/stat";
  for (int i = 0; tail[i]; ++i) path[n++] = tail[i];
  path[n] = 0;
  long fd = SYS(__NR_openat, proc, path, O_RDONLY_FLAG | O_CLOEXEC_FLAG, 0, 0);
  if (fd < 0) return 0;
  char text[1024];
  long got = SYS(__NR_read, fd, text, sizeof(text) - 1, 0, 0);
  SYS(__NR_close, fd, 0, 0, 0, 0);
  if (got <= 0) return 0;
  /* "pid (comm) state ppid ...": comm may hold spaces and ')', so fields
   * count from the last ')'; field 3 (state) follows it. */
  long end = -1;
  for (long i = 0; i < got; ++i)
    if (text[i] == ')') end = i;
  if (end < 0) return 0;
  int field = 2;
  long value = 0, sum = 0;
  for (long i = end + 1; i < got && field <= 17; ++i) {
    if (text[i] == ' ') {
      if (field >= 14) sum += value;
      ++field;
      value = 0;
    } else if (text[i] >= '0' && text[i] <= '9') {
      value = value * 10 + (text[i] - '0');
    }
  }
  return sum;
}

/* The CPU time of the whole sandbox but init itself, in milliseconds. */
static long sandbox_cpu_ms(int proc) {
  struct kernel_rusage reaped;
  long ms = 0;
  if (SYS(__NR_getrusage, RUSAGE_CHILDREN_WHO, &reaped, 0, 0, 0) == 0)
    ms = (reaped.utime.sec + reaped.stime.sec) * 1000 + (reaped.utime.usec + reaped.stime.usec) / 1000;
  if (SYS(__NR_lseek, proc, 0, 0, 0, 0) < 0) return ms;
  long ticks = 0;
  char buffer[4096] __attribute__((aligned(8)));
  for (;;) {
    long got = SYS(__NR_getdents64, proc, buffer, sizeof(buffer), 0, 0);
    if (got <= 0) break;
    for (long at = 0; at < got;) {
      struct dirent64_head* entry = (struct dirent64_head*)(buffer + at);
      at += entry->reclen;
      const char* name = entry->name;
      if (name[0] < '1' || name[0] > '9' || (name[0] == '1' && name[1] == 0)) continue;
      int digits = 1;
      while (name[digits] >= '0' && name[digits] <= '9') ++digits;
      if (name[digits] != 0) continue;
      ticks += process_ticks(proc, name);
    }
  }
  return ms + ticks * TICK_MS;
}

/* The report on the shared page: the value first, the magic that makes it
 * a report last (the supervisor reads it once we are reaped, so the order
 * only matters to a reader that looks early). */
static void write_report(volatile struct stockade_init_report* page, unsigned int magic, int value) {
  page->value = value;
  page->magic = magic;
}

/* Init's end at the budget: the report, then our exit, which kills every
 * other process of the namespace. */
static void end_at_cpu_budget(volatile struct stockade_init_report* report, long used_ms) {
  write_report(report, STOCKADE_INIT_CPU_LIMIT_MAGIC,
               used_ms > 0x7fffffffL ? 0x7fffffff : (int)used_ms);
  exit_now(0);
}

__attribute__((used, noreturn)) void init_main(long* stack) {
  const long argc = stack[0];
  char** argv = (char**)(stack + 1);
  char** envp = argv + argc + 1;
  if (argc < 7) exit_now(125);
  const int binary = parse_fd(argv[1]);
  const int channel = parse_fd(argv[2]);
  const int report_fd = parse_fd(argv[3]);
  /* At most ~68 years of CPU: every sum below stays far inside a long. */
  const long budget_ms = parse_number(argv[4], 1L << 41);
  const long cpus = parse_number(argv[5], 4096);
  if (binary < 0 || channel < 0 || report_fd < 0 || budget_ms < 0 || cpus < 1) exit_now(125);

  /* Our own memory now: without this the plugin (same uid) could open
   * /proc/1/mem and rewrite init. Not dumpable means only a holder of
   * CAP_SYS_PTRACE in our user namespace may, and nobody holds it. */
  long rc = SYS(__NR_prctl, PR_SET_DUMPABLE, 0, 0, 0, 0);
  if (rc < 0) fail(channel, STOCKADE_STEP_INIT, rc);
  /* Held for init only: the plugin's exec closes them. */
  SYS(__NR_fcntl, binary, F_SETFD_CMD, 1, 0, 0);
  SYS(__NR_fcntl, channel, F_SETFD_CMD, 1, 0, 0);
  /* The report page, shared with the supervisor; its descriptor is closed
   * at once and the mapping is not inherited by the plugin's fork. */
  long mapped = sys6(__NR_mmap, 0, PAGE_BYTES, PROT_READ_WRITE, MAP_SHARED_FLAG, report_fd, 0);
  if (mapped < 0 && mapped > -4096) fail(channel, STOCKADE_STEP_INIT, mapped);
  volatile struct stockade_init_report* report = (volatile struct stockade_init_report*)mapped;
  SYS(__NR_close, report_fd, 0, 0, 0, 0);
  rc = SYS(__NR_madvise, mapped, PAGE_BYTES, MADV_DONTFORK_ADVICE, 0, 0);
  if (rc < 0) fail(channel, STOCKADE_STEP_INIT, rc);

  /* Every signal stays blocked in init (inherited so from the sandbox setup,
   * and set again here); the plugin starts with none blocked. */
  unsigned long all = ~0UL;
  unsigned long none = 0;
  SYS(__NR_rt_sigprocmask, SIG_SETMASK, &all, 0, sizeof(all), 0);

  /* The sandbox's own /proc (its pid namespace), opened before the plugin
   * exists; close-on-exec, so the plugin never holds it. */
  int proc = -1;
  if (budget_ms > 0) {
    rc = SYS(__NR_openat, -100 /* AT_FDCWD */, "/proc",
             O_RDONLY_FLAG | O_DIRECTORY_FLAG | O_CLOEXEC_FLAG, 0, 0);
    if (rc < 0) fail(channel, STOCKADE_STEP_INIT, rc);
    proc = (int)rc;
  }

  /* A plain fork (no CLONE_VM: init's memory is a few pages). */
  long plugin = SYS(__NR_clone, SIGCHLD, 0, 0, 0, 0);
  if (plugin < 0) fail(channel, STOCKADE_STEP_START_PLUGIN, plugin);
  if (plugin == 0) {
    SYS(__NR_rt_sigprocmask, SIG_SETMASK, &none, 0, sizeof(none), 0);
    rc = SYS(__NR_execveat, binary, "", argv + 6, envp, AT_EMPTY_PATH_FLAG);
    fail(channel, STOCKADE_STEP_EXEC_PLUGIN, rc);
  }
  /* The plugin's copy is the last one: its exec (close-on-exec) or its
   * failure report ends the supervisor's wait for the launch. */
  SYS(__NR_close, channel, 0, 0, 0, 0);
  SYS(__NR_close, binary, 0, 0, 0, 0);

  for (;;) {
    /* siginfo_t on a 64-bit ABI: the sender's pid follows the 16-byte head. */
    struct {
      int signo, errno_, code, pad;
      int pid, uid;
      char rest[104];
    } info;
    struct kernel_timespec timeout = {0, 0};
    if (budget_ms > 0) {
      /* Check now, and again when the rest of the budget could be spent at
       * full speed on every CPU the sandbox has (never sooner than the
       * accounting moves): never a busy loop, never late by more than that. */
      const long used = sandbox_cpu_ms(proc);
      if (used >= budget_ms) end_at_cpu_budget(report, used);
      long wait_ms = (budget_ms - used) / cpus;
      if (wait_ms < MIN_CHECK_MS) wait_ms = MIN_CHECK_MS;
      timeout.sec = wait_ms / 1000;
      timeout.nsec = (wait_ms % 1000) * 1000000L;
    }
    rc = SYS(__NR_rt_sigtimedwait, &all, &info, budget_ms > 0 ? &timeout : 0, sizeof(all), 0);
    if (rc < 0) continue; /* EINTR, or the timeout (EAGAIN): check again */
    /* Only signals from outside the namespace (the supervisor: its pid has
     * no number here, so si_pid is 0) are meant for the plugin; one sent to
     * pid 1 from inside the sandbox is dropped, as the kernel would drop it
     * for an init without handlers. si_pid alone is forgeable: any process
     * may queue a signal with a made-up siginfo (rt_sigqueueinfo), but the
     * kernel refuses it an si_code >= 0 (SI_USER is 0) towards another
     * process. So SI_USER with no sender in our namespace is kill() or
     * pidfd_send_signal() from outside; SI_QUEUE, SI_TKILL and the rest are
     * dropped whatever their si_pid says. */
    if (forwarded((int)rc) && info.code == SI_USER_CODE && info.pid == 0) {
      SYS(__NR_kill, plugin, rc, 0, 0, 0);
      continue;
    }
    if (rc != SIGCHLD) continue;
    /* Reap everything that has ended: the plugin and any orphan of its
     * that was re-parented to us. */
    for (;;) {
      int status = 0;
      long pid = SYS(__NR_wait4, -1, &status, WNOHANG | __WALL, 0, 0);
      if (pid <= 0) break;
      if (pid == plugin) {
        write_report(report, STOCKADE_INIT_REPORT_MAGIC, status);
        /* Our exit takes the namespace's remaining processes with it. */
        exit_now(0);
      }
    }
  }
}
