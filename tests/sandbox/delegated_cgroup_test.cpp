// An unprivileged supervisor in a delegated cgroup v2 subtree, made as
// systemd's Delegate= makes one (tests/sandbox/delegated_subtree.h), on the
// real kernel: the sandbox's group is made inside the subtree, the
// whole-sandbox CPU budget holds unprivileged through cpu.stat, nothing is
// left; and the supervisor moves itself into a leaf exactly when the
// kernel's no-internal-processes rule stands between a delegated controller
// and its sandboxes (sandbox/cgroup_delegation.h).
//
// Runs as root (it makes and delegates the subtree; the supervisor itself
// runs as uid 65534); skipped otherwise or without a writable v2 hierarchy.
#include <dirent.h>
#include <grp.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/unique_fd.h"
#include "sandbox/cgroup_delegation.h"
#include "sandbox/cgroup_files.h"
#include "tests/sandbox/delegated_subtree.h"
#include "tests/support/command.h"
#include "tests/support/temp_dir.h"

namespace stockade::sandbox::test {
namespace {

constexpr uid_t kDelegate = 65534;

class DelegatedCgroup : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root to make and delegate a cgroup (CI runs it as root)";
    mount_ = cgroup2_mount();
    if (mount_.empty()) GTEST_SKIP() << "no cgroup2 hierarchy is mounted";
    subtree_.emplace(mount_, kDelegate);
    if (!subtree_->made()) {
      if (subtree_->error().starts_with("mkdir"))
        GTEST_SKIP() << "the cgroup2 hierarchy is not writable: " << subtree_->error();
      FAIL() << subtree_->error();
    }
  }
  void TearDown() override {
    if (subtree_) {
      EXPECT_EQ(subtree_->remove(), "") << "the delegated subtree could not be removed";
    }
  }
  const std::string& delegated() const { return subtree_->path(); }

  std::string mount_;
  std::optional<DelegatedSubtree> subtree_;
};

// The sandbox directories below <delegated>/stockade and the pids in them.
void note_sandbox_groups(const std::string& stockade_dir, std::set<std::string>& groups,
                         std::set<std::string>& pids) {
  DIR* dir = opendir(stockade_dir.c_str());
  if (dir == nullptr) return;
  while (dirent* entry = readdir(dir)) {
    const std::string name = entry->d_name;
    if (!name.starts_with("sbx-")) continue;
    const auto procs = cgroup_words(stockade_dir + "/" + name + "/cgroup.procs");
    if (procs.empty()) continue;
    groups.insert(name);
    pids.insert(procs.begin(), procs.end());
  }
  closedir(dir);
}

uint64_t cpu_usage_usec(const std::string& dir) {
  const auto words = cgroup_words(dir + "/cpu.stat");
  for (size_t i = 0; i + 1 < words.size(); ++i) {
    if (words[i] == "usage_usec") return std::stoull(words[i + 1]);
  }
  return 0;
}

