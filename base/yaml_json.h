// YAML <-> JSON conversion for Kubernetes manifests, over yaml-cpp and RapidJSON.
//
// Reading resolves scalars as kubectl does (sigs.k8s.io/yaml, i.e. go-yaml v2), so a
// manifest means the same to kfed as to `kubectl apply`:
//   - quoted scalars ('x', "x"), block scalars (|, >) and `!!str` are always strings;
//   - unquoted null/Null/NULL/~ and empty values are null; true/false in any of the YAML 1.1
//     spellings (True, TRUE, yes, Yes, y, on, no, n, off, ...) are booleans;
//   - unquoted integers are Go's base-0 literals with underscores ignored: 0x/0o/0b prefixes,
//     and a leading 0 means octal (`defaultMode: 0644` is 420, as kubectl reads it), beyond
//     int64 they are uint64, beyond that double; decimal floats (1.5, 1e3, .5) are doubles;
//     .inf/.nan are errors (JSON has no such numbers);
//   - everything else (dates, 1.2.3, ...) is a string; so are unknown tags' values;
//   - at most a million values per document (alias bombs are rejected);
//   - mapping keys become strings (`1: x` gives {"1": "x"}); a key given twice is an error;
//     `<<` merge keys are applied; aliases are expanded.
// Writing quotes every string a YAML 1.1 or 1.2 reader could take for something else.
// Object members keep document order both ways, so output is stable.
// Errors are kInvalidArgument and name a 1-based line and column.
#ifndef KFED_BASE_YAML_JSON_H_
#define KFED_BASE_YAML_JSON_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rapidjson/document.h"

namespace kfed::yaml {

// Parses a YAML text holding exactly one document (a leading `---` is fine). An empty text
// is the JSON null. More than one document is an error (use ParseYamlStream).
absl::StatusOr<rapidjson::Document> ParseYaml(absl::string_view text);

// Parses a stream of documents separated by `---`. Empty documents (nothing but comments,
// or `---` twice) are skipped, as kubectl does.
absl::StatusOr<std::vector<rapidjson::Document>> ParseYamlStream(absl::string_view text);

// Block-style YAML for `value`, ending in a newline. Strings that a YAML 1.1 or 1.2 reader
// would take for anything but a string are quoted; numbers keep their shortest exact form.
std::string ToYaml(const rapidjson::Value& value);

// Documents joined into one stream, each starting with `---`.
std::string ToYamlStream(const std::vector<const rapidjson::Value*>& documents);

}  // namespace kfed::yaml

#endif  // KFED_BASE_YAML_JSON_H_
