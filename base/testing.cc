#include "base/testing.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/json.h"
#include "gtest/gtest.h"

namespace kfed::testing {

rapidjson::Document Json(absl::string_view text) {
  absl::StatusOr<rapidjson::Document> doc = json::Parse(text);
  if (!doc.ok()) {
    ADD_FAILURE() << doc.status() << " in " << text;
    return rapidjson::Document();
  }
  return *std::move(doc);
}

bool Eventually(const std::function<bool()>& condition, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  absl::Duration poll = absl::Milliseconds(1);
  while (!condition()) {
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(poll);
    poll = std::min(poll * 2, absl::Milliseconds(50));
  }
  return true;
}

std::string Runfile(absl::string_view path) {
  // Bazel sets TEST_SRCDIR for tests and RUNFILES_DIR for `bazel run`; "kfed" is the
  // workspace's name.
  for (const char* var : {"TEST_SRCDIR", "RUNFILES_DIR"}) {
    const char* dir = std::getenv(var);
    if (dir == nullptr) continue;
    std::string candidate = absl::StrCat(dir, "/kfed/", path);
    if (access(candidate.c_str(), F_OK) == 0) return candidate;
  }
  return std::string(path);
}

absl::StatusOr<std::string> ReadTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream data;
  data << in.rdbuf();
  return data.str();
}

std::string ReadTextFileOrFail(const std::string& path) {
  absl::StatusOr<std::string> text = ReadTextFile(path);
  if (!text.ok()) {
    ADD_FAILURE() << text.status();
    return "";
  }
  return *std::move(text);
}

std::string GetEnv(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

std::string TempPath(absl::string_view name) {
  const std::string dir = GetEnv("TEST_TMPDIR");
  return absl::StrCat(dir.empty() ? "/tmp" : dir, "/", name);
}

std::string WriteTempFile(absl::string_view name, absl::string_view text) {
  const std::string path = TempPath(name);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  EXPECT_TRUE(out.good()) << "cannot write " << path;
  return path;
}

}  // namespace kfed::testing
