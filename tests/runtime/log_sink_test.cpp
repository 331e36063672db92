// SupervisorOptions::log: every record of the library reaches the host's
// sink (level, plugin, message), plugin output included and escaped, and
// nothing of the library's goes to stderr when a sink is given.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "tests/runtime/runtime_fixture.h"

namespace stockade::testing {
namespace {

using namespace std::chrono_literals;
using supervisor::LogLevel;
using supervisor::LogRecord;

struct Captured {
  LogLevel level;
  std::string plugin;
  std::string message;
};

class CapturedLog {
 public:
  supervisor::LogSink sink() {
    return [this](const LogRecord& record) {
      std::lock_guard lock(mutex_);
      records_.push_back({record.level, std::string(record.plugin), std::string(record.message)});
    };
  }
  std::vector<Captured> records() {
    std::lock_guard lock(mutex_);
    return records_;
  }
  bool has(LogLevel level, const std::string& plugin, const std::string& message_start) {
    for (const auto& r : records()) {
      if (r.level == level && r.plugin == plugin && r.message.rfind(message_start, 0) == 0) return true;
    }
    return false;
  }

 private:
  std::mutex mutex_;
  std::vector<Captured> records_;
};

// Points fd `target` (1 or 2) at a temporary file for the lifetime of the
// object, so the test sees whatever the library writes there (spdlog's
// default logger writes to stdout).
class FdCapture {
 public:
  FdCapture(int target, const std::string& path) : target_(target), path_(path) {
    std::fflush(nullptr);
    saved_ = dup(target);
    const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (saved_ < 0 || fd < 0 || dup2(fd, target) < 0) throw std::runtime_error("cannot redirect an fd");
    close(fd);
  }
  ~FdCapture() { restore(); }
  std::string text() {
    restore();
    std::ifstream in(path_);
    std::stringstream all;
    all << in.rdbuf();
    return all.str();
  }

 private:
  void restore() {
    if (saved_ < 0) return;
    std::fflush(nullptr);
    dup2(saved_, target_);
    close(saved_);
    saved_ = -1;
  }
  int target_;
  std::string path_;
  int saved_ = -1;
};

TEST(LogSink, ReceivesLifecycleOutputAndDiscoveryRecordsAndNothingGoesToStderr) {
  PluginsDir dir;
  dir.add("echo");
  dir.add("stderr_flood");
  // A folder with a broken manifest: discovery skips it and says so.
  TempDir scratch;
  const std::string broken = dir.path() + "/broken";
  ASSERT_EQ(::mkdir(broken.c_str(), 0755), 0);
  std::ofstream(broken + "/plugin.json") << "{\"name\": ";

  CapturedLog log;
  std::string leaked_out, leaked_err;
  {
    FdCapture out(1, scratch.file("stdout"));
    FdCapture err(2, scratch.file("stderr"));
    {
      auto sup = make_supervisor(dir, [&](supervisor::SupervisorOptions& o) { o.log = log.sink(); });
      ASSERT_EQ(sup->discovery_problems().size(), 1u);
      EXPECT_EQ(sup->plugins(), (std::vector<std::string>{"echo", "stderr_flood"}));

      auto echoed = sup->execute("echo", "echo", to_bytes("hi"));
      ASSERT_TRUE(echoed) << echoed.error().describe();
      auto flooded = sup->execute("stderr_flood", "flood", to_bytes("1"),
                                  supervisor::ExecuteOptions{10s, std::nullopt});
      ASSERT_TRUE(flooded) << flooded.error().describe();
      EXPECT_TRUE(eventually([&] { return log.has(LogLevel::info, "stderr_flood", "output: "); }));
      sup->stop();
    }
    leaked_out = out.text();
    leaked_err = err.text();
  }
  EXPECT_EQ(leaked_out, "") << "the library wrote to stdout although a sink was given";
  EXPECT_EQ(leaked_err, "") << "the library wrote to stderr although a sink was given";

  EXPECT_TRUE(log.has(LogLevel::error, "", "plugin skipped: ")) << "the broken folder";
  EXPECT_TRUE(log.has(LogLevel::info, "echo", "started, pid "));
  EXPECT_TRUE(log.has(LogLevel::info, "echo", "stopped"));
  EXPECT_TRUE(log.has(LogLevel::info, "stderr_flood", "started, pid "));
  // The plugin's output arrives as records of its own, escaped: its
  // terminal escapes, bells and NULs never reach the host's sink raw.
  size_t output_lines = 0;
  for (const auto& r : log.records()) {
    if (r.plugin != "stderr_flood" || r.message.rfind("output: ", 0) != 0) continue;
    ++output_lines;
    for (unsigned char c : r.message) {
      ASSERT_TRUE(c >= 0x20 && c != 0x7f) << "raw control byte " << int(c) << " in " << r.message.substr(0, 80);
    }
  }
  EXPECT_GT(output_lines, 0u);
}

TEST(LogSink, WithoutASinkTheRecordsGoToSpdlogsDefaultLoggerAsPluginAndMessage) {
  PluginsDir dir;
  dir.add("echo");
  TempDir scratch;
  std::string written;
  {
    FdCapture capture(1, scratch.file("stdout"));
    {
      auto sup = make_supervisor(dir);
      auto echoed = sup->execute("echo", "echo", to_bytes("hi"));
      ASSERT_TRUE(echoed) << echoed.error().describe();
      sup->stop();
    }
    written = capture.text();
  }
  EXPECT_NE(written.find("[echo] started, pid "), std::string::npos) << written;
}

TEST(LogSink, ASinkThatThrowsDoesNotStopTheSupervisor) {
  PluginsDir dir;
  dir.add("echo");
  auto sup = make_supervisor(dir, [](supervisor::SupervisorOptions& o) {
    o.log = [](const LogRecord&) { throw std::runtime_error("sink broke"); };
  });
  for (int i = 0; i < 3; ++i) {
    auto echoed = sup->execute("echo", "echo", to_bytes("again"));
    ASSERT_TRUE(echoed) << echoed.error().describe();
    EXPECT_EQ(to_text(*echoed), "again");
  }
  ASSERT_TRUE(sup->restart("echo"));
  auto after = sup->execute("echo", "echo", to_bytes("after restart"));
  ASSERT_TRUE(after) << after.error().describe();
}

}  // namespace
}  // namespace stockade::testing
