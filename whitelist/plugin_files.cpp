// seal_plugin_files and VerifiedPluginFiles (plugin_files.h).
#include "whitelist/plugin_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "base/error.h"
#include "base/syscall.h"
#include "whitelist/open_binary.h"
#include "whitelist/pinned_label.h"
#include "whitelist/trust_path.h"
#include "whitelist/whitelist.h"

namespace stockade {
namespace {

constexpr size_t kCopyBlock = 64 * 1024;

Error refused(const std::string& path, std::string what) {
  return Error{Errc::refused, std::move(what), path, 0};
}

// No symlink at any component, nothing above the folder: the file reached is
// the one the name says, whoever made links in the folder.
long open_beneath(int dirfd, const std::string& relative, uint64_t flags) {
  open_how how{};
  how.flags = flags | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  return retry_on_eintr(
      [&] { return ::syscall(SYS_openat2, dirfd, relative.c_str(), &how, sizeof(how)); });
}

struct Walker {
  const PluginFileSpec& spec;
  int folder_fd;
  std::vector<SealedFile> out;
  std::set<std::string> seen;
  uint64_t total = 0;

  std::string host(const std::string& relative) const {
    return spec.folder == "." ? relative : spec.folder + "/" + relative;
  }

  Status add(const std::string& relative, const std::string& field, bool endpoint, int depth) {
    const std::string path = host(relative);
    if (!is_pinnable_relative_path(relative)) {
      return Error{Errc::invalid_input,
                   "cannot be pinned: names are [A-Za-z0-9._+-], at most " +
                       std::to_string(kMaxPinnedPathBytes) + " bytes in all (" + field + ")",
                   path, 0};
    }
    if (depth > kMaxPluginFileDepth) {
      return Error{Errc::limit, "more than " + std::to_string(kMaxPluginFileDepth) +
                                    " folder levels below the plugin's (" + field + ")", path, 0};
    }
    UniqueFd at(static_cast<int>(open_beneath(folder_fd, relative, O_PATH)));
    if (!at) {
      if (errno == ENOENT) {
        return Error{Errc::not_found, "no such file (listed in the manifest's " + field + ")",
                     path, ENOENT};
      }
      if (errno == ELOOP) {
        return refused(path, "is or passes through a symbolic link (" + field +
                                 "); pinned files are opened without following any: put the "
                                 "file itself in the plugin's folder");
      }
      if (errno == EXDEV) return refused(path, "leads outside the plugin's folder (" + field + ")");
      if (errno == ENOSYS) {
        return refused(path, "cannot be opened safely: this kernel has no openat2 (Linux 5.6)");
      }
      return sys_error("cannot open (" + field + ")", path);
    }
    struct stat st {};
    if (::fstat(at.get(), &st) != 0) return sys_error("cannot stat", path);
    if (S_ISDIR(st.st_mode)) {
      if (endpoint) return refused(path, "is a folder; the endpoint must be the script");
      return add_folder(at.get(), relative, field, depth);
    }
    if (!S_ISREG(st.st_mode)) {
      return refused(path, "is not a regular file (" + field + "); only files can be pinned");
    }
    if (!seen.insert(relative).second) return {};
    if (out.size() >= kMaxPluginFiles) {
      return Error{Errc::limit, "more than " + std::to_string(kMaxPluginFiles) +
                                    " files to pin (" + field + ")", path, 0};
    }
    auto sealed = seal(at.get(), relative, path);
    if (!sealed) return std::move(sealed).error();
    sealed->endpoint = endpoint;
    out.push_back(std::move(*sealed));
    return {};
  }

  Status add_folder(int at, const std::string& relative, const std::string& field, int depth) {
    UniqueFd dir(retry_on_eintr(
        [&] { return ::openat(at, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC); }));
    if (!dir) return sys_error("cannot open folder (" + field + ")", host(relative));
    DIR* stream = ::fdopendir(dir.get());
    if (stream == nullptr) return sys_error("cannot list folder", host(relative));
    dir.release();  // closedir closes it
    std::vector<std::string> names;
    errno = 0;
    while (dirent* entry = ::readdir(stream)) {
      const std::string name = entry->d_name;
      // Python's byte-code caches: the sandbox's copy is read-only and
      // compiled afresh, so the host's caches are neither needed nor pinned.
      if (name == "." || name == ".." || name == "__pycache__") continue;
      if (names.size() >= kMaxPluginFiles) break;
      names.push_back(name);
    }
    const int err = errno;
    ::closedir(stream);
    if (err != 0) return sys_error("cannot list folder", host(relative), err);
    // Sorted: the same folder prints the same whitelist lines.
    std::sort(names.begin(), names.end());
    for (const std::string& name : names) {
      if (auto ok = add(relative + "/" + name, field, false, depth + 1); !ok) return ok;
    }
    return {};
  }

