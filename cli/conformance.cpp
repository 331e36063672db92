// `stockade conformance`: drives one plugin through the protocol's cases
// (cli/conformance_cases.h; PROTOCOL.md, section 18) and prints PASS or FAIL
// per case. For plugin and SDK authors, in any language: the cases speak the
// wire by hand, so they check what the supervisor relies on and what it
// never sends (a frame too large, a version not offered).
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/conformance_cases.h"
#include "cli/options.h"
#include "cli/usage_error.h"
#include "config/config.h"
#include "config/manifest.h"
#include "whitelist/whitelist.h"

namespace stockade::supervisor {
namespace {

struct ConformanceOptions {
  bool help = false, dev = false, quiet = false;
  std::optional<std::string> plugins, whitelist, config;
};

constexpr const char* kConformanceEpilog =
    "PLUGIN names a folder of the plugins directory holding its plugin.json; it is\n"
    "verified against the whitelist and sandboxed as stockade call would, then driven\n"
    "over its socket frame by frame: handshake, info, health, echo, many calls at once,\n"
    "answers out of order, cancel, cancel of unknown ids, deadline, unknown method,\n"
    "largest request, large payload (in memfds: only when the manifest sets\n"
    "execute.max_payload_mb and the plugin offers them; --config raises the\n"
    "operator's ceilings.max_payload_mb), close with calls in flight (one launch);\n"
    "oversized request, version negotiation, refused handshake (one launch each).\n"
    "One line per case on stdout: PASS or FAIL, its name, what was seen.\n"
    "\n"
    "The plugin under test implements the suite's methods (PROTOCOL.md, section 18):\n"
    "  echo                 returns its payload unchanged\n"
    "  sleep                payload: milliseconds in decimal; waits, then returns the\n"
    "                       payload; ends early with CANCELLED on Cancel and with\n"
    "                       DEADLINE_EXCEEDED at the call's deadline\n"
    "  conformance.unknown  fails with NOT_FOUND or UNIMPLEMENTED, as any method\n"
    "                       the plugin does not implement\n"
    "\n"
    "exit codes:\n"
    "  0     every case passed\n"
    "  1     a case failed\n"
    "  125   usage; a file given missing, unreadable or malformed\n"
    "  126   refused: not whitelisted, beyond a ceiling, an untrusted file\n"
    "  127   no such plugin, or its binary is missing\n"
    "\n"
    "example:\n"
    "  plugin-hash --plugin build/examples/plugins/pyecho > wl\n"
    "  stockade conformance --plugins build/examples/plugins --whitelist wl pyecho\n";

OptionParser make_parser(ConformanceOptions& o) {
  OptionParser p("stockade conformance --plugins DIR (--whitelist FILE | --dev) PLUGIN",
                 "Drives PLUGIN through the wire protocol's cases and prints PASS or FAIL for each.");
  p.text("--plugins", "DIR", "the plugins directory (one folder per plugin)", o.plugins);
  p.text("--whitelist", "FILE", "whitelist the plugin must be pinned in", o.whitelist);
  p.flag("--dev", "development mode: run the plugin unverified", o.dev);
  p.text("--config", "FILE", "operator config: the ceilings and sandbox ids", o.config);
  p.flag("--quiet", "drop the plugin's own stdout and stderr lines", o.quiet);
  p.alias('q', "--quiet");
  p.flag("--help", "show this help", o.help);
  p.epilog(kConformanceEpilog);
  return p;
}

int failed(const Error& e) {
  std::fprintf(stderr, "stockade: %s\n", e.message().c_str());
  switch (e.code) {
    case Errc::refused: return kExitRefused;
    case Errc::not_found: return kExitNotFound;
    default: return kExitOwnFailure;
  }
}

}  // namespace

int run_conformance(std::span<const std::string> args) {
  ConformanceOptions o;
  OptionParser parser = make_parser(o);
  auto operands = parser.parse(args);
  if (!operands) return usage_error("conformance", operands.error().message());
  if (o.help) {
    std::fputs(parser.help().c_str(), stdout);
    return 0;
  }
  if (operands->size() != 1) return usage_error("conformance", operands->empty() ? "missing PLUGIN" : "give one PLUGIN");
  const std::string& name = operands->front();
  if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..") {
    return usage_error("conformance", "PLUGIN is a folder name of the plugins directory, not a path");
  }
  if (!o.plugins) return usage_error("conformance", "missing --plugins DIR");
  if (o.dev == o.whitelist.has_value()) return usage_error("conformance", "give one of --whitelist FILE and --dev");

  conformance::Target target;
  if (o.config) {
    Problems problems;
    auto config = load_config(*o.config, &problems);
    if (!config) {
      for (const auto& p : problems) std::fprintf(stderr, "stockade: %s\n", p.message().c_str());
      return config.error().code == Errc::refused ? kExitRefused : kExitOwnFailure;
    }
    target.settings.ceilings = config->ceilings;
    target.settings.identity = config->sandbox;
  }
  std::optional<Whitelist> whitelist;
  if (o.whitelist) {
    auto loaded = Whitelist::load(*o.whitelist);
    if (!loaded) return failed(loaded.error());
    whitelist = std::move(*loaded);
    target.settings.whitelist = &*whitelist;
  }
  auto manifest = load_manifest(*o.plugins + "/" + name + "/plugin.json");
  if (!manifest) return failed(manifest.error());
  target.manifest = std::move(*manifest);
  target.max_frame = target.manifest.execute.max_frame_kb * 1024;
  target.max_concurrency = target.manifest.execute.max_concurrency;
  target.max_payload = uint64_t{target.manifest.execute.max_payload_mb} << 20;
  target.quiet = o.quiet;

  std::printf("conformance of %s (%s), max_frame %u, max_concurrency %u\n", name.c_str(),
              target.manifest.interpreter.empty()
                  ? "a binary"
                  : ("interpreted by " + target.manifest.interpreter).c_str(),
              target.max_frame, target.max_concurrency);
  std::fflush(stdout);
  const auto outcome = conformance::run_suite(target);
  if (outcome.launch_error) return failed(*outcome.launch_error);
  const auto& results = outcome.cases;
  std::size_t passed = 0;
  for (const auto& r : results) {
    passed += r.passed ? 1 : 0;
    std::printf("%s  %-27s %s\n", r.passed ? "PASS" : "FAIL", r.name.c_str(), r.detail.c_str());
  }
  std::printf("%zu of %zu cases passed\n", passed, results.size());
  return passed == results.size() ? kExitOk : kExitNo;
}

}  // namespace stockade::supervisor
