// The config's keys for `stockade serve`: "control" (socket, mode, group) and
// "clients" (the access list): defaults, every key, strictness naming the key
// path, name resolution at load, and the pure matcher.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/access_list.h"
#include "config/config.h"
#include "config/control_config.h"
#include "tests/support/temp_dir.h"

namespace stockade::supervisor {
namespace {

// Every problem parse + validate find in `text`, as the user reads them.
std::vector<std::string> control_problems(const std::string& text) {
  Problems problems;
  auto config = parse_config(text, "stockade.json", &problems);
  if (config) (void)validate_config(*config, &problems);
  std::vector<std::string> out;
  for (const auto& p : problems) out.push_back(p.message());
  return out;
}

// True when some problem contains `text`.
::testing::AssertionResult has_problem(const std::string& config, const std::string& text) {
  const auto problems = control_problems(config);
  std::string all;
  for (const auto& p : problems) {
    if (p.find(text) != std::string::npos) return ::testing::AssertionSuccess();
    all += "\n  " + p;
  }
  return ::testing::AssertionFailure() << "no problem contains \"" << text << "\"; got:" << all;
}

Config parsed_control_config(const std::string& text) {
  auto c = parse_config(text, "stockade.json");
  EXPECT_TRUE(c) << c.error().message();
  EXPECT_TRUE(validate_config(*c));
  return c ? *c : Config{};
}

TEST(ControlConfig, DefaultsAreTheRunDirectorySocketGroupOnlyAndNobodyAdmitted) {
  Config c = parsed_control_config("{}");
  EXPECT_EQ(c.control.socket, "/run/stockade/control.sock");
  EXPECT_EQ(c.control.mode, 0660u);
  EXPECT_EQ(c.control.group, "");
  EXPECT_FALSE(c.control.group_id);
  EXPECT_TRUE(c.clients.empty());
}

TEST(ControlConfig, EveryKeyIsRead) {
  Config c = parsed_control_config(R"({
    "control": {"socket": "/run/stk/ctl.sock", "mode": "0640", "group": "stockade"},
    "clients": [
      {"uid": 1000, "plugins": ["echo", "calculator"]},
      {"gid": 2000, "plugins": ["*"], "admin": true},
      {"user": "alice", "plugins": ["echo"], "admin": false},
      {"group": "ops", "admin": true}
    ]
  })");
  EXPECT_EQ(c.control.socket, "/run/stk/ctl.sock");
  EXPECT_EQ(c.control.mode, 0640u);
  EXPECT_EQ(c.control.group, "stockade");
  ASSERT_EQ(c.clients.size(), 4u);
  EXPECT_EQ(c.clients[0].match, ClientRule::Match::uid);
  EXPECT_EQ(c.clients[0].id, std::optional<uint32_t>(1000));
  EXPECT_EQ(c.clients[0].plugins, (std::vector<std::string>{"echo", "calculator"}));
  EXPECT_FALSE(c.clients[0].admin);
  EXPECT_EQ(c.clients[1].match, ClientRule::Match::gid);
  EXPECT_EQ(c.clients[1].id, std::optional<uint32_t>(2000));
  EXPECT_TRUE(c.clients[1].admin);
  EXPECT_EQ(c.clients[2].match, ClientRule::Match::user);
  EXPECT_EQ(c.clients[2].name, "alice");
  EXPECT_FALSE(c.clients[2].id);  // parse does not touch the user database
  EXPECT_EQ(c.clients[3].match, ClientRule::Match::group);
  EXPECT_EQ(c.clients[3].name, "ops");
  EXPECT_TRUE(c.clients[3].plugins.empty());
}

TEST(ControlConfig, ModeIsThreeOrFourOctalDigitsAndNeverWorldWritable) {
  EXPECT_EQ(parsed_control_config(R"({"control": {"mode": "600"}})").control.mode, 0600u);
  EXPECT_TRUE(has_problem(R"({"control": {"mode": "0666"}})",
                          "stockade.json: control.mode: must not be world-writable"));
  EXPECT_TRUE(has_problem(R"({"control": {"mode": "0777"}})", "control.mode: must not be world"));
  EXPECT_TRUE(has_problem(R"({"control": {"mode": "1660"}})",
                          "control.mode: must be octal permission bits such as \"0660\" (got "
                          "\"1660\")"));
  EXPECT_TRUE(has_problem(R"({"control": {"mode": "0689"}})", "control.mode: must be octal"));
  EXPECT_TRUE(has_problem(R"({"control": {"mode": 660}})",
                          "control.mode: must be a string of 3 to 4 bytes"));
  EXPECT_TRUE(has_problem(R"({"control": {"mode": "0460"}})",
                          "control.mode: must let the owner write"));
}

TEST(ControlConfig, SocketIsAnAbsolutePathThatFitsSunPath) {
  EXPECT_TRUE(has_problem(R"({"control": {"socket": "run/ctl.sock"}})",
                          "control.socket: must be an absolute path"));
  EXPECT_TRUE(has_problem(R"({"control": {"socket": "/run/../tmp/ctl.sock"}})",
                          "control.socket: must be an absolute path"));
  const std::string long_path = "/" + std::string(107, 'a');
  EXPECT_TRUE(has_problem(R"({"control": {"socket": ")" + long_path + R"("}})",
                          "control.socket: must be a string of 1 to 107 bytes"));
}

TEST(ControlConfig, UnknownDuplicateAndMistypedKeysAreRefusedByKeyPath) {
  EXPECT_TRUE(has_problem(R"({"control": {"path": "/x"}})", "control.path: unknown key"));
  EXPECT_TRUE(has_problem(R"({"clients": [{"uid": 1, "plugins": ["*"], "admins": true}]})",
                          "stockade.json: clients[0].admins: unknown key"));
  EXPECT_TRUE(has_problem(R"({"clients": [{"uid": 1, "uid": 2, "plugins": ["*"]}]})",
                          "duplicate key"));
  EXPECT_TRUE(has_problem(R"({"clients": [{"uid": 1, "plugins": ["*"], "admin": "yes"}]})",
                          "clients[0].admin: must be true or false"));
  EXPECT_TRUE(has_problem(R"({"clients": [{"uid": -1, "plugins": ["*"]}]})",
                          "clients[0].uid: must be an integer from 0 to 4294967294"));
  EXPECT_TRUE(has_problem(R"({"clients": [{"user": 7, "plugins": ["*"]}]})",
                          "clients[0].user: must be a string"));
  EXPECT_TRUE(has_problem(R"({"clients": [{"uid": 1, "plugins": "echo"}]})",
                          "clients[0].plugins: must be an array of at most 256 strings"));
  EXPECT_TRUE(has_problem(R"({"clients": {"uid": 1}})",
                          "stockade.json: clients: must be an array of at most 256 objects"));
  EXPECT_TRUE(has_problem(R"({"clients": [{"uid": 1, "plugins": ["*"]}, 5]})",
                          "stockade.json: clients[1]: must be an object (got 5)"));
  std::string many = R"({"clients": [)";
  for (int i = 0; i < 257; ++i) many += std::string(i ? "," : "") + R"({"uid": 1, "admin": true})";
  EXPECT_TRUE(
      has_problem(many + "]}", "clients: must be an array of at most 256 objects (got 257)"));
}

TEST(ControlConfig, AnEntryNamesExactlyOneIdentity) {
  EXPECT_TRUE(has_problem(R"({"clients": [{"plugins": ["*"]}]})",
                          "stockade.json: clients[0]: needs one of \"uid\", \"gid\", \"user\" or "
                          "\"group\""));
  EXPECT_TRUE(has_problem(R"({"clients": [{"uid": 1, "user": "bob", "plugins": ["*"]}]})",
                          "clients[0].user: has both \"uid\" and \"user\": one identity an entry"));
}

TEST(ControlConfig, PluginsAreNamesOrAStarAloneAndAnEntryGrantsSomething) {
  EXPECT_TRUE(has_problem(R"({"clients": [{"uid": 1, "plugins": ["*", "echo"]}]})",
                          "clients[0].plugins[0]: \"*\" already means every plugin"));
  EXPECT_TRUE(has_problem(R"({"clients": [{"uid": 1, "plugins": ["../etc"]}]})",
                          "clients[0].plugins[0]: must be \"*\" or a plugin name"));
  EXPECT_TRUE(has_problem(R"({"clients": [{"uid": 1}]})", "clients[0]: grants nothing"));
  EXPECT_TRUE(has_problem(R"({"clients": [{"uid": 1, "plugins": [], "admin": false}]})",
                          "clients[0]: grants nothing"));
}

// A user database of two entries, for resolution without the host's.
std::optional<uid_t> fake_user(const std::string& name) {
  if (name == "alice") return 1001;
  return std::nullopt;
}
std::optional<gid_t> fake_group(const std::string& name) {
  if (name == "ops") return 3003;
  return std::nullopt;
}

TEST(ControlConfig, NamesResolveToIdsAndAnUnknownNameIsAProblemNamingTheKey) {
  Config c = parsed_control_config(R"({
    "control": {"group": "ops"},
    "clients": [{"user": "alice", "plugins": ["*"]}, {"group": "ops", "admin": true},
                {"user": "mallory", "plugins": ["*"]}, {"group": "nobody-here", "admin": true}]
  })");
  Problems problems;
  resolve_control_names(c, NameLookup{fake_user, fake_group}, problems);
  EXPECT_EQ(c.control.group_id, std::optional<gid_t>(3003));
  EXPECT_EQ(c.clients[0].id, std::optional<uint32_t>(1001));
  EXPECT_EQ(c.clients[1].id, std::optional<uint32_t>(3003));
  EXPECT_FALSE(c.clients[2].id);
  EXPECT_FALSE(c.clients[3].id);
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0].message(),
            "stockade.json: clients[2].user: no user named \"mallory\" on this host (add it, or "
            "give a uid)");
  EXPECT_EQ(problems[1].message(),
            "stockade.json: clients[3].group: no group named \"nobody-here\" on this host (add "
            "it, or give a gid)");
}

