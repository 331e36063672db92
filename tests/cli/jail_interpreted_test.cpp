// Interpreted plugins under `stockade jail`: a Python script and the module it
// imports, pinned with plugin-hash --plugin, run from sealed copies by the
// pinned interpreter; anything changed after pinning is refused by name, a
// file swapped during the launch never runs, and neither interpreter options
// in "args" nor PYTHON* variables in "env" reach the interpreter. As root
// and as uid 65534, like every jail test.
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "tests/cli/jail_fixture.h"
#include "tests/support/temp_dir.h"

namespace stockade::jailtest {
namespace {

constexpr const char* kMain = R"(import json, os, sys
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "lib"))
import helper
if sys.argv[-1:] == ["report"]:
    print(json.dumps({"file": __file__, "cwd": os.getcwd(), "isolated": sys.flags.isolated,
                      "ignore_environment": sys.flags.ignore_environment, "path": sys.path,
                      "argv": sys.argv[1:], "helper": helper.__file__}))
    sys.exit(0)
print(helper.greet(sys.argv[1:]))
sys.exit(helper.CODE)
)";
constexpr const char* kHelper = "CODE = 7\ndef greet(args):\n    return 'hello ' + ' '.join(args)\n";
constexpr const char* kEvilHelper = "import sys\nprint('EVIL')\nsys.exit(66)\n";

class InterpretedJail : public Jail {
 protected:
  void SetUp() override {
    Jail::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_EQ(::mkdir(plugin_dir().c_str(), 0755), 0);
    ASSERT_EQ(::mkdir((plugin_dir() + "/lib").c_str(), 0755), 0);
    testing::write_file(plugin_dir() + "/main.py", kMain);
    testing::write_file(plugin_dir() + "/lib/helper.py", kHelper);
    write_manifest("/usr/bin/python3", R"js("args": ["-c", "import sys; print('INJECTED'); sys.exit(42)"],
      "env": {"PYTHONPATH": "/opt/injected", "PYTHONSTARTUP": "/opt/injected/startup.py",
              "PYTHONINSPECT": "1"})js");
  }

  std::string plugin_dir() const { return dir_.file("pyplug"); }
  std::string manifest() const { return plugin_dir() + "/plugin.json"; }
  std::string script() const { return plugin_dir() + "/main.py"; }

  void write_manifest(const std::string& interpreter, const std::string& extra = {}) {
    testing::write_file(manifest(), R"({"name": "pyplug", "interpreter": ")" + interpreter +
                                        R"(", "endpoint": "main.py", "files": ["lib"])" +
                                        (extra.empty() ? "" : ", " + extra) + "}");
  }

  // plugin-hash --plugin DIR >> whitelist, as an operator pins it.
  void pin() {
    Outcome printed = run_command({PLUGIN_HASH, "--plugin", plugin_dir()});
    ASSERT_EQ(printed.code, 0) << printed.err;
    ASSERT_EQ(printed.err, "");
    pinned_lines = printed.out;
    testing::write_file(dir_.file("whitelist"),
                        testing::read_file(dir_.file("whitelist")) + printed.out);
  }

  Outcome run(const std::vector<std::string>& args = {}) {
    std::vector<std::string> command = {script()};
    command.insert(command.end(), args.begin(), args.end());
    return jail({"--manifest", manifest()}, command);
  }

  std::string pinned_lines;
};

TEST_P(InterpretedJail, PluginHashPinsTheInterpreterScriptAndFilesInOneStep) {
  pin();
  EXPECT_NE(pinned_lines.find("  pyplug@/usr/bin/python3\n"), std::string::npos) << pinned_lines;
  EXPECT_NE(pinned_lines.find("  pyplug\n"), std::string::npos) << pinned_lines;
  EXPECT_NE(pinned_lines.find("  pyplug/lib/helper.py\n"), std::string::npos) << pinned_lines;
  EXPECT_EQ(std::count(pinned_lines.begin(), pinned_lines.end(), '\n'), 3) << pinned_lines;
  auto r = run();
  EXPECT_EQ(r.code, 7) << r.err;
  EXPECT_EQ(r.out, "hello -c import sys; print('INJECTED'); sys.exit(42)\n") << r.err;
}

