// ReportPage: where stockade-init leaves its one report (init/init_report.h)
// for the supervisor, without a descriptor held for the sandbox's life.
//
// Why not a pipe: the read end was the fifth descriptor the supervisor held
// per plugin (socket, output pipe, pidfd and seccomp listener are the other
// four), against issue 13's bound of four. A page is a mapping, not a
// descriptor: a sealed memfd of one page, mapped shared here, handed to the
// child for init (which maps it and closes its copy before the plugin
// exists), and closed here once the child holds it.
//
// Sealed against shrinking and growing before it is handed over, so nothing
// in the sandbox can truncate it under our mapping (a read would SIGBUS).
// Written by init only: the plugin never holds the descriptor or the
// mapping (init marks it MADV_DONTFORK, and the plugin's exec would drop it
// anyway), and init is not dumpable, so the plugin cannot reach init's
// memory either.
//
// Cost: one 4 KiB mapping per running sandbox (a VMA: vm.max_map_count,
// 65530 by default, leaves room for well over 10,000 plugins), resident only
// once init has written it, and only until the sandbox is reaped.
#pragma once

#include <optional>

#include "base/unique_fd.h"
#include "sandbox/init/init_report.h"
#include "stockade/result.h"

namespace stockade::sandbox {

class ReportPage {
 public:
  ReportPage() = default;
  ~ReportPage();
  ReportPage(ReportPage&& other) noexcept;
  ReportPage& operator=(ReportPage&& other) noexcept;
  ReportPage(const ReportPage&) = delete;
  ReportPage& operator=(const ReportPage&) = delete;

  // A zeroed page, mapped, with its descriptor open for the child.
  static Result<ReportPage> create();

  // The descriptor to hand to the child (-1 once closed).
  int fd() const { return fd_.get(); }
  // Once the child holds its copy: from then on only the mapping remains.
  void close_fd() { fd_.reset(); }

  // What init wrote, if it wrote a report (read after init was reaped, so
  // the whole record is there).
  std::optional<stockade_init_report> report() const;

 private:
  UniqueFd fd_;
  void* page_ = nullptr;
};

}  // namespace stockade::sandbox