TEST(ControlConfig, ANumericGroupIsAGidWithoutLookup) {
  Config c = parsed_control_config(R"({"control": {"group": "4242"}})");
  Problems problems;
  resolve_control_names(c, NameLookup{fake_user, fake_group}, problems);
  EXPECT_TRUE(problems.empty());
  EXPECT_EQ(c.control.group_id, std::optional<gid_t>(4242));
}

TEST(ControlConfig, LoadConfigResolvesNamesAgainstTheHostsUserDatabase) {
  testing::TempDir dir;
  testing::write_file(dir.file("stockade.json"), R"({
    "control": {"group": "root"},
    "clients": [{"user": "root", "admin": true}, {"group": "root", "plugins": ["echo"]}]
  })");
  auto c = load_config(dir.file("stockade.json"));
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->control.group_id, std::optional<gid_t>(0));
  EXPECT_EQ(c->clients[0].id, std::optional<uint32_t>(0));
  EXPECT_EQ(c->clients[1].id, std::optional<uint32_t>(0));

  testing::write_file(dir.file("unknown.json"),
                      R"({"clients": [{"user": "stockade-test-no-such-user", "admin": true}]})");
  Problems problems;
  auto refused = load_config(dir.file("unknown.json"), &problems);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message().find(
                "clients[0].user: no user named \"stockade-test-no-such-user\" on this host"),
            std::string::npos)
      << refused.error().message();
}

