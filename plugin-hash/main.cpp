// plugin-hash: prints whitelist lines for plugin binaries, or checks them
// against a whitelist. See --help and docs/operators.md ("Whitelist and plugin-hash").
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "base/syscall.h"
#include "base/error.h"
#include "config/manifest.h"
#include "plugin-hash/options.h"
#include "whitelist/pinned_label.h"
#include "whitelist/plugin_files.h"
#include "whitelist/trust_path.h"
#include "whitelist/whitelist.h"

namespace stockade::plugin_hash {
namespace {

void print_error(const std::string& text) { std::fprintf(stderr, "plugin-hash: %s\n", text.c_str()); }

std::string base_name(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

void print_warning(const std::string& text) {
  std::fprintf(stderr, "plugin-hash: warning: %s\n", text.c_str());
}

// Pinning a file stockade would refuse to run is a mistake found late (at the
// first launch, on another host): say so now, on stderr, and pin it anyway.
void warn_if_stockade_would_refuse(int fd, const struct stat& st, const std::string& path) {
  if ((st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)) == 0) {
    print_warning(path + ": is not executable; stockade refuses to run it. Fix: chmod +x " + path);
  }
  if (auto trusted = check_trusted(fd, path, "binary"); !trusted) {
    print_warning(trusted.error().message() + "; stockade refuses to run it");
  }
  char magic[4] = {};
  const ssize_t n = retry_on_eintr([&] { return pread(fd, magic, sizeof magic, 0); });
  if (n >= 2 && magic[0] == '#' && magic[1] == '!') {
    print_warning(path + ": is a script (#!): stockade runs a script only as an interpreted "
                         "plugin (manifest \"interpreter\"); pin it with plugin-hash --plugin DIR");
  } else if (n != 4 || magic[0] != 0x7f || magic[1] != 'E' || magic[2] != 'L' || magic[3] != 'F') {
    print_warning(path + ": is not an ELF binary; stockade runs ELF binaries only");
  }
}

// Hashes a regular file (following symlinks, as sha256sum does).
// O_NONBLOCK keeps a FIFO given by mistake from blocking the open.
Result<Sha256Digest> digest_of_file(const std::string& path) {
  UniqueFd fd(retry_on_eintr(
      [&] { return open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK); }));
  if (!fd) return sys_error("cannot open", path);
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) return sys_error("cannot stat", path);
  if (S_ISDIR(st.st_mode)) return Error{Errc::invalid_input, "is a directory", path, 0};
  if (!S_ISREG(st.st_mode)) return Error{Errc::invalid_input, "is not a regular file", path, 0};
  warn_if_stockade_would_refuse(fd.get(), st, path);
  auto digest = sha256_of_fd(fd.get());
  if (!digest) {
    Error e = std::move(digest).error();
    e.where = path;
    return e;
  }
  return digest;
}

// The name a file is pinned or checked under; empty after reporting an error.
std::string name_for(const Options& opts, const std::string& file) {
  if (opts.name) return *opts.name;
  std::string name = base_name(file);
  if (!is_valid_plugin_name(name)) {
    print_error(file + ": base name \"" + name +
                "\" is not a valid plugin name (1-128 of [A-Za-z0-9._-], not starting with "
                "'.' or '-'); give one with --name");
    return {};
  }
  return name;
}

int print_lines(const Options& opts) {
  int code = kExitOk;
  for (const std::string& file : opts.files) {
    const std::string name = name_for(opts, file);
    if (name.empty()) {
      code = kExitUsage;
      continue;
    }
    auto digest = digest_of_file(file);
    if (!digest) {
      print_error(digest.error().message());
      code = kExitUsage;
      continue;
    }
    std::printf("%s  %s\n", to_hex(*digest).c_str(), name.c_str());
  }
  return code;
}

