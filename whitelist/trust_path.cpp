// check_trusted: sshd's StrictModes for stockade's trust root (trust_path.h).
#include "whitelist/trust_path.h"
#include "base/error.h"

#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstdio>
#include <deque>
#include <optional>
#include <vector>

#include "base/syscall.h"

namespace stockade {
namespace {

// The kernel's own bound on symlinks followed in one lookup (ELOOP).
constexpr int kMaxSymlinks = 40;
// Components walked in all (symlink targets included): a bound on the work a
// hostile symlink farm can make us do, far above any real path.
constexpr size_t kMaxSteps = 4096;

// Root can change anything anyway, and the effective uid is who we are: a
// file only they can write is as trustworthy as stockade's own binary.
bool trusted_uid(uid_t uid) { return uid == 0 || uid == ::geteuid(); }

std::string mode_octal(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

// "uid 1000 (alice)"; the name only when the user database has one.
std::string user_text(uid_t uid) {
  std::string out = "uid " + std::to_string(uid);
  std::vector<char> buf(16384);
  struct passwd pw {};
  struct passwd* found = nullptr;
  if (::getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) == 0 && found != nullptr) {
    out += std::string(" (") + found->pw_name + ")";
  }
  return out;
}

std::string group_text(gid_t gid) {
  std::string out = "gid " + std::to_string(gid);
  std::vector<char> buf(16384);
  struct group gr {};
  struct group* found = nullptr;
  if (::getgrgid_r(gid, &gr, buf.data(), buf.size(), &found) == 0 && found != nullptr) {
    out += std::string(" (") + found->gr_name + ")";
  }
  return out;
}

std::string describe(const struct stat& st) {
  return "owner " + user_text(st.st_uid) + ", group " + group_text(st.st_gid) + ", mode " +
         mode_octal(st.st_mode);
}

std::string join(const std::string& dir, const std::string& name) {
  return dir == "/" ? "/" + name : dir + "/" + name;
}

// Path components, without empty ones and ".": the kernel ignores both.
void split_into(std::deque<std::string>& out, std::string_view path, bool at_front) {
  std::vector<std::string> parts;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t slash = path.find('/', pos);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view part = path.substr(pos, slash - pos);
    if (!part.empty() && part != ".") parts.emplace_back(part);
    pos = slash + 1;
  }
  if (at_front) {
    out.insert(out.begin(), parts.begin(), parts.end());
  } else {
    out.insert(out.end(), parts.begin(), parts.end());
  }
}

// Whether the object open as `fd` carries a POSIX access ACL (the xattr
// exists only when there are entries beyond owner, group and other). Read
// through /proc/self/fd because getxattr does not take an O_PATH fd.
Result<bool> has_access_acl(int fd, const std::string& shown) {
  const std::string self = "/proc/self/fd/" + std::to_string(fd);
  if (::getxattr(self.c_str(), "system.posix_acl_access", nullptr, 0) >= 0) return true;
  if (errno == ENODATA || errno == EOPNOTSUPP) return false;
  return sys_error("cannot read the ACL (is /proc mounted?)", shown);
}

struct Walk {
  const std::string& path;  // as given: where every error points
  std::string_view what;

  Error refuse(std::string text) const {
    return Error{Errc::refused, std::move(text), path, 0};
  }

  std::string subject(const std::string& object, bool is_final) const {
    if (is_final) return "the " + std::string(what);
    return "the folder " + object + " on the " + std::string(what) + "'s path";
  }

  // Owner and write bits of one object. `fd` is open on it (for the ACL);
  // `below` is the entry under it when it is a folder on the path, which
  // decides whether the sticky bit makes its write bits harmless.
  Status check_object(int fd, const struct stat& st, const std::string& object, bool is_final,
                      const struct stat* below, const std::string& below_path) const {
    const std::string who = subject(object, is_final);
    // Whoever owns a file can chmod it and write it, whatever its mode says.
    if (!trusted_uid(st.st_uid)) {
      std::string self = ::geteuid() == 0 ? "root" : "root or " + user_text(::geteuid()) +
                                                         " (the user stockade runs as)";
      return refuse(who + " is owned by " + user_text(st.st_uid) + ", not by " +
                    self + " (" + describe(st) + "); its owner can change it. Fix: chown root " +
                    object);
    }
    const bool world = (st.st_mode & S_IWOTH) != 0;
    // Members of root's group are as trusted as root on Debian (no user is
    // in it by default); any other group is a set of users we do not know.
    const bool group = (st.st_mode & S_IWGRP) != 0 && st.st_gid != 0;
    if (world || group) {
      // In a sticky folder an entry can be renamed or removed only by its
      // owner, the folder's owner or root (unlink(2), EPERM): when the entry
      // below is ours, the other writers cannot touch our path.
      if (below != nullptr && S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX) != 0) {
        if (trusted_uid(below->st_uid)) return {};
        return refuse(below_path + " is owned by " + user_text(below->st_uid) +
                      " inside the sticky, shared folder " + object +
                      ", so its owner can replace it on the " + std::string(what) +
                      "'s path. Fix: chown root " + below_path + ", or move the " +
                      std::string(what) + " out of " + object);
      }
      const std::string whom = world && group ? group_text(st.st_gid) + " and every user"
                               : world        ? "every user"
                                              : group_text(st.st_gid);
      const std::string consequence = is_final && !S_ISDIR(st.st_mode)
                                          ? "they could rewrite it"
                                          : "they could replace what it holds";
      const std::string fix = world ? "chmod go-w " + object
                                    : "chmod g-w " + object + " (or chgrp root " + object + ")";
      return refuse(who + " is writable by " + whom + " (" + describe(st) +
                    "); " + consequence + ". Fix: " + fix);
    }
    // With an ACL the group bits are its mask: a group-write bit there lets
    // any named user or group entry write, which the mode does not show.
    if ((st.st_mode & S_IWGRP) != 0) {
      auto acl = has_access_acl(fd, object);
      if (!acl) return std::move(acl).error();
      if (*acl) {
        return refuse(who + " has a POSIX ACL whose mask grants write (" +
                      describe(st) + "); users or groups it names could write it. Fix: setfacl -b " +
                      object + " (or chmod g-w " + object + ")");
      }
    }
    return {};
  }