TEST_P(InterpretedJail, ScriptRunsIsolatedFromSealedCopiesBesideEachOther) {
  pin();
  auto r = run({"report"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find(R"("file": "/run/stockade/app/main.py")"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(R"("helper": "/run/stockade/app/lib/helper.py")"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(R"("cwd": "/run/stockade/app")"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(R"("isolated": 1)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(R"("ignore_environment": 1)"), std::string::npos) << r.out;
  // PYTHONPATH had no effect; the manifest's "-c" is the script's argument.
  EXPECT_EQ(r.out.find("/opt/injected"), std::string::npos) << r.out;
  // The manifest's args first, then the command line's, all after the script.
  EXPECT_NE(r.out.find(R"js("argv": ["-c", "import sys; print('INJECTED'); sys.exit(42)", "report"])js"),
            std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("INJECTED\n"), std::string::npos) << r.out;
}

TEST_P(InterpretedJail, ScriptChangedAfterPinningIsRefusedByName) {
  pin();
  testing::write_file(script(), std::string(kMain) + "# changed\n");
  auto r = run();
  EXPECT_EQ(r.code, 126) << r.err;
  EXPECT_NE(r.err.find(script()), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("not whitelisted"), std::string::npos) << r.err;
}

TEST_P(InterpretedJail, FileChangedAfterPinningIsRefusedByName) {
  pin();
  testing::write_file(plugin_dir() + "/lib/helper.py", kEvilHelper);
  auto r = run();
  EXPECT_EQ(r.code, 126) << r.err;
  EXPECT_NE(r.err.find(plugin_dir() + "/lib/helper.py"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("pyplug/lib/helper.py"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("EVIL"), std::string::npos);
}

TEST_P(InterpretedJail, FileAddedToAPinnedFolderIsRefusedByName) {
  pin();
  testing::write_file(plugin_dir() + "/lib/extra.py", "x = 1\n");
  auto r = run();
  EXPECT_EQ(r.code, 126) << r.err;
  EXPECT_NE(r.err.find("lib/extra.py"), std::string::npos) << r.err;
}

TEST_P(InterpretedJail, InterpreterChangedAfterPinningIsRefusedByName) {
  // A copy of the interpreter the test may change (the system's it may not).
  ASSERT_EQ(::mkdir(dir_.file("bin").c_str(), 0755), 0);
  const std::string python = dir_.file("bin") + "/python3";
  copy_executable("/usr/bin/python3", python);
  write_manifest(python);
  pin();
  auto before = run();
  EXPECT_EQ(before.code, 7) << before.err;
  testing::write_file(python, testing::read_file("/usr/bin/python3") + "tampered", 0755);
  auto r = run();
  EXPECT_EQ(r.code, 126) << r.err;
  EXPECT_NE(r.err.find(python), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("interpreter"), std::string::npos) << r.err;
}

TEST_P(InterpretedJail, FileSwappedDuringTheLaunchNeverRuns) {
  pin();
  // Renames an unpinned helper and the pinned one into place by turns while
  // stockade launches: each launch runs the pinned content or is refused.
  std::atomic<bool> stop{false};
  std::thread swapper([&] {
    const std::string target = plugin_dir() + "/lib/helper.py";
    const std::string staged = plugin_dir() + "/staged.py";
    for (int i = 0; !stop.load(); ++i) {
      testing::write_file(staged, i % 2 == 0 ? kEvilHelper : kHelper);
      if (std::rename(staged.c_str(), target.c_str()) != 0) ADD_FAILURE() << "rename failed";
    }
  });
  int ran = 0;
  int refused = 0;
  for (int i = 0; i < 12; ++i) {
    auto r = run();
    EXPECT_EQ(r.out.find("EVIL"), std::string::npos) << "the swapped-in file ran";
    EXPECT_TRUE(r.code == 7 || r.code == 126) << r.code << " " << r.err;
    if (r.code == 7) ++ran;
    if (r.code == 126) {
      ++refused;
      EXPECT_NE(r.err.find("helper.py"), std::string::npos) << r.err;
    }
  }
  stop = true;
  swapper.join();
  EXPECT_EQ(ran + refused, 12);
}

TEST_P(InterpretedJail, ScriptWithoutInterpreterIsRefusedWithWhatToWrite) {
  const std::string shebang = dir_.file("tool.py");
  testing::write_file(shebang, "#!/usr/bin/env python3\nprint('ran')\n", 0755);
  testing::write_file(dir_.file("whitelist"), testing::read_file(dir_.file("whitelist")) +
                                                  digest_line(shebang, "tool.py"));
  auto r = jail({}, {shebang});
  EXPECT_EQ(r.code, 126) << r.err;
  EXPECT_NE(r.err.find("is a script (#!/usr/bin/env python3)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(R"("interpreter": "/usr/bin/python3")"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("plugin-hash --plugin"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
}

TEST_P(InterpretedJail, LoaderVariablesAndEscapingFilesAreRefusedByField) {
  write_manifest("/usr/bin/python3", R"("env": {"LD_PRELOAD": "/usr/lib/x.so"})");
  auto preload = run();
  EXPECT_EQ(preload.code, 125) << preload.err;
  EXPECT_NE(preload.err.find("env.LD_PRELOAD"), std::string::npos) << preload.err;
  testing::write_file(manifest(), R"({"name": "pyplug", "interpreter": "/usr/bin/python3",
    "endpoint": "main.py", "files": ["../secrets", "/etc/passwd"]})");
  auto escaping = run();
  EXPECT_EQ(escaping.code, 125) << escaping.err;
  EXPECT_NE(escaping.err.find("files[0]"), std::string::npos) << escaping.err;
  EXPECT_NE(escaping.err.find("files[1]"), std::string::npos) << escaping.err;
}

TEST_P(InterpretedJail, SymlinkedFileIsRefused) {
  ASSERT_EQ(::symlink("/etc/hostname", (plugin_dir() + "/lib/link.py").c_str()), 0);
  Outcome printed = run_command({PLUGIN_HASH, "--plugin", plugin_dir()});
  EXPECT_NE(printed.code, 0);
  EXPECT_NE(printed.err.find("symbolic link"), std::string::npos) << printed.err;
  auto r = run();
  EXPECT_EQ(r.code, 126) << r.err;
  EXPECT_NE(r.err.find("lib/link.py"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("symbolic link"), std::string::npos) << r.err;
}

TEST_P(InterpretedJail, BinaryOperandMustBeTheManifestsScript) {
  pin();
  auto r = jail({"--manifest", manifest()}, {probe(), "exit", "0"});
  EXPECT_EQ(r.code, 126) << r.err;
  EXPECT_NE(r.err.find("give that script as BINARY"), std::string::npos) << r.err;
}

INSTANTIATE_TEST_SUITE_P(Identities, InterpretedJail, ::testing::ValuesIn(identities()),
                         identity_name);

}  // namespace
}  // namespace stockade::jailtest
