#include "base/testing.h"

#include <algorithm>
#include <utility>

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

}  // namespace kfed::testing