// Every line DIR's plugin needs, from the same walk the launch makes
// (whitelist/plugin_files.h): what is printed is what will be checked.
int print_plugin_lines(const std::string& dir) {
  auto manifest = supervisor::load_manifest(dir + "/plugin.json");
  if (!manifest) {
    print_error(manifest.error().message());
    return manifest.error().code == Errc::refused ? kExitRefused : kExitUsage;
  }
  if (manifest->interpreter.empty()) {
    auto digest = digest_of_file(supervisor::endpoint_path(*manifest));
    if (!digest) {
      print_error(digest.error().message());
      return kExitUsage;
    }
    std::printf("%s  %s\n", to_hex(*digest).c_str(), manifest->name.c_str());
    return kExitOk;
  }
  UniqueFd interpreter(retry_on_eintr(
      [&] { return open(manifest->interpreter.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK); }));
  if (!interpreter) {
    print_error(sys_error("cannot open the interpreter", manifest->interpreter).message());
    return kExitUsage;
  }
  if (auto trusted = check_trusted(interpreter.get(), manifest->interpreter, "binary"); !trusted) {
    print_warning(trusted.error().message() + "; stockade refuses to run it");
  }
  auto interpreter_digest = sha256_of_fd(interpreter.get());
  if (!interpreter_digest) {
    print_error(manifest->interpreter + ": " + interpreter_digest.error().message());
    return kExitUsage;
  }
  auto files = seal_plugin_files(
      PluginFileSpec{manifest->folder, manifest->endpoint, manifest->files});
  if (!files) {
    print_error(files.error().message());
    return files.error().code == Errc::refused ? kExitRefused : kExitUsage;
  }
  std::printf("%s  %s\n", to_hex(*interpreter_digest).c_str(),
              interpreter_label(manifest->name, manifest->interpreter).c_str());
  for (const SealedFile& f : *files) {
    std::printf("%s  %s\n", to_hex(f.digest).c_str(), label_of(manifest->name, f).c_str());
  }
  return kExitOk;
}

int check_files(const Options& opts) {
  auto whitelist = Whitelist::load(*opts.whitelist);
  if (!whitelist) {
    print_error("refusing whitelist: " + whitelist.error().message());
    // One others could write is refused (126), as by stockade jail and call.
    return whitelist.error().code == Errc::refused ? kExitRefused : kExitUsage;
  }
  bool unreadable = false;
  size_t failed = 0;
  for (const std::string& file : opts.files) {
    const std::string name = name_for(opts, file);
    if (name.empty()) {
      unreadable = true;
      continue;
    }
    auto digest = digest_of_file(file);
    if (!digest) {
      print_error(digest.error().message());
      unreadable = true;
      continue;
    }
    if (whitelist->allows(name, *digest)) {
      std::printf("%s: OK (%s)\n", file.c_str(), name.c_str());
      continue;
    }
    ++failed;
    const std::string hex = to_hex(*digest);
    if (whitelist->has_name(name)) {
      std::printf("%s: FAILED: sha256 %s is not pinned for \"%s\" in %s\n", file.c_str(),
                  hex.c_str(), name.c_str(), opts.whitelist->c_str());
    } else {
      std::printf("%s: FAILED: no digest is pinned for \"%s\" in %s (sha256 %s)\n", file.c_str(),
                  name.c_str(), opts.whitelist->c_str(), hex.c_str());
    }
  }
  if (failed > 0) {
    print_error(std::to_string(failed) + " of " + std::to_string(opts.files.size()) +
                " file(s) not pinned in " + *opts.whitelist);
  }
  if (unreadable) return kExitUsage;
  return failed > 0 ? kExitMismatch : kExitOk;
}

int run(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto opts = parse_options(args);
  if (!opts) {
    print_error(opts.error().message());
    std::fputs("Try 'plugin-hash --help'.\n", stderr);
    return kExitUsage;
  }
  if (opts->help) {
    std::fputs(kHelpText, stdout);
    std::fputs("\nExit codes (stockade's one table; stockade help exit-codes):\n", stdout);
    std::fputs(supervisor::exit_code_table(supervisor::kForPluginHash).c_str(), stdout);
    return kExitOk;
  }
  const int code = opts->plugin      ? print_plugin_lines(*opts->plugin)
                   : opts->whitelist ? check_files(*opts)
                                     : print_lines(*opts);
  // A failed write to stdout (a full disk, a closed pipe) must not pass as success.
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
    print_error("cannot write to standard output");
    return kExitUsage;
  }
  return code;
}

}  // namespace
}  // namespace stockade::plugin_hash

int main(int argc, char** argv) { return stockade::plugin_hash::run(argc, argv); }