  Result<SealedFile> seal(int at, const std::string& relative, const std::string& path) {
    // Reopened through the O_PATH fd, not the name: the inode already checked.
    const std::string self = "/proc/self/fd/" + std::to_string(at);
    UniqueFd file(retry_on_eintr(
        [&] { return ::open(self.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK); }));
    if (!file) return sys_error("cannot open for reading", path);
    struct stat before {};
    if (::fstat(file.get(), &before) != 0) return sys_error("cannot stat", path);
    // Whoever can change the file or a folder on its path could change what
    // is pinned between two launches; the same rule as for binaries.
    if (auto trusted = check_trusted(file.get(), path, "plugin file"); !trusted) {
      return std::move(trusted).error();
    }
    if (static_cast<uint64_t>(before.st_size) > kMaxPluginFileBytes) {
      return Error{Errc::limit, "larger than " + std::to_string(kMaxPluginFileBytes) + " bytes",
                   path, 0};
    }
    total += static_cast<uint64_t>(before.st_size);
    if (total > kMaxPluginFilesTotalBytes) {
      return Error{Errc::limit, "the plugin's files exceed " +
                                    std::to_string(kMaxPluginFilesTotalBytes) + " bytes in all",
                   path, 0};
    }
    const std::string memfd_name = "stockade-pinned";
    UniqueFd copy(::memfd_create(memfd_name.c_str(), MFD_CLOEXEC | MFD_ALLOW_SEALING));
    if (!copy) return sys_error("cannot create the sealed copy", "memfd_create");
    std::vector<char> block(kCopyBlock);
    uint64_t copied = 0;
    for (;;) {
      const ssize_t n = retry_on_eintr([&] { return ::read(file.get(), block.data(), block.size()); });
      if (n < 0) return sys_error("cannot read", path);
      if (n == 0) break;
      copied += static_cast<uint64_t>(n);
      if (copied > kMaxPluginFileBytes) {
        return refused(path, "grew while being copied");
      }
      size_t done = 0;
      while (done < static_cast<size_t>(n)) {
        const ssize_t w = retry_on_eintr(
            [&] { return ::write(copy.get(), block.data() + done, static_cast<size_t>(n) - done); });
        if (w < 0) return sys_error("cannot write the sealed copy", path);
        done += static_cast<size_t>(w);
      }
    }
    struct stat after {};
    if (::fstat(file.get(), &after) != 0) return sys_error("cannot stat", path);
    if (!whitelist_internal::same_content_state(before, after) ||
        copied != static_cast<uint64_t>(after.st_size)) {
      return refused(path, "changed (content, size or links) while being copied; try again, and "
                           "find out who is writing it");
    }
    if (::fcntl(copy.get(), F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) !=
        0) {
      return sys_error("cannot seal the copy", path);
    }
    // Hashed from the sealed copy: the digest is of the very bytes provided.
    uint64_t hashed = 0;
    auto digest = sha256_of_fd(copy.get(), &hashed);
    if (!digest) {
      Error e = std::move(digest).error();
      e.where = path;
      return e;
    }
    if (hashed != copied) return Error{Errc::internal, "the sealed copy changed size", path, 0};
    SealedFile sealed;
    sealed.relative = relative;
    sealed.host_path = path;
    sealed.fd = std::move(copy);
    sealed.size = copied;
    sealed.digest = *digest;
    return sealed;
  }
};

}  // namespace

Result<std::vector<SealedFile>> seal_plugin_files(const PluginFileSpec& spec) {
  const std::string folder = spec.folder.empty() ? "." : spec.folder;
  UniqueFd folder_fd(retry_on_eintr(
      [&] { return ::open(folder.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC); }));
  if (!folder_fd) return sys_error("cannot open the plugin's folder", folder);
  if (auto trusted = check_trusted(folder_fd.get(), folder, "plugin folder"); !trusted) {
    return std::move(trusted).error();
  }
  PluginFileSpec normalized = spec;
  normalized.folder = folder;
  Walker walker{normalized, folder_fd.get(), {}, {}, 0};
  if (auto ok = walker.add(spec.endpoint, "endpoint", true, 0); !ok) return std::move(ok).error();
  for (size_t i = 0; i < spec.files.size(); ++i) {
    const std::string field = "files[" + std::to_string(i) + "]";
    if (auto ok = walker.add(spec.files[i], field, false, 0); !ok) return std::move(ok).error();
  }
  return std::move(walker.out);
}

std::string label_of(std::string_view plugin, const SealedFile& file) {
  return file.endpoint ? std::string(plugin) : file_label(plugin, file.relative);
}

Result<VerifiedPluginFiles> VerifiedPluginFiles::verify(std::vector<SealedFile> files,
                                                        std::string_view plugin,
                                                        const Whitelist& whitelist) {
  for (const SealedFile& f : files) {
    const std::string label = label_of(plugin, f);
    if (whitelist.allows(label, f.digest)) continue;
    const std::string hex = to_hex(f.digest);
    std::string what = whitelist.has_name(label)
                           ? "not whitelisted: sha256 " + hex +
                                 " is not among the digests pinned for \"" + label +
                                 "\" (changed since it was pinned?)"
                           : "not whitelisted: no digest is pinned for \"" + label + "\" (sha256 " +
                                 hex + ")";
    what += "; if this content is intended, pin the plugin again: plugin-hash --plugin FOLDER "
            ">> WHITELIST";
    return Error{Errc::refused, std::move(what), f.host_path, 0};
  }
  VerifiedPluginFiles verified;
  verified.files_ = std::move(files);
  return verified;
}

VerifiedPluginFiles VerifiedPluginFiles::unverified(std::vector<SealedFile> files,
                                                    std::string_view plugin,
                                                    DangerousDevelopmentMode) {
  const std::string warning = "WARNING: development mode: the script and " +
                              std::to_string(files.empty() ? 0 : files.size() - 1) +
                              " file(s) of \"" + std::string(plugin) +
                              "\" are provided UNVERIFIED; no whitelist was checked\n";
  (void)!::write(STDERR_FILENO, warning.data(), warning.size());
  VerifiedPluginFiles result;
  result.files_ = std::move(files);
  return result;
}

}  // namespace stockade
