// The trust root is permission-checked (issue 8, point 7): `stockade jail`,
// `stockade call`, `stockade check` and `plugin-hash --check` refuse a
// whitelist, config, manifest, plugins folder or binary that someone other
// than root or the user stockade runs as could change, or below a folder
// such a user could change; each message names the file, owner, mode and fix.
// Every test runs the real programs as root and as uid 65534 (setpriv).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/support/command.h"
#include "tests/support/temp_dir.h"
#include "whitelist/sha256.h"

namespace stockade {
namespace {

using testing::CommandOutcome;

enum class As { root, nobody };

// An owner that is neither root nor the user the commands run as.
constexpr uid_t kRootsStranger = 65534;
constexpr uid_t kNobodysStranger = 1;  // daemon
// A group that is not root's, which neither identity belongs to (setpriv
// --clear-groups).
constexpr gid_t kOtherGroup = 100;

std::string digest_line(const std::string& path, const std::string& name) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  auto digest = sha256_of_fd(fd);
  ::close(fd);
  EXPECT_TRUE(digest);
  return to_hex(*digest) + "  " + name + "\n";
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The tree an operator sets up, in a root-owned folder of the sticky /tmp:
//   bin/{stockade, plugin-hash, jail_probe}
//   etc/{whitelist, config.json, jail.json, plugins/echo/{plugin.json, echo}}
class TrustRoot : public ::testing::TestWithParam<As> {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "making files of other owners needs root";
    for (const char* sub : {"bin", "etc", "etc/plugins", "etc/plugins/echo"}) {
      ASSERT_EQ(::mkdir(dir_.file(sub).c_str(), 0755), 0) << sub;
      ASSERT_EQ(::chmod(dir_.file(sub).c_str(), 0755), 0) << sub;
    }
    copy(STOCKADE_BIN, bin("stockade"));
    copy(PLUGIN_HASH_BIN, bin("plugin-hash"));
    copy(JAIL_PROBE, probe());
    copy(ECHO_PLUGIN, echo_binary());
    testing::write_file(echo_manifest(), testing::read_file(ECHO_MANIFEST));
    testing::write_file(jail_manifest(), R"({"name": "jail_probe"})");
    testing::write_file(whitelist(), digest_line(probe(), "jail_probe") +
                                         digest_line(echo_binary(), "echo"));
    write_config(whitelist());
  }

  static void copy(const std::string& from, const std::string& to) {
    testing::write_file(to, testing::read_file(from), 0755);
  }
  void write_config(const std::string& whitelist_path) {
    testing::write_file(config(), R"({"plugins_dir": "plugins", "whitelist": ")" +
                                      whitelist_path + R"("})");
  }

  bool as_nobody() const { return GetParam() == As::nobody; }
  uid_t self() const { return as_nobody() ? 65534 : 0; }
  uid_t stranger() const { return as_nobody() ? kNobodysStranger : kRootsStranger; }

  std::string bin(const std::string& name) const { return dir_.file("bin/" + name); }
  std::string etc(const std::string& name) const { return dir_.file("etc/" + name); }
  std::string probe() const { return bin("jail_probe"); }
  std::string whitelist() const { return etc("whitelist"); }
  std::string config() const { return etc("config.json"); }
  std::string jail_manifest() const { return etc("jail.json"); }
  std::string plugin_folder() const { return etc("plugins/echo"); }
  std::string echo_manifest() const { return etc("plugins/echo/plugin.json"); }
  std::string echo_binary() const { return etc("plugins/echo/echo"); }

  CommandOutcome run(std::vector<std::string> argv) const {
    if (as_nobody()) {
      argv.insert(argv.begin(), {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534",
                                 "--clear-groups"});
    }
    return testing::run_command(argv);
  }
  CommandOutcome jail() const {
    return run({bin("stockade"), "jail", "--config", config(), "--whitelist", whitelist_in_use_,
                "--manifest", jail_manifest(), "--", probe(), "exit", "0"});
  }
  CommandOutcome call() const {
    return run({bin("stockade"), "call", "--config", config(), "echo", "--data", "hi"});
  }
  CommandOutcome check() const { return run({bin("stockade"), "check", "--config", config()}); }
  CommandOutcome hash_check(const std::string& file, const std::string& name) const {
    return run({bin("plugin-hash"), "--check", whitelist_in_use_, "--name", name, file});
  }

  // Every command accepts the tree as it is.
  void expect_all_accept() {
    auto j = jail();
    EXPECT_EQ(j.code, 0) << "jail: " << j.err;
    auto c = call();
    EXPECT_EQ(c.code, 0) << "call: " << c.err;
    EXPECT_EQ(c.out, "hi");
    auto k = check();
    EXPECT_EQ(k.code, 0) << "check: " << k.out << k.err;
    auto h = hash_check(echo_binary(), "echo");
    EXPECT_EQ(h.code, 0) << "plugin-hash: " << h.err;
    EXPECT_EQ(h.err, "");
  }

  // The message names the file at fault and the fix.
  static void expect_names(const std::string& text, const std::string& file,
                           const std::string& fix, const char* command) {
    EXPECT_TRUE(contains(text, file)) << command << " does not name " << file << ": " << text;
    EXPECT_TRUE(contains(text, fix)) << command << " does not say \"" << fix << "\": " << text;
  }
  void expect_jail_refuses(const std::string& file, const std::string& fix) {
    auto r = jail();
    EXPECT_EQ(r.code, 126) << r.err;
    expect_names(r.err, file, fix, "jail");
  }
  void expect_call_refuses(const std::string& file, const std::string& fix) {
    auto r = call();
    EXPECT_EQ(r.code, 126) << r.err;
    expect_names(r.err, file, fix, "call");
  }
  void expect_check_refuses(const std::string& file, const std::string& fix) {
    auto r = check();
    EXPECT_EQ(r.code, 1) << r.out << r.err;
    expect_names(r.out, file, fix, "check");
  }
  void expect_hash_check_refuses(const std::string& file, const std::string& fix) {
    auto r = hash_check(echo_binary(), "echo");
    EXPECT_EQ(r.code, 126) << r.out << r.err;
    expect_names(r.err, file, fix, "plugin-hash --check");
  }

  testing::TempDir dir_{"stockade-trust-", 0755};
  std::string whitelist_in_use_ = dir_.file("etc/whitelist");
};

