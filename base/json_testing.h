// Test helper: JSON text to a document, failing the current test (not crashing) when the
// text does not parse. Test-only (//base:json_testing is testonly).
#ifndef KFED_BASE_JSON_TESTING_H_
#define KFED_BASE_JSON_TESTING_H_

#include "absl/strings/string_view.h"
#include "rapidjson/document.h"

namespace kfed::testing {

// The parsed document; on a parse error, a non-fatal test failure naming the error and the
// text, and an empty (null) document.
rapidjson::Document Json(absl::string_view text);

}  // namespace kfed::testing

#endif  // KFED_BASE_JSON_TESTING_H_
