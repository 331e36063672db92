// ReportPage, the page stockade-init writes the plugin's wait status on
// (sandbox/report_page.h): sealed so that nothing can truncate it under the
// supervisor's mapping, and read only when a report is there. The end to
// end path (init writes it, the status reaches ExitStatus) is
// process_test.cpp's: exit codes, signals, abort.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "sandbox/report_page.h"

namespace stockade::sandbox {
namespace {

// Writes a record the way init does: through its own shared mapping.
void write_as_init(int fd, unsigned magic, int value) {
  void* mapped = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  ASSERT_NE(mapped, MAP_FAILED) << errno;
  auto* record = static_cast<stockade_init_report*>(mapped);
  record->value = value;
  record->magic = magic;
  ASSERT_EQ(munmap(mapped, 4096), 0);
}

TEST(ReportPage, IsOneSealedPageThatCannotBeTruncatedUnderTheMapping) {
  auto page = ReportPage::create();
  ASSERT_TRUE(page) << page.error().message();
  ASSERT_GE(page->fd(), 0);
  struct stat st {};
  ASSERT_EQ(fstat(page->fd(), &st), 0);
  EXPECT_EQ(st.st_size, 4096);
  const int seals = fcntl(page->fd(), F_GET_SEALS);
  EXPECT_EQ(seals & (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL), F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
  EXPECT_NE(ftruncate(page->fd(), 0), 0);
  EXPECT_EQ(errno, EPERM);
  EXPECT_EQ(fcntl(page->fd(), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
  EXPECT_FALSE(page->report()) << "no report before init wrote one";
}

TEST(ReportPage, TheRecordIsReadFromTheMappingAfterTheDescriptorIsClosed) {
  auto page = ReportPage::create();
  ASSERT_TRUE(page);
  write_as_init(page->fd(), STOCKADE_INIT_REPORT_MAGIC, 7 << 8);
  page->close_fd();
  EXPECT_EQ(page->fd(), -1);
  auto record = page->report();
  ASSERT_TRUE(record);
  EXPECT_EQ(record->magic, STOCKADE_INIT_REPORT_MAGIC);
  EXPECT_EQ(record->value, 7 << 8);
  // Moved, the mapping goes with it.
  ReportPage moved = std::move(*page);
  ASSERT_TRUE(moved.report());
  EXPECT_EQ(moved.report()->value, 7 << 8);
  EXPECT_FALSE(page->report());
}

TEST(ReportPage, ACpuLimitRecordIsAReportAndAnythingElseIsNot) {
  auto page = ReportPage::create();
  ASSERT_TRUE(page);
  write_as_init(page->fd(), STOCKADE_INIT_CPU_LIMIT_MAGIC, 1500);
  ASSERT_TRUE(page->report());
  EXPECT_EQ(page->report()->magic, STOCKADE_INIT_CPU_LIMIT_MAGIC);
  write_as_init(page->fd(), 0x12345678u, 0);
  EXPECT_FALSE(page->report());
}

}  // namespace
}  // namespace stockade::sandbox