ClientRule access_rule(ClientRule::Match match, uint32_t id, std::vector<std::string> plugins,
                bool admin = false) {
  ClientRule r;
  r.match = match;
  r.id = id;
  r.plugins = std::move(plugins);
  r.admin = admin;
  return r;
}

TEST(AccessList, APeerMatchedByNoEntryIsRefused) {
  const std::vector<ClientRule> clients = {access_rule(ClientRule::Match::uid, 1000, {"echo"})};
  const ClientAccess access = match_client(clients, {.uid = 1001, .gid = 1001, .groups = {}});
  EXPECT_FALSE(access.matched);
  EXPECT_FALSE(access.may_call("echo"));
  EXPECT_FALSE(access.admin);
  EXPECT_FALSE(match_client({}, {.uid = 1000, .gid = 1000, .groups = {}}).matched);
}

TEST(AccessList, UidAndUserEntriesMatchTheUidGidAndGroupEntriesAnyGroup) {
  const std::vector<ClientRule> clients = {
      access_rule(ClientRule::Match::user, 1000, {"echo"}),
      access_rule(ClientRule::Match::gid, 2000, {"calculator"}),
      access_rule(ClientRule::Match::group, 3000, {"reporter"}),
  };
  ClientAccess by_uid = match_client(clients, {.uid = 1000, .gid = 50, .groups = {}});
  EXPECT_TRUE(by_uid.matched);
  EXPECT_EQ(by_uid.plugins, (std::vector<std::string>{"echo"}));
  ClientAccess by_primary = match_client(clients, {.uid = 7, .gid = 2000, .groups = {}});
  EXPECT_EQ(by_primary.plugins, (std::vector<std::string>{"calculator"}));
  ClientAccess by_supplementary = match_client(clients, {.uid = 7, .gid = 7, .groups = {9, 3000}});
  EXPECT_EQ(by_supplementary.plugins, (std::vector<std::string>{"reporter"}));
  // A uid entry does not match a gid of the same number.
  EXPECT_FALSE(match_client(clients, {.uid = 7, .gid = 1000, .groups = {1000}}).matched);
}

