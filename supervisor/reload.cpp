// Supervisor::reload: the whitelist and plugins_dir read anew (on the
// caller's thread: file reads and hashing stay off the loop), then the
// difference applied on the loop, where every plugin's state lives.
#include "stockade/supervisor.h"
#include "supervisor/reload_plan.h"
#include "supervisor/supervisor_impl.h"

namespace stockade::supervisor {

namespace asio = boost::asio;

namespace {

// What the loop applies: everything read and checked already.
struct ReloadInput {
  SupervisorOptions options;
  std::optional<Whitelist> whitelist;
  PluginRegistry registry;
};

Error folder_problems(const std::vector<Error>& problems) {
  std::string text = "reload refused, nothing changed: " + std::to_string(problems.size()) +
                     " plugin folder(s) would be skipped (fix or remove them, then reload again): ";
  for (size_t i = 0; i < problems.size(); ++i) text += (i == 0 ? "" : "; ") + problems[i].message();
  return Error{Errc::invalid_input, std::move(text), {}};
}

}  // namespace

Result<ReloadReport> Supervisor::reload(const SupervisorOptions& options) {
  Impl& impl = *impl_;
  if (impl.on_loop_thread()) {
    return Error{Errc::invalid_input, called_on_loop_thread("reload").message, {}};
  }
  std::lock_guard serial(impl.reload_mutex);
  if (impl.stopped.load()) return Error{Errc::unavailable, "reload refused: the supervisor is stopped", {}};
  // Only reload() writes these fields, and reloads are serial: reading
  // them here races with nothing.
  if (auto option = unreloadable_change(impl.options, options)) {
    return Error{Errc::invalid_input,
                 "reload refused, nothing changed: SupervisorOptions::" + *option +
                     " cannot change on reload (restart the host to change it)",
                 *option};
  }
  ReloadInput input{options, std::nullopt, {}};
  if (!options.dev) {
    if (options.whitelist.empty()) {
      return Error{Errc::invalid_input, "reload refused, nothing changed: no whitelist given", "whitelist"};
    }
    auto whitelist = Whitelist::load(options.whitelist);
    if (!whitelist) {
      Error error = whitelist.error();
      error.what = "reload refused, nothing changed: " + error.what;
      return error;
    }
    input.whitelist = std::move(*whitelist);
  }
  auto registry = PluginRegistry::discover(options.plugins_dir, options.max_plugin_folders);
  if (!registry) {
    Error error = registry.error();
    error.what = "reload refused, nothing changed: " + error.what;
    return error;
  }
  if (!registry->problems().empty()) return folder_problems(registry->problems());
  input.registry = std::move(*registry);

  std::promise<Result<ReloadReport>> promise;
  auto future = promise.get_future();
  asio::post(impl.io, [&impl, &input, &promise] {
    if (impl.calls->stopping) {
      return promise.set_value(Error{Errc::unavailable, "reload refused: the supervisor is stopping", {}});
    }
    const ReloadPlan plan = plan_reload(impl.registry, impl.whitelist ? &*impl.whitelist : nullptr,
                                        input.registry, input.whitelist ? &*input.whitelist : nullptr);
    // The new pins govern every launch from here on. In place: each
    // plugin's launch settings point at this object.
    if (input.whitelist) *impl.whitelist = std::move(*input.whitelist);
    impl.options.plugins_dir = input.options.plugins_dir;
    impl.options.whitelist = input.options.whitelist;
    impl.options.max_plugin_folders = input.options.max_plugin_folders;
    impl.registry = std::move(input.registry);
    Log& log = *impl.settings.log;

    // Fulfilled once removed plugins are gone and restarted ones are ready
    // (or failed); one count for this handler itself.
    struct Progress {
      std::promise<Result<ReloadReport>>* promise;
      ReloadReport report;
      size_t left = 1;
    };
    auto progress = std::make_shared<Progress>(Progress{&promise, {}, 1});
    auto one_done = [progress] {
      if (--progress->left == 0) progress->promise->set_value(std::move(progress->report));
    };
    const auto grace = impl.options.shutdown_grace;

    for (const auto& name : plan.removed) {
      auto node = impl.plugins.extract(name);
      PluginEntry& entry = node.mapped();
      entry.health->stop();
      const uint64_t id = ++impl.next_retired;
      impl.retired.emplace(id, entry.process);
      progress->report.stopped.push_back(name);
      ++progress->left;
      log.info(name, "reload: removed from the plugins directory; stopping it");
      // Released in a handler of its own: never inside its own stop().
      entry.process->stop(grace, [&impl, id, one_done] {
        asio::post(impl.io, [&impl, id] { impl.retired.erase(id); });
        one_done();
      }, "plugin removed by reload");
    }
    for (const auto& name : plan.changed) {
      PluginEntry& entry = impl.plugins.at(name);
      const Manifest& manifest = *impl.registry.find(name);
      // A new manifest brings new retry, breaker and health settings; the
      // process (its pid while it drains, its queue, its counters) stays.
      entry.health->stop();
      impl.set_policy(entry, manifest);
      ++progress->left;
      const bool running = entry.process->replace_manifest(manifest, grace, [name, &log, one_done](const Status& s) {
        if (!s) log.warn(name, "reload: the restarted plugin did not come up: {}", s.error().message());
        one_done();
      });
      (running ? progress->report.restarted : progress->report.updated).push_back(name);
      if (running) {
        log.info(name, "reload: manifest or pinned digest changed; draining and restarting it");
      } else {
        log.info(name, "reload: manifest or pinned digest changed; used at its next start");
      }
    }
    for (const auto& name : plan.added) {
      impl.plugins.emplace(name, impl.make_entry(*impl.registry.find(name)));
      progress->report.added.push_back(name);
      log.info(name, "reload: new in the plugins directory; available");
    }
    {
      std::lock_guard lock(impl.names_mutex);
      impl.problems.clear();
    }
    impl.publish_names();
    one_done();
  });
  return future.get();
}

}  // namespace stockade::supervisor
