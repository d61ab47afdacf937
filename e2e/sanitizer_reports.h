// Sanitizer reports of the processes an e2e test starts (kfed-controller-manager, kfedctl,
// kfed-crdgen): under `bazel test --config=sanitize` those binaries are built with ASan +
// UBSan like the test itself, but their reports would only land in their own logs. Linked
// into every e2e test (through //e2e:cluster_env), this:
//   - before the first test, points every sanitized child at one report directory
//     (log_path in ASAN_OPTIONS / UBSAN_OPTIONS / LSAN_OPTIONS / TSAN_OPTIONS: the reports go
//     to files <dir>/report.<pid>, kept in the test's outputs);
//   - after the last test, runs the registered shutdown hooks (the federation fixture stops
//     its controllers with SIGTERM, so their exit-time leak check runs), then fails the test
//     program with each report's text if there is any, in those files or in the logs
//     registered with WatchLogForSanitizerReports (gcc's UBSan, running beside ASan, prints
//     to stderr whatever log_path says: the controller's log is its stderr).
// In a build without a sanitizer it does nothing.
#ifndef KFED_E2E_SANITIZER_REPORTS_H_
#define KFED_E2E_SANITIZER_REPORTS_H_

#include <functional>
#include <string>
#include <vector>

namespace kfed::e2e {

// True when this binary was built with ASan, UBSan or TSan.
bool BuiltWithSanitizer();

// The directory that sanitized children write reports to ("" without a sanitizer).
std::string SanitizerReportDir();

// The reports written so far: one entry per file, "<path>:\n<text>".
std::vector<std::string> SanitizerReports(const std::string& dir);

// Sets the *_OPTIONS variables so that sanitized children of this process write reports to
// `dir` (created if needed), keeping any options already set.
void DirectSanitizerReportsTo(const std::string& dir);

// Lines of sanitizer reports found in `log` (a process's stderr): each "runtime error:",
// "ERROR: AddressSanitizer", "ERROR: LeakSanitizer" or "WARNING: ThreadSanitizer" line with
// the lines after it.
std::vector<std::string> SanitizerReportsInLog(const std::string& log);

// Adds a log file (a started process's stderr) to check at the end of the test program.
void WatchLogForSanitizerReports(const std::string& log);

// Runs `hook` before the reports are collected at the end of the test program (e.g. to stop
// long-running children gracefully so their exit-time checks run).
void AddSanitizerShutdownHook(std::function<void()> hook);

}  // namespace kfed::e2e

#endif  // KFED_E2E_SANITIZER_REPORTS_H_