TEST_F(DelegatedCgroup, UnprivilegedJailKeepsTheWholeSandboxCpuBudgetInsideTheSubtree) {
  // The build tree may not be readable by uid 65534: the binaries run from a copy.
  stockade::testing::TempDir bin("stockade-delegated-", 0755);
  namespace fs = std::filesystem;
  fs::copy_file(STOCKADE_BIN, bin.file("stockade"));
  fs::copy_file(STOCKADE_CPU_CHAIN, bin.file("cpu_chain"));
  ASSERT_EQ(chmod(bin.file("stockade").c_str(), 0755), 0);
  ASSERT_EQ(chmod(bin.file("cpu_chain").c_str(), 0755), 0);
  // stockade creates its status file itself, in a directory the delegate may write.
  ASSERT_EQ(mkdir(bin.file("status").c_str(), 0700), 0);
  ASSERT_EQ(chown(bin.file("status").c_str(), kDelegate, kDelegate), 0);
  const std::string status_file = bin.file("status") + "/status.json";

  // Five links of 600 ms, each reaped by the kernel at its exit (SIGCHLD
  // ignored), so no process account holds their time: unprivileged without
  // a cgroup the chain completes (tests/hostile, CpuChainOfAutoReapedChildren).
  // In the delegated subtree cpu.stat counts them and the budget of 1 s holds.
  // The shell joins the subtree as root (what systemd does for the service),
  // then becomes the delegate and runs the supervisor.
  const std::string script =
      "echo $$ > '" + delegated() + "/cgroup.procs' && exec setpriv --reuid=65534 --regid=65534 "
      "--clear-groups -- '" + bin.file("stockade") + "' jail --dev --cpu-seconds 1 --time-limit 30 "
      "--status-file '" + status_file + "' -- '" + bin.file("cpu_chain") +
      "' 600 5 sigign";
  std::atomic<bool> done{false};
  stockade::testing::CommandOutcome jail;
  std::string start_error;
  std::thread runner([&] {
    try {
      jail = stockade::testing::run_command({"/bin/sh", "-c", script});
    } catch (const std::exception& e) {
      start_error = e.what();
    }
    done = true;
  });
  // While it runs: the sandbox's group, and who is in it.
  std::set<std::string> groups, pids;
  const std::string stockade_dir = delegated() + "/stockade";
  while (!done) {
    note_sandbox_groups(stockade_dir, groups, pids);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  runner.join();
  ASSERT_EQ(start_error, "");
  const std::string context = "exit " + std::to_string(jail.code) + "\nstdout: " + jail.out +
                              "\nstderr: " + jail.err;

  // Ended by the sandbox's CPU budget: SIGKILL, at 1 s, not the chain's 3 s.
  const auto status = nlohmann::json::parse(stockade::testing::read_file(status_file),
                                            nullptr, false);
  ASSERT_FALSE(status.is_discarded()) << context;
  EXPECT_EQ(jail.code, 128 + SIGKILL) << context;
  EXPECT_EQ(status.value("kind", ""), "cpu_limit") << status.dump() << "\n" << context;
  EXPECT_EQ(jail.out.find("chain of"), std::string::npos) << context;
  const auto& applied = status["applied"];
  EXPECT_EQ(applied.value("cgroup", ""), "v2") << status.dump();
  EXPECT_NE(applied.value("cpu_time", "").find("cgroup v2 cpu.stat"), std::string::npos)
      << status.dump();
  // The subtree accounts the chain (cpu.stat counts descendants): its CPU
  // was used inside the delegated cgroup, the dead links' included.
  EXPECT_GE(cpu_usage_usec(delegated()), 1000000u) << "cpu.stat of " << delegated();

  // The sandbox's group was made by the unprivileged supervisor, inside the subtree.
  EXPECT_EQ(groups.size(), 1u) << "sandbox groups seen in " << stockade_dir;
  struct stat made{};
  ASSERT_EQ(stat(stockade_dir.c_str(), &made), 0) << stockade_dir;
  EXPECT_EQ(made.st_uid, kDelegate) << stockade_dir << " was not made by the delegate";
  EXPECT_FALSE(pids.empty());

  // No controller for stockade in this subtree (the hybrid host's v2 has
  // none): moving the supervisor would be pointless, and it did not.
  EXPECT_EQ(jail.err.find("cgroup: "), std::string::npos) << "no line to log here\n" << context;
  EXPECT_FALSE(fs::exists(delegated() + "/" + kSupervisorLeaf)) << context;

  // Nothing is left: stockade removed the sandbox's group (the kernel
  // refuses to remove a populated one), no process of the subtree lives.
  for (const auto& name : groups) EXPECT_FALSE(fs::exists(stockade_dir + "/" + name)) << name;
  EXPECT_FALSE(cgroup_populated(delegated())) << cgroup_words(delegated() + "/cgroup.procs").size();
  for (const auto& pid : pids) EXPECT_FALSE(fs::exists("/proc/" + pid + "/status")) << "pid " << pid;
}

// A controller of the v2 hierarchy, enabled in its root's subtree_control
// for the test (and disabled again, if it was not on) so that the delegated
// subtree has one to pass on. The hybrid host's v2 hierarchy has only
// hugetlb, which stockade does not use; the move does not depend on which.
class PassedController {
 public:
  PassedController(std::string mount, DelegatedSubtree& subtree)
      : mount_(std::move(mount)), subtree_(subtree) {
    const auto offered = cgroup_words(mount_ + "/cgroup.controllers");
    if (offered.empty()) return;
    name_ = offered.front();
    if (has_word(cgroup_words(mount_ + "/cgroup.subtree_control"), name_)) return;
    if (!write_cgroup_file(mount_ + "/cgroup.subtree_control", "+" + name_)) {
      error_ = "enabling " + name_ + " in " + mount_ + "/cgroup.subtree_control: " + std::strerror(errno);
      return;
    }
    enabled_here_ = true;
  }
  ~PassedController() {
    // The subtree first: a controller its subtree_control passes on cannot be disabled above.
    (void)subtree_.remove();
    if (enabled_here_ && !write_cgroup_file(mount_ + "/cgroup.subtree_control", "-" + name_))
      ADD_FAILURE() << "could not disable " << name_ << " again in " << mount_ << ": "
                    << std::strerror(errno);
  }
  PassedController(const PassedController&) = delete;
  PassedController& operator=(const PassedController&) = delete;

  const std::string& name() const { return name_; }
  const std::string& error() const { return error_; }

 private:
  std::string mount_;
  DelegatedSubtree& subtree_;
  std::string name_, error_;
  bool enabled_here_ = false;
};

const char* note_name(V2Delegation::Note note) {
  switch (note) {
    case V2Delegation::Note::none: return "none";
    case V2Delegation::Note::moved: return "moved";
    case V2Delegation::Note::failed: return "failed";
  }
  return "?";
}

// A process that joins `dir` (as root, as systemd puts a service there),
// becomes uid 65534 and prepares its cgroup twice, as the supervisor does
// once at its start (the second time: what a re-exec'd supervisor finds).
// It reports and then stays, so its cgroup can be seen, until destroyed.
class Delegate {
 public:
  Delegate(const std::string& mount, const std::string& dir, const std::string& controller) {
    int report[2], release[2];
    if (pipe2(report, O_CLOEXEC) != 0 || pipe2(release, O_CLOEXEC) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      close(report[0]);
      close(release[1]);
      run(mount, dir, controller, report[1], release[0]);
    }
    close(report[1]);
    close(release[0]);
    UniqueFd from(report[0]);
    release_.reset(release[1]);
    if (pid_ < 0) return;
    std::string text;
    char buffer[4096];
    ssize_t n;
    while ((n = read(from.get(), buffer, sizeof buffer)) > 0) {
      text.append(buffer, static_cast<size_t>(n));
      if (text.ends_with("end\n")) break;
    }
    for (std::string_view line : split(text, '\n')) {
      auto eq = line.find('=');
      if (eq != std::string_view::npos) fields_[std::string(line.substr(0, eq))] = line.substr(eq + 1);
    }
  }
  ~Delegate() {
    release_.reset();
    if (pid_ > 0) (void)waitpid(pid_, nullptr, 0);
  }
  Delegate(const Delegate&) = delete;
  Delegate& operator=(const Delegate&) = delete;

  pid_t pid() const { return pid_; }
  std::string operator[](const std::string& key) const {
    auto it = fields_.find(key);
    return it == fields_.end() ? "(missing)" : it->second;
  }
  std::string all() const {
    std::string text;
    for (const auto& [key, value] : fields_) text += key + "=" + value + "\n";
    return text;
  }

 private:
  [[noreturn]] static void run(const std::string& mount, const std::string& dir,
                               const std::string& controller, int out, int release) {
    std::string text;
    if (!write_cgroup_file(dir + "/cgroup.procs", "0")) {
      text = std::string("error=joining ") + dir + ": " + std::strerror(errno) + "\n";
    } else if (setgroups(0, nullptr) != 0 || setresgid(kDelegate, kDelegate, kDelegate) != 0 ||
               setresuid(kDelegate, kDelegate, kDelegate) != 0) {
      text = std::string("error=becoming uid 65534: ") + std::strerror(errno) + "\n";
    } else {
      V2Delegation first = prepare_v2_delegation(mount, read_own_v2_path(), {controller});
      std::string enabled;
      for (const auto& name : first.enabled) enabled += name + " ";
      text += std::string("note=") + note_name(first.note) + "\nbase=" + first.base_dir +
              "\nown=" + first.own_dir + "\nenabled=" + enabled + "\nmessage=" + first.message + "\n";
      // A sandbox group made now has the controller's files.
      const std::string group = first.base_dir + "/stockade/sbx-delegation-check";
      int files = 0;
      if (mkdir(group.c_str(), 0755) == 0) {
        for (const auto& entry : std::filesystem::directory_iterator(group)) {
          if (entry.path().filename().string().starts_with(controller + ".")) ++files;
        }
        (void)rmdir(group.c_str());
      }
      text += "group_files=" + std::to_string(files) + "\n";
      V2Delegation again = prepare_v2_delegation(mount, read_own_v2_path(), {controller});
      text += std::string("again_note=") + note_name(again.note) + "\nagain_base=" +
              again.base_dir + "\nagain_own=" + again.own_dir + "\n";
    }
    text += "end\n";
    if (write(out, text.data(), text.size()) != static_cast<ssize_t>(text.size())) _exit(1);
    char byte;
    while (read(release, &byte, 1) > 0) {
    }
    _exit(0);
  }

  pid_t pid_ = -1;
  UniqueFd release_;
  std::map<std::string, std::string> fields_;
};

TEST_F(DelegatedCgroup, SupervisorMovesItselfIntoALeafWhenItsCgroupMustPassControllersOn) {
  PassedController controller(mount_, *subtree_);
  ASSERT_EQ(controller.error(), "");
  if (controller.name().empty())
    GTEST_SKIP() << "the v2 hierarchy has no controller at all: no leaf move can be needed here";
  const std::string& c = controller.name();
  ASSERT_TRUE(has_word(cgroup_words(delegated() + "/cgroup.controllers"), c));

  Delegate supervisor(mount_, delegated(), c);
  ASSERT_GT(supervisor.pid(), 0);
  const std::string report = supervisor.all();
  ASSERT_EQ(supervisor["error"], "(missing)") << report;
  // The kernel said EBUSY (the subtree held the supervisor), so it moved
  // itself into the leaf, and said so: from where, to where, why.
  const std::string leaf = delegated() + "/" + kSupervisorLeaf;
  EXPECT_EQ(supervisor["note"], "moved") << report;
  EXPECT_EQ(supervisor["base"], delegated()) << report;
  EXPECT_EQ(supervisor["own"], leaf) << report;
  EXPECT_EQ(supervisor["enabled"], c + " ") << report;
  EXPECT_NE(supervisor["message"].find("from " + delegated() + " to " + leaf), std::string::npos)
      << report;
  EXPECT_NE(supervisor["message"].find("EBUSY"), std::string::npos) << report;
  // Where the kernel has it now, and what it passes on.
  EXPECT_EQ(cgroup_words(leaf + "/cgroup.procs"),
            std::vector<std::string>{std::to_string(supervisor.pid())});
  EXPECT_TRUE(cgroup_words(delegated() + "/cgroup.procs").empty());
  EXPECT_TRUE(has_word(cgroup_words(delegated() + "/cgroup.subtree_control"), c));
  EXPECT_TRUE(has_word(cgroup_words(delegated() + "/stockade/cgroup.subtree_control"), c));
  EXPECT_GT(std::stoi(supervisor["group_files"]), 0) << "no " << c << ".* file in a sandbox group";
  // Prepared again from inside the leaf: its parent is still the base, no second move.
  EXPECT_EQ(supervisor["again_note"], "none") << report;
  EXPECT_EQ(supervisor["again_base"], delegated()) << report;
  EXPECT_EQ(supervisor["again_own"], leaf) << report;
}

TEST_F(DelegatedCgroup, SupervisorDoesNotMoveWhenOtherProcessesShareItsCgroup) {
  PassedController controller(mount_, *subtree_);
  ASSERT_EQ(controller.error(), "");
  if (controller.name().empty())
    GTEST_SKIP() << "the v2 hierarchy has no controller at all: no leaf move can be needed here";
  // Another process of the service in the delegated cgroup: moving the
  // supervisor alone would not empty it, so it must not move, and must say why.
  pid_t neighbour = fork();
  ASSERT_GE(neighbour, 0);
  if (neighbour == 0) {
    if (!write_cgroup_file(delegated() + "/cgroup.procs", "0")) _exit(1);
    pause();
    _exit(0);
  }
  struct Reap {
    pid_t pid;
    ~Reap() {
      kill(pid, SIGKILL);
      (void)waitpid(pid, nullptr, 0);
    }
  } reap{neighbour};
  // It has joined once the kernel lists it there.
  for (int i = 0; i < 10000 && !has_word(cgroup_words(delegated() + "/cgroup.procs"),
                                         std::to_string(neighbour)); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_TRUE(has_word(cgroup_words(delegated() + "/cgroup.procs"), std::to_string(neighbour)));

  Delegate supervisor(mount_, delegated(), controller.name());
  ASSERT_GT(supervisor.pid(), 0);
  const std::string report = supervisor.all();
  EXPECT_EQ(supervisor["note"], "failed") << report;
  EXPECT_EQ(supervisor["own"], delegated()) << report;
  EXPECT_EQ(supervisor["enabled"], "") << report;
  EXPECT_NE(supervisor["message"].find("holds other processes (pid " + std::to_string(neighbour)),
            std::string::npos) << report;
  EXPECT_NE(supervisor["message"].find("fall back to rlimits"), std::string::npos) << report;
  EXPECT_FALSE(std::filesystem::exists(delegated() + "/" + kSupervisorLeaf));
  EXPECT_TRUE(has_word(cgroup_words(delegated() + "/cgroup.procs"), std::to_string(supervisor.pid())));
}

}  // namespace
}  // namespace stockade::sandbox::test