TEST(AccessList, MatchingEntriesAddUpWhateverTheirOrder) {
  const std::vector<ClientRule> clients = {
      access_rule(ClientRule::Match::uid, 1000, {"echo", "calculator"}),
      access_rule(ClientRule::Match::gid, 2000, {"echo"}, /*admin=*/true),
      access_rule(ClientRule::Match::uid, 1000, {"reporter"}),
  };
  ClientAccess access = match_client(clients, {.uid = 1000, .gid = 2000, .groups = {}});
  EXPECT_TRUE(access.admin);
  EXPECT_FALSE(access.all_plugins);
  EXPECT_EQ(access.plugins, (std::vector<std::string>{"calculator", "echo", "reporter"}));
  EXPECT_TRUE(access.may_call("reporter"));
  EXPECT_FALSE(access.may_call("other"));
  std::vector<ClientRule> reversed(clients.rbegin(), clients.rend());
  ClientAccess again = match_client(reversed, {.uid = 1000, .gid = 2000, .groups = {}});
  EXPECT_EQ(again.plugins, access.plugins);
  EXPECT_EQ(again.admin, access.admin);
}

TEST(AccessList, StarGrantsEveryPluginAndAdminAloneGrantsNone) {
  const std::vector<ClientRule> clients = {access_rule(ClientRule::Match::uid, 1, {"*"}),
                                           access_rule(ClientRule::Match::uid, 2, {}, true)};
  ClientAccess all = match_client(clients, {.uid = 1, .gid = 1, .groups = {}});
  EXPECT_TRUE(all.all_plugins);
  EXPECT_TRUE(all.may_call("anything"));
  EXPECT_FALSE(all.admin);
  ClientAccess admin = match_client(clients, {.uid = 2, .gid = 2, .groups = {}});
  EXPECT_TRUE(admin.matched);
  EXPECT_TRUE(admin.admin);
  EXPECT_FALSE(admin.may_call("echo"));
}

TEST(AccessList, AnUnresolvedNameMatchesNobodyAndRootIsNotSpecial) {
  ClientRule unresolved;
  unresolved.match = ClientRule::Match::user;
  unresolved.name = "alice";
  unresolved.plugins = {"*"};
  unresolved.admin = true;
  EXPECT_FALSE(match_client({unresolved}, {.uid = 0, .gid = 0, .groups = {}}).matched);
  const std::vector<ClientRule> clients = {access_rule(ClientRule::Match::uid, 1000, {"*"}, true)};
  EXPECT_FALSE(match_client(clients, {.uid = 0, .gid = 0, .groups = {0}}).matched);
}

}  // namespace
}  // namespace stockade::supervisor
