// Keeps secret material out of what the status API, the dashboard and `kfedctl status` show.
// Pure functions on JSON text: GetObject's rendered object and per-cluster overrides pass
// through them inside the status store (StatusStore::GetObject), so no reader of the store
// ever receives a Secret's values, whichever API it serves.
//
// What is redacted, by the type's Sensitivity:
//   kSecretData (every Secret, always): the values of `data` and `stringData`; their keys
//     stay and each value becomes "[redacted: N bytes]" (N: the decoded size), so a user can
//     still see which keys a cluster gets and that they are not empty.
//   kAll (types marked sensitive by configuration, docs/user-guide.md): every value outside
//     `apiVersion`, `kind` and `metadata`, leaves only ("[redacted]"), keeping the structure.
//   Both: the annotation kubectl.kubernetes.io/last-applied-configuration, which holds a
//     copy of the whole object as the user applied it.
// Overrides: an override's `value` is redacted where its path lands it in a redacted place
// (`/data/password`, `/data`, `/stringData/x`, the whole object `""`), judged by the same
// rules; a path that does not parse is redacted whole (nothing is guessed).
#ifndef KFED_STATUS_REDACT_H_
#define KFED_STATUS_REDACT_H_

#include <string>

#include "absl/strings/string_view.h"

namespace kfed::status {

enum class Sensitivity {
  kNone,
  kSecretData,
  kAll,
};

// The text that replaces a redacted value starts with this.
inline constexpr absl::string_view kRedactedPrefix = "[redacted";

// A rendered object (JSON text) with its secret material replaced. Text that is not a JSON
// object is replaced whole by a redaction marker when anything could be sensitive.
std::string RedactObjectJson(Sensitivity sensitivity, absl::string_view object_json);

// A JSON array of override operations ({op, path, value}) with the values that would land
// in redacted places replaced.
std::string RedactOverridesJson(Sensitivity sensitivity, absl::string_view overrides_json);

}  // namespace kfed::status

#endif  // KFED_STATUS_REDACT_H_
