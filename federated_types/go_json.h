// Byte-for-byte emulation of Go's encoding/json output, for KubeFed's version hashes.
//
// KubeFed hashes values it holds as Go `map[string]interface{}` (decoded from the API server's
// JSON) by writing them with `json.NewEncoder(w).Encode(v)`. What that produces, and what this
// file reproduces from a RapidJSON value parsed from the same JSON text:
//   - object keys sorted bytewise (Go maps); for duplicate keys the last one wins, as Go's
//     decoder keeps the last;
//   - strings escaped with HTML escaping on: `"` `\\` `\n` `\r` `\t`, other bytes < 0x20 as
//     `\u00XX` (lowercase hex; `\b` and `\f` too, as Go before 1.22 did and as KubeFed v0.10 was
//     built), `<` `>` `&` as `\u003c` `\u003e` `\u0026`, U+2028 and U+2029 as `\u2028` `\u2029`;
//   - invalid UTF-8: every byte that does not start a valid sequence becomes U+FFFD, written as
//     the raw character (Go's decoder already replaced it before the encoder saw the string);
//   - numbers as Go holds them: see GoNumbers;
//   - Encode appends a newline.
#ifndef KFED_FEDERATED_TYPES_GO_JSON_H_
#define KFED_FEDERATED_TYPES_GO_JSON_H_

#include <string>

#include "absl/strings/string_view.h"
#include "rapidjson/document.h"

namespace kfed::federated_types {

// How Go held the numbers of the value being encoded.
enum class GoNumbers {
  // Kubernetes unstructured objects: integers that fit int64 are int64 and print as integers;
  // anything else (fractions, exponents, integers beyond int64) is a float64.
  kUnstructured,
  // Plain `interface{}` decoded by encoding/json: every number is a float64 (so integers
  // beyond 2^53 lose precision exactly as in Go).
  kFloat64,
};

// Appends the json.Marshal form of `value` (no trailing newline) to `out`.
void AppendGoJson(const rapidjson::Value& value, GoNumbers numbers, std::string* out);

// json.NewEncoder(w).Encode(value): the Marshal form plus "\n".
std::string GoJsonEncode(const rapidjson::Value& value,
                         GoNumbers numbers = GoNumbers::kUnstructured);

// A float64 as encoding/json writes it: strconv 'f' format with the shortest round-trip
// digits for 1e-6 <= |f| < 1e21 (and 0), else 'e' format with the exponent's leading zero
// dropped ("1e-7", "1.5e+21").
std::string GoFormatFloat(double value);

// Appends `s` as a quoted, escaped JSON string (rules above).
void AppendGoString(absl::string_view s, std::string* out);

// Lowercase hex MD5 of `data`.
std::string Md5Hex(absl::string_view data);

}  // namespace kfed::federated_types

#endif  // KFED_FEDERATED_TYPES_GO_JSON_H_
