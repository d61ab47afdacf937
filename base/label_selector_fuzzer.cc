// libFuzzer target for label selectors (base/label_selector.h): the string form
// (ParseSelectorString, as in `--selector` flags) and metav1.LabelSelector JSON
// (ParseLabelSelector, as in placement.clusterSelector).
// Input (see testdata/label_selector_fuzzer_corpus/): line 1 a selector string, line 2 a
// label set as JSON ({"k": "v"}), the rest a metav1.LabelSelector as JSON. Besides "never
// crashes" (ASan/UBSan), it checks:
// - a parsed selector prints (ToString) to a string that parses to the same selector and
//   prints the same (so the printed form is canonical);
// - the reparsed selector matches exactly the same labels;
// - a JSON selector's printed form parses and matches the same labels as the JSON one
//   (that is how a cluster selector reads in `kfedctl` output and KubeFed's);
// - Everything() matches every label set, Nothing() none.
//
//   hack/fuzz.sh label_selector_fuzzer
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/string_view.h"
#include "base/json.h"
#include "base/label_selector.h"
#include "rapidjson/document.h"

namespace {

using kfed::k8s::Labels;
using kfed::k8s::LabelSelector;

void Require(bool condition, const char* property) {
  if (condition) return;
  std::fprintf(stderr, "property violated: %s\n", property);
  std::abort();
}

// `selector`'s printed form parses back to a selector that prints the same and matches
// the same labels.
void CheckRoundTrip(const LabelSelector& selector, const Labels& labels) {
  if (selector.SelectsNothing()) {
    Require(!selector.Matches(labels), "Nothing matches nothing");
    return;
  }
  if (selector.SelectsEverything()) Require(selector.Matches(labels), "Everything matches all");
  const std::string text = selector.ToString();
  absl::StatusOr<LabelSelector> reparsed = kfed::k8s::ParseSelectorString(text);
  if (!reparsed.ok()) {
    std::fprintf(stderr, "printed selector \"%s\" does not parse: %s\n", text.c_str(),
                 reparsed.status().ToString().c_str());
  }
  Require(reparsed.ok(), "a printed selector parses");
  Require(reparsed->ToString() == text, "a printed selector prints the same");
  Require(reparsed->requirements().size() == selector.requirements().size(),
          "a printed selector keeps every requirement");
  Require(reparsed->Matches(labels) == selector.Matches(labels),
          "a printed selector matches the same labels");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t first = input.find('\n');
  const absl::string_view text = input.substr(0, first);
  const absl::string_view rest = first == absl::string_view::npos ? "" : input.substr(first + 1);
  const std::size_t second = rest.find('\n');
  const absl::string_view labels_text = rest.substr(0, second);
  const absl::string_view selector_text =
      second == absl::string_view::npos ? "" : rest.substr(second + 1);

  Labels labels;
  if (absl::StatusOr<rapidjson::Document> doc = kfed::json::Parse(labels_text); doc.ok()) {
    absl::StatusOr<Labels> parsed = kfed::k8s::LabelsFromJson(&*doc);
    if (parsed.ok()) labels = std::move(*parsed);
  }
  Require(LabelSelector::Everything().Matches(labels), "Everything matches every label set");
  Require(!LabelSelector::Nothing().Matches(labels), "Nothing matches no label set");

  absl::StatusOr<LabelSelector> from_string = kfed::k8s::ParseSelectorString(text);
  if (from_string.ok()) {
    CheckRoundTrip(*from_string, labels);
  } else {
    Require(!from_string.status().message().empty(), "a parse error says why");
  }

  if (absl::StatusOr<rapidjson::Document> doc = kfed::json::Parse(selector_text); doc.ok()) {
    absl::StatusOr<LabelSelector> from_json = kfed::k8s::ParseLabelSelector(&*doc);
    if (from_json.ok()) CheckRoundTrip(*from_json, labels);
  }
  return 0;
}
