#include "config/control_config.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <utility>
#include <vector>

#include "config/config.h"
#include "config/name_rules.h"
#include "whitelist/whitelist.h"

namespace stockade::supervisor {
namespace {

constexpr const char* kIdentityKeys[] = {"uid", "gid", "user", "group"};

bool all_digits(const std::string& s) {
  if (s.empty() || s.size() > 10) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// "0660" or "660": permission bits only. setuid, setgid and sticky bits mean
// nothing on a socket, so a leading digit other than 0 is a typo.
std::optional<uint32_t> parse_mode(const std::string& text) {
  std::string digits = text;
  if (digits.size() == 4 && digits.front() == '0') digits.erase(0, 1);
  if (digits.size() != 3) return std::nullopt;
  uint32_t mode = 0;
  for (char c : digits) {
    if (c < '0' || c > '7') return std::nullopt;
    mode = mode * 8 + static_cast<uint32_t>(c - '0');
  }
  return mode;
}

void read_client(ObjectReader& r, const std::string& where, ClientRule& out, Problems& problems) {
  std::vector<std::string> present;
  for (const char* key : kIdentityKeys) {
    if (r.has(key)) present.emplace_back(key);
  }
  // One identity an entry: an entry naming a uid and a group would leave the
  // reader guessing whether both must hold or either.
  if (present.empty()) {
    problems.push_back(Error{Errc::invalid_input,
                             "needs one of \"uid\", \"gid\", \"user\" or \"group\": whom it admits",
                             where});
  } else if (present.size() > 1) {
    problems.push_back(Error{Errc::invalid_input,
                             "has both \"" + present[0] + "\" and \"" + present[1] +
                                 "\": one identity an entry (write two entries to admit both)",
                             r.where(present[1])});
  }
  uint32_t uid = 0;
  uint32_t gid = 0;
  r.integer("uid", uid, 0, 0xfffffffe);
  r.integer("gid", gid, 0, 0xfffffffe);
  r.string("user", out.name, {1, kMaxClientNameBytes});
  r.string("group", out.name, {1, kMaxClientNameBytes});
  if (r.has("uid")) {
    out.match = ClientRule::Match::uid;
    out.id = uid;
  } else if (r.has("gid")) {
    out.match = ClientRule::Match::gid;
    out.id = gid;
  } else if (r.has("user")) {
    out.match = ClientRule::Match::user;
  } else if (r.has("group")) {
    out.match = ClientRule::Match::group;
  }
  r.string_list("plugins", out.plugins, kMaxConfigListItems, {1, kMaxClientNameBytes});
  r.boolean("admin", out.admin);
}

}  // namespace

void read_control(ObjectReader& r, ControlSocket& out, Problems& problems) {
  r.string("socket", out.socket, {1, kMaxSocketPathBytes});
  std::string mode;
  r.string("mode", mode, {3, 4});
  if (!mode.empty()) {
    if (auto bits = parse_mode(mode)) {
      out.mode = *bits;
    } else {
      problems.push_back(Error{Errc::invalid_input,
                               "must be octal permission bits such as \"0660\" (got " +
                                   json_excerpt(mode) + ")",
                               r.where("mode")});
    }
  }
  r.string("group", out.group, {1, kMaxClientNameBytes});
}

void read_clients(ObjectReader& r, const std::string& source, std::vector<ClientRule>& out,
                  Problems& problems) {
  std::vector<ClientRule> rules;
  r.object_list("clients", kMaxConfigListItems, [&](ObjectReader& entry, size_t) {
    ClientRule rule;
    read_client(entry, source.empty() ? entry.path() : source + ": " + entry.path(), rule,
                problems);
    rules.push_back(std::move(rule));
  });
  out = std::move(rules);
}

void validate_control(const Config& c, Problems& problems) {
  auto fail = [&](const std::string& path, std::string what) {
    std::string where = c.source.empty() ? path : c.source + ": " + path;
    problems.push_back(Error{Errc::invalid_input, std::move(what), std::move(where)});
  };
  if (!is_normalized_absolute_path(c.control.socket) || c.control.socket == "/") {
    fail("control.socket",
         "must be an absolute path without \".\", \"..\" or empty components (got " +
             json_excerpt(c.control.socket) + ")");
  }
  // Anyone who can connect can try the access list; o+w would let every
  // local user reach it (and whoever is listed by group must not need it).
  if ((c.control.mode & 0002) != 0) {
    fail("control.mode", "must not be world-writable: connecting needs write permission, so "
                         "o+w opens the socket to every local user (use a group, e.g. \"0660\")");
  }
  if ((c.control.mode & 0200) == 0) {
    fail("control.mode", "must let the owner write (the daemon's own user connects for checks)");
  }
  if (!c.control.group.empty() && !is_printable_text(c.control.group)) {
    fail("control.group", "must be a group name or a decimal gid, without control characters");
  }
  for (size_t i = 0; i < c.clients.size(); ++i) {
    const ClientRule& rule = c.clients[i];
    const std::string path = "clients[" + std::to_string(i) + "]";
    if (!rule.name.empty() && !is_printable_text(rule.name)) {
      fail(path + (rule.match == ClientRule::Match::user ? ".user" : ".group"),
           "must be a name without control characters");
    }
    if (rule.plugins.empty() && !rule.admin) {
      fail(path, "grants nothing: give \"plugins\" (names, or [\"*\"]) or \"admin\": true");
    }
    for (size_t j = 0; j < rule.plugins.size(); ++j) {
      const std::string& name = rule.plugins[j];
      const std::string item = path + ".plugins[" + std::to_string(j) + "]";
      if (name == "*") {
        if (rule.plugins.size() > 1) {
          fail(item, "\"*\" already means every plugin: list it alone");
        }
      } else if (!is_valid_plugin_name(name)) {
        fail(item, "must be \"*\" or a plugin name: 1 to 128 of [A-Za-z0-9._-], not starting "
                   "with '.' or '-' (got " + json_excerpt(name) + ")");
      }
    }
  }
}

namespace {

// NSS lookups with a buffer that grows on ERANGE, as getpw*_r(3) prescribes.
template <typename Entry, typename Fn>
bool lookup_entry(const std::string& name, Entry& entry, Fn fn) {
  std::vector<char> buffer(1024);
  for (;;) {
    Entry* found = nullptr;
    const int rc = fn(name.c_str(), &entry, buffer.data(), buffer.size(), &found);
    if (rc == ERANGE && buffer.size() < (1u << 20)) {
      buffer.resize(buffer.size() * 2);
      continue;
    }
    return rc == 0 && found != nullptr;
  }
}

std::optional<uid_t> system_user(const std::string& name) {
  passwd entry{};
  if (!lookup_entry(name, entry, getpwnam_r)) return std::nullopt;
  return entry.pw_uid;
}

std::optional<gid_t> system_group(const std::string& name) {
  group entry{};
  if (!lookup_entry(name, entry, getgrnam_r)) return std::nullopt;
  return entry.gr_gid;
}

}  // namespace

NameLookup system_name_lookup() { return NameLookup{system_user, system_group}; }

void resolve_control_names(Config& c, const NameLookup& lookup, Problems& problems) {
  auto fail = [&](const std::string& path, std::string what) {
    std::string where = c.source.empty() ? path : c.source + ": " + path;
    problems.push_back(Error{Errc::invalid_input, std::move(what), std::move(where)});
  };
  c.control.group_id.reset();
  if (all_digits(c.control.group)) {
    const unsigned long gid = std::stoul(c.control.group);
    if (gid > 0xfffffffe) {
      fail("control.group", "gid " + c.control.group + " is out of range");
    } else {
      c.control.group_id = static_cast<gid_t>(gid);
    }
  } else if (!c.control.group.empty()) {
    c.control.group_id = lookup.group(c.control.group);
    if (!c.control.group_id) {
      fail("control.group", "no group named " + json_excerpt(c.control.group) +
                                " on this host (add it, or give a gid)");
    }
  }
  for (size_t i = 0; i < c.clients.size(); ++i) {
    ClientRule& rule = c.clients[i];
    const std::string path = "clients[" + std::to_string(i) + "]";
    if (rule.match == ClientRule::Match::user) {
      rule.id = lookup.user(rule.name);
      if (!rule.id) {
        fail(path + ".user", "no user named " + json_excerpt(rule.name) +
                                 " on this host (add it, or give a uid)");
      }
    } else if (rule.match == ClientRule::Match::group) {
      rule.id = lookup.group(rule.name);
      if (!rule.id) {
        fail(path + ".group", "no group named " + json_excerpt(rule.name) +
                                  " on this host (add it, or give a gid)");
      }
    }
  }
}

}  // namespace stockade::supervisor
