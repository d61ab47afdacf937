#include "e2e/sanitizer_reports.h"

#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "base/testing.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(undefined_behavior_sanitizer)
#define KFED_E2E_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define KFED_E2E_SANITIZED 1
#endif

namespace kfed::e2e {
namespace {

using ::kfed::testing::GetEnv;

ABSL_CONST_INIT absl::Mutex hooks_mu(absl::kConstInit);
std::vector<std::function<void()>>& Hooks() ABSL_EXCLUSIVE_LOCKS_REQUIRED(hooks_mu) {
  static auto* hooks = new std::vector<std::function<void()>>();
  return *hooks;
}

std::vector<std::string>& WatchedLogs() ABSL_EXCLUSIVE_LOCKS_REQUIRED(hooks_mu) {
  static auto* logs = new std::vector<std::string>();
  return *logs;
}

class SanitizerReportsEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    if (!BuiltWithSanitizer()) return;
    DirectSanitizerReportsTo(SanitizerReportDir());
  }

  void TearDown() override {
    if (!BuiltWithSanitizer()) return;
    std::vector<std::function<void()>> hooks;
    {
      absl::MutexLock lock(&hooks_mu);
      hooks.swap(Hooks());
    }
    for (const auto& hook : hooks) hook();
    for (const std::string& report : SanitizerReports(SanitizerReportDir())) {
      ADD_FAILURE() << "a process started by this test reported a sanitizer error: " << report;
    }
    std::vector<std::string> logs;
    {
      absl::MutexLock lock(&hooks_mu);
      logs = WatchedLogs();
    }
    for (const std::string& log : logs) {
      for (const std::string& report : SanitizerReportsInLog(log)) {
        ADD_FAILURE() << "a process started by this test reported a sanitizer error in " << log
                      << ":\n" << report;
      }
    }
  }
};

// Registered at static initialization, like gtest's documented global environments.
[[maybe_unused]] ::testing::Environment* const kEnvironment =
    ::testing::AddGlobalTestEnvironment(new SanitizerReportsEnvironment);

}  // namespace

bool BuiltWithSanitizer() {
#ifdef KFED_E2E_SANITIZED
  return true;
#else
  return false;
#endif
}

std::string SanitizerReportDir() {
  if (!BuiltWithSanitizer()) return "";
  std::string base = GetEnv("TEST_UNDECLARED_OUTPUTS_DIR");
  if (base.empty()) base = GetEnv("TEST_TMPDIR");
  if (base.empty()) base = "/tmp";
  return absl::StrCat(base, "/sanitizer-reports");
}

void DirectSanitizerReportsTo(const std::string& dir) {
  mkdir(dir.c_str(), 0755);
  for (const char* var : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS"}) {
    std::string options = GetEnv(var);
    absl::StrAppend(&options, options.empty() ? "" : ":", "log_path=", dir, "/report");
    setenv(var, options.c_str(), 1);
  }
}

std::vector<std::string> SanitizerReports(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return out;
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) {
    if (absl::StartsWith(e->d_name, "report.")) names.push_back(e->d_name);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    std::string path = absl::StrCat(dir, "/", name);
    std::ifstream in(path);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (text.empty()) continue;
    if (text.size() > 8000) text = absl::StrCat(text.substr(0, 8000), "\n[...]");
    out.push_back(absl::StrCat(path, ":\n", text));
  }
  return out;
}

std::vector<std::string> SanitizerReportsInLog(const std::string& log) {
  std::vector<std::string> out;
  std::ifstream in(log);
  std::string line;
  int context = 0;  // lines still to copy into the current report
  while (std::getline(in, line)) {
    if (absl::StrContains(line, "runtime error:") ||
        absl::StrContains(line, "ERROR: AddressSanitizer") ||
        absl::StrContains(line, "ERROR: LeakSanitizer") ||
        absl::StrContains(line, "WARNING: ThreadSanitizer")) {
      out.push_back(line);
      context = 30;
    } else if (context > 0 && !out.empty()) {
      absl::StrAppend(&out.back(), "\n", line);
      --context;
    }
  }
  return out;
}

void WatchLogForSanitizerReports(const std::string& log) {
  absl::MutexLock lock(&hooks_mu);
  WatchedLogs().push_back(log);
}

void AddSanitizerShutdownHook(std::function<void()> hook) {
  absl::MutexLock lock(&hooks_mu);
  Hooks().push_back(std::move(hook));
}

}  // namespace kfed::e2e