  Error changed() const {
    return refuse("the " + std::string(what) +
                  "'s path changed while it was being checked (a component was replaced); "
                  "try again, and find out who is changing it");
  }
};

struct Folder {
  UniqueFd fd;  // O_PATH
  std::string path;
  struct stat st {};
};

}  // namespace

Status check_trusted(int fd, const std::string& path, std::string_view what) {
  const Walk walk{path, what};
  struct stat target {};
  if (::fstat(fd, &target) != 0) return sys_error("cannot stat the " + std::string(what), path);
  if (path.empty()) return Error{Errc::invalid_input, "empty path for the " + std::string(what), {}, 0};

  std::deque<std::string> pending;
  if (path.front() != '/') {
    // A relative path hangs below the working folder: its folders count too.
    std::vector<char> cwd(PATH_MAX + 1);
    if (::getcwd(cwd.data(), cwd.size()) == nullptr) {
      return sys_error("cannot find the working folder to check the " + std::string(what), path);
    }
    split_into(pending, cwd.data(), false);
  }
  split_into(pending, path, false);

  // The physical folders from / to the current one, each open O_PATH: every
  // step is taken from the folder just checked, never by a new path lookup.
  std::vector<Folder> stack;
  {
    Folder root;
    root.fd = UniqueFd(retry_on_eintr([] { return ::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC); }));
    if (!root.fd || ::fstat(root.fd.get(), &root.st) != 0) return sys_error("cannot open /", path);
    root.path = "/";
    stack.push_back(std::move(root));
  }

  int links = 0;
  size_t steps = 0;
  while (!pending.empty()) {
    if (++steps > kMaxSteps) {
      return Error{Errc::limit, "more than " + std::to_string(kMaxSteps) +
                                    " path components to check (a symlink loop?)", path, 0};
    }
    const std::string name = std::move(pending.front());
    pending.pop_front();
    if (name == "..") {
      // The stack holds no symlinks, so ".." is its previous folder, as the
      // kernel resolves it (at / it stays at /).
      if (stack.size() > 1) stack.pop_back();
      continue;
    }
    const Folder& parent = stack.back();
    const std::string child_path = join(parent.path, name);
    struct stat st {};
    if (::fstatat(parent.fd.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT || errno == ENOTDIR) return walk.changed();
      return sys_error("cannot stat " + child_path + " on the " + std::string(what) + "'s path",
                       path);
    }
    // Whoever can write the folder can rename or replace this entry.
    if (auto ok = walk.check_object(parent.fd.get(), parent.st, parent.path, false, &st, child_path);
        !ok) {
      return ok;
    }
    if (S_ISLNK(st.st_mode)) {
      // The link itself cannot be changed, only replaced (its folder was just
      // checked); what matters next is where it leads.
      if (++links > kMaxSymlinks) {
        return sys_error("too many symlinks on the " + std::string(what) + "'s path", path, ELOOP);
      }
      std::vector<char> target_text(PATH_MAX + 1);
      const ssize_t n =
          ::readlinkat(parent.fd.get(), name.c_str(), target_text.data(), target_text.size());
      if (n < 0) return sys_error("cannot read the symlink " + child_path, path);
      if (static_cast<size_t>(n) >= target_text.size()) {
        return Error{Errc::limit, "the symlink " + child_path + " is longer than PATH_MAX", path, 0};
      }
      const std::string_view link(target_text.data(), static_cast<size_t>(n));
      if (!link.empty() && link.front() == '/') stack.resize(1);
      split_into(pending, link, true);
      continue;
    }
    if (pending.empty()) {
      // The last component: it must be the very file that is open.
      if (st.st_dev != target.st_dev || st.st_ino != target.st_ino) return walk.changed();
      stack.clear();
      break;
    }
    if (!S_ISDIR(st.st_mode)) return walk.changed();
    Folder next;
    next.fd = UniqueFd(retry_on_eintr([&] {
      return ::openat(parent.fd.get(), name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }));
    if (!next.fd) {
      if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP) return walk.changed();
      return sys_error("cannot open " + child_path + " on the " + std::string(what) + "'s path",
                       path);
    }
    if (::fstat(next.fd.get(), &next.st) != 0) return sys_error("cannot stat " + child_path, path);
    if (next.st.st_dev != st.st_dev || next.st.st_ino != st.st_ino) return walk.changed();
    next.path = child_path;
    stack.push_back(std::move(next));
  }
  // A path ending in a folder ("/", "x/.."): the folder reached is the target.
  if (!stack.empty()) {
    const struct stat& last = stack.back().st;
    if (last.st_dev != target.st_dev || last.st_ino != target.st_ino) return walk.changed();
  }
  // The object itself, as open: what is read or executed is what is checked.
  return walk.check_object(fd, target, path, true, nullptr, {});
}

Result<UniqueFd> open_trusted(const std::string& path, int flags, std::string_view what) {
  UniqueFd fd(retry_on_eintr([&] { return ::open(path.c_str(), flags | O_CLOEXEC); }));
  if (!fd) return sys_error("cannot open the " + std::string(what), path);
  if (auto ok = check_trusted(fd.get(), path, what); !ok) return std::move(ok).error();
  return fd;
}

}  // namespace stockade
