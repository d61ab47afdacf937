// The e2e tests' sanitizer check works: a sanitized child process that uses freed memory,
// leaks or overflows writes a report that SanitizerReports() finds (and that the e2e
// environment then turns into a test failure). Runs under --config=sanitize (hack/test.sh);
// skipped in a build without sanitizers.
#include "e2e/sanitizer_reports.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/testing.h"

namespace kfed::e2e {
namespace {

using ::kfed::testing::Runfile;
using ::kfed::testing::TempPath;

std::string CanaryPath() { return Runfile("e2e/sanitizer_canary"); }

// Runs the canary with `flag`, its reports directed to `dir` and its stderr to `dir`/stderr;
// returns its exit status.
int RunCanary(const std::string& flag, const std::string& dir) {
  pid_t pid = fork();
  if (pid == 0) {
    DirectSanitizerReportsTo(dir);
    std::string log = dir + "/stderr";
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 2);
    std::string path = CanaryPath();
    execl(path.c_str(), path.c_str(), flag.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST(SanitizerReportsTest, FindsEveryKindOfReportFromAChild) {
  if (!BuiltWithSanitizer()) GTEST_SKIP() << "not a sanitizer build";
  struct Case {
    std::string flag, want;
  };
  for (const Case& c : {Case{"--use-after-free", "heap-use-after-free"},
                        Case{"--leak", "LeakSanitizer: detected memory leaks"},
                        Case{"--signed-overflow", "signed integer overflow"}}) {
    std::string dir = TempPath(absl::StrCat("canary", c.flag));
    EXPECT_TRUE(SanitizerReports(dir).empty());
    EXPECT_NE(RunCanary(c.flag, dir), 0) << c.flag << " should fail the process";
    // ASan and LSan write to log_path; gcc's UBSan beside ASan writes to stderr (the e2e
    // fixture watches the controller's log for that reason). Either way it is found.
    std::vector<std::string> reports = SanitizerReports(dir);
    for (const std::string& r : SanitizerReportsInLog(dir + "/stderr")) reports.push_back(r);
    ASSERT_EQ(reports.size(), 1u) << c.flag << ": " << absl::StrJoin(reports, "\n");
    EXPECT_NE(reports[0].find(c.want), std::string::npos) << reports[0];
  }
  // A clean run writes nothing.
  std::string clean = TempPath("canary-clean");
  EXPECT_EQ(RunCanary("--nothing", clean), 0);
  EXPECT_TRUE(SanitizerReports(clean).empty());
  EXPECT_TRUE(SanitizerReportsInLog(clean + "/stderr").empty());
}

}  // namespace
}  // namespace kfed::e2e
