#include "sandbox/report_page.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <utility>

#include "base/error.h"

namespace stockade::sandbox {

namespace {
constexpr std::size_t kPageBytes = 4096;
}  // namespace

ReportPage::~ReportPage() {
  if (page_ != nullptr) ::munmap(page_, kPageBytes);
}

ReportPage::ReportPage(ReportPage&& other) noexcept
    : fd_(std::move(other.fd_)), page_(std::exchange(other.page_, nullptr)) {}

ReportPage& ReportPage::operator=(ReportPage&& other) noexcept {
  if (this != &other) {
    if (page_ != nullptr) ::munmap(page_, kPageBytes);
    fd_ = std::move(other.fd_);
    page_ = std::exchange(other.page_, nullptr);
  }
  return *this;
}

Result<ReportPage> ReportPage::create() {
  ReportPage page;
  page.fd_.reset(::memfd_create("stockade-report", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!page.fd_) return sys_error("sandbox step report page (memfd_create)");
  if (::ftruncate(page.fd_.get(), kPageBytes) != 0) return sys_error("sandbox step report page (ftruncate)");
  if (::fcntl(page.fd_.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0) {
    return sys_error("sandbox step report page (F_ADD_SEALS)");
  }
  void* mapped = ::mmap(nullptr, kPageBytes, PROT_READ, MAP_SHARED, page.fd_.get(), 0);
  if (mapped == MAP_FAILED) return sys_error("sandbox step report page (mmap)");
  page.page_ = mapped;
  return page;
}

std::optional<stockade_init_report> ReportPage::report() const {
  if (page_ == nullptr) return std::nullopt;
  stockade_init_report record{};
  std::memcpy(&record, page_, sizeof(record));
  if (record.magic != STOCKADE_INIT_REPORT_MAGIC && record.magic != STOCKADE_INIT_CPU_LIMIT_MAGIC) {
    return std::nullopt;
  }
  return record;
}

}  // namespace stockade::sandbox
