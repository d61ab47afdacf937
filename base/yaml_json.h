// YAML <-> JSON conversion for Kubernetes manifests, over yaml-cpp and RapidJSON.
//
// Reading follows what kubectl (sigs.k8s.io/yaml) produces for ordinary manifests, with the
// YAML 1.2 core schema for unquoted scalars:
//   - quoted scalars ('x', "x"), block scalars (|, >) and `!!str` are always strings;
//   - unquoted true/True/TRUE/false/... are booleans; null/Null/NULL/~ and empty values are
//     null; decimal, 0x and 0o integers are numbers (int64, uint64, else double); decimal
//     floats and .inf/.nan are numbers; everything else is a string.
//     Unlike YAML 1.1 (go-yaml v2), yes/no/on/off/y/n are strings; the writer quotes them
//     so that either reader agrees.
//   - at most a million values per document (alias bombs are rejected);
//   - mapping keys become strings (`1: x` gives {"1": "x"}); a key given twice is an error;
//     `<<` merge keys are applied; aliases are expanded.
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