TEST_P(TrustRoot, RootOwnedTreeWithSafeModesInTheStickyTmpIsAccepted) { expect_all_accept(); }

TEST_P(TrustRoot, WorldWritableWhitelistIsRefused) {
  ASSERT_EQ(::chmod(whitelist().c_str(), 0666), 0);
  const std::string fix = "chmod go-w " + whitelist();
  expect_jail_refuses(whitelist(), fix);
  expect_call_refuses(whitelist(), fix);
  expect_check_refuses(whitelist(), fix);
  expect_hash_check_refuses(whitelist(), fix);
}

TEST_P(TrustRoot, WhitelistOwnedByAnotherUserIsRefused) {
  ASSERT_EQ(::chown(whitelist().c_str(), stranger(), static_cast<gid_t>(-1)), 0);
  const std::string owner = "owned by uid " + std::to_string(stranger());
  expect_jail_refuses(whitelist(), owner);
  expect_call_refuses(whitelist(), "chown root " + whitelist());
  expect_check_refuses(whitelist(), owner);
  expect_hash_check_refuses(whitelist(), owner);
}

TEST_P(TrustRoot, FilesOwnedByTheUserStockadeRunsAsAreAccepted) {
  for (const auto& path : {whitelist(), config(), jail_manifest(), echo_manifest()}) {
    ASSERT_EQ(::chown(path.c_str(), self(), self()), 0) << path;
  }
  expect_all_accept();
}

TEST_P(TrustRoot, WorldWritableManifestIsRefused) {
  ASSERT_EQ(::chmod(jail_manifest().c_str(), 0666), 0);
  ASSERT_EQ(::chmod(echo_manifest().c_str(), 0666), 0);
  expect_jail_refuses(jail_manifest(), "chmod go-w " + jail_manifest());
  expect_call_refuses(echo_manifest(), "chmod go-w " + echo_manifest());
  expect_check_refuses(echo_manifest(), "chmod go-w " + echo_manifest());
}

TEST_P(TrustRoot, WorldWritableConfigIsRefused) {
  ASSERT_EQ(::chmod(config().c_str(), 0666), 0);
  const std::string fix = "chmod go-w " + config();
  expect_jail_refuses(config(), fix);
  expect_call_refuses(config(), fix);
  expect_check_refuses(config(), fix);
}

TEST_P(TrustRoot, WorldWritablePluginFolderIsRefused) {
  ASSERT_EQ(::chmod(plugin_folder().c_str(), 0777), 0);
  const std::string fix = "chmod go-w " + plugin_folder();
  expect_call_refuses(plugin_folder(), fix);
  expect_check_refuses(plugin_folder(), fix);
  // jail with that plugin's manifest.
  auto r = run({bin("stockade"), "jail", "--whitelist", whitelist(), "--manifest", echo_manifest(),
                "--", echo_binary()});
  EXPECT_EQ(r.code, 126) << r.err;
  expect_names(r.err, plugin_folder(), fix, "jail");
}

TEST_P(TrustRoot, WorldWritablePluginsDirectoryIsRefused) {
  const std::string plugins = etc("plugins");
  ASSERT_EQ(::chmod(plugins.c_str(), 0777), 0);
  expect_call_refuses(plugins, "chmod go-w " + plugins);
  expect_check_refuses(plugins, "chmod go-w " + plugins);
}

