#include "base/json_testing.h"

#include <utility>

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

}  // namespace kfed::testing
