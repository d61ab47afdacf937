// Readers of optional fields for the KubeFed API parsers (FederatedTypeConfig,
// KubeFedConfig, ReplicaSchedulingPreference): Kubernetes-style errors that name the field
// ("spec.scope: must be a string"), absent or null leaving the output untouched (so defaults
// stay).
#ifndef KFED_FEDERATED_TYPES_FIELD_READERS_H_
#define KFED_FEDERATED_TYPES_FIELD_READERS_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "rapidjson/document.h"

namespace kfed::federated_types {

// kInvalidArgument "<field>: <message>".
absl::Status FieldError(absl::string_view field, absl::string_view message);

// object[name] into `out` when present and not null; `path` is the object's own path, for
// errors ("<path>.<name>: must be a string").
absl::Status ReadString(const rapidjson::Value& object, absl::string_view name,
                        absl::string_view path, std::string* out);
absl::Status ReadInt(const rapidjson::Value& object, absl::string_view name,
                     absl::string_view path, int64_t* out);
absl::Status ReadBool(const rapidjson::Value& object, absl::string_view name,
                      absl::string_view path, bool* out);

}  // namespace kfed::federated_types

#endif  // KFED_FEDERATED_TYPES_FIELD_READERS_H_