TEST_P(TrustRoot, GroupWritableAncestorOfAnotherGroupIsRefused) {
  const std::string folder = dir_.file("etc");
  ASSERT_EQ(::chown(folder.c_str(), 0, kOtherGroup), 0);
  ASSERT_EQ(::chmod(folder.c_str(), 0775), 0);
  const std::string fix = "chmod g-w " + folder;
  expect_jail_refuses(folder, fix);
  expect_call_refuses(folder, fix);
  expect_check_refuses(folder, fix);
  expect_hash_check_refuses(folder, fix);
}

TEST_P(TrustRoot, GroupWritableAncestorOfRootsGroupIsAccepted) {
  const std::string folder = dir_.file("etc");
  ASSERT_EQ(::chmod(folder.c_str(), 0775), 0);
  expect_all_accept();
}

TEST_P(TrustRoot, BinaryWritableByOthersIsRefused) {
  for (const auto& path : {probe(), echo_binary()}) {
    ASSERT_EQ(::chown(path.c_str(), 0, kOtherGroup), 0);
    ASSERT_EQ(::chmod(path.c_str(), 0775), 0);
  }
  expect_jail_refuses(probe(), "chmod g-w " + probe());
  expect_call_refuses(echo_binary(), "chmod g-w " + echo_binary());
  expect_check_refuses(echo_binary(), "chmod g-w " + echo_binary());
  // plugin-hash still answers the question asked, and warns.
  auto h = hash_check(echo_binary(), "echo");
  EXPECT_EQ(h.code, 0) << h.err;
  EXPECT_TRUE(contains(h.err, "warning")) << h.err;
  EXPECT_TRUE(contains(h.err, "chmod g-w " + echo_binary())) << h.err;
}

TEST_P(TrustRoot, BinaryOwnedByAnotherUserIsRefused) {
  ASSERT_EQ(::chown(probe().c_str(), stranger(), static_cast<gid_t>(-1)), 0);
  ASSERT_EQ(::chmod(probe().c_str(), 0755), 0);
  expect_jail_refuses(probe(), "owned by uid " + std::to_string(stranger()));
}

TEST_P(TrustRoot, SymlinkInStickyTmpIsFollowedAndItsOwnerMatters) {
  // Directly in /tmp: anyone can create entries there, and only the owner of
  // the link (or root) can replace it.
  const std::string link = dir_.path() + "-whitelist";
  ASSERT_EQ(::symlink(whitelist().c_str(), link.c_str()), 0);
  write_config(link);
  whitelist_in_use_ = link;
  ASSERT_EQ(::lchown(link.c_str(), self(), self()), 0);
  expect_all_accept();
  // Owned by someone else: refused (here the kernel's fs.protected_symlinks
  // refuses to follow it already; without it, the check does).
  ASSERT_EQ(::lchown(link.c_str(), stranger(), stranger()), 0);
  expect_jail_refuses(link, link);
  expect_call_refuses(link, link);
  expect_check_refuses(link, link);
  expect_hash_check_refuses(link, link);
  // The link's target's folders are checked too.
  ASSERT_EQ(::lchown(link.c_str(), self(), self()), 0);
  ASSERT_EQ(::chmod(dir_.file("etc").c_str(), 0777), 0);
  expect_jail_refuses(dir_.file("etc"), "chmod go-w " + dir_.file("etc"));
  expect_hash_check_refuses(dir_.file("etc"), "chmod go-w " + dir_.file("etc"));
  ::unlink(link.c_str());
}

TEST_P(TrustRoot, CheckListsEveryProblemAtOnce) {
  ASSERT_EQ(::chmod(config().c_str(), 0666), 0);
  ASSERT_EQ(::chmod(whitelist().c_str(), 0666), 0);
  ASSERT_EQ(::chmod(echo_manifest().c_str(), 0666), 0);
  ASSERT_EQ(::chown(echo_binary().c_str(), 0, kOtherGroup), 0);
  ASSERT_EQ(::chmod(echo_binary().c_str(), 0775), 0);
  auto r = check();
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  expect_names(r.out, config(), "chmod go-w " + config(), "check");
  expect_names(r.out, whitelist(), "chmod go-w " + whitelist(), "check");
  expect_names(r.out, echo_manifest(), "chmod go-w " + echo_manifest(), "check");
  expect_names(r.out, echo_binary(), "chmod g-w " + echo_binary(), "check");
}

INSTANTIATE_TEST_SUITE_P(AsRootAndNobody, TrustRoot, ::testing::Values(As::root, As::nobody),
                         [](const ::testing::TestParamInfo<As>& param_info) {
                           return std::string(param_info.param == As::root ? "root" : "uid65534");
                         });

}  // namespace
}  // namespace stockade
