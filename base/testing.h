// Helpers shared by the tests (//base:testing is testonly). The e2e fixture's own helpers
// (clusters, kubectl, kfedctl) are in e2e/cluster_env.h.
#ifndef KFED_BASE_TESTING_H_
#define KFED_BASE_TESTING_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "rapidjson/document.h"

namespace kfed::testing {

// The parsed document; on a parse error, a non-fatal test failure naming the error and the
// text, and an empty (null) document.
rapidjson::Document Json(absl::string_view text);

// Polls `condition` (real time) until it holds or `timeout` passes; returns whether it held.
// For conditions that a test cannot wait on directly (another process, a thread's progress
// with no signal); the poll interval starts at 1 ms and doubles up to 50 ms, so a condition
// that reads an API server is not hammered. Never a fixed sleep.
bool Eventually(const std::function<bool()>& condition, absl::Duration timeout = absl::Seconds(30));

// The path of `path` (relative to the workspace root: "cli/kfedctl", "status/dashboard") in
// the test's runfiles (a data dependency); `path` itself when it is not there, for a test
// binary run by hand from the workspace root.
std::string Runfile(absl::string_view path);

// The whole content of a file; NOT_FOUND naming it when it cannot be read.
absl::StatusOr<std::string> ReadTextFile(const std::string& path);

// ReadTextFile for a file the test needs: when it cannot be read, a non-fatal test failure
// naming it, and "".
std::string ReadTextFileOrFail(const std::string& path);

// The environment variable `name`; "" when it is not set.
std::string GetEnv(const char* name);

// `name` in the test's temporary directory ($TEST_TMPDIR, else /tmp).
std::string TempPath(absl::string_view name);

// Writes `text` to TempPath(name), replacing it; returns the path. A failure to write is a
// non-fatal test failure.
std::string WriteTempFile(absl::string_view name, absl::string_view text);

}  // namespace kfed::testing

#endif  // KFED_BASE_TESTING_H_
