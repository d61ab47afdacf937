// Helpers shared by the tests (//base:testing is testonly).
#ifndef KFED_BASE_TESTING_H_
#define KFED_BASE_TESTING_H_

#include <functional>

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
bool Eventually(const std::function<bool()>& condition,
                absl::Duration timeout = absl::Seconds(30));

}  // namespace kfed::testing

#endif  // KFED_BASE_TESTING_H_
