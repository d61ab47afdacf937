// RFC 6902 JSON Patch and RFC 7386 JSON Merge Patch applied to RapidJSON documents.
//
// Both work in place and are atomic: when an error is returned the document is exactly
// as it was (same values, same member order). Error codes: kInvalidArgument when the
// patch is malformed or does not apply to the document, kFailedPrecondition when a
// "test" operation fails.
#ifndef KFED_BASE_JSON_PATCH_H_
#define KFED_BASE_JSON_PATCH_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "base/json_pointer.h"
#include "rapidjson/document.h"

namespace kfed::json {

enum class PatchOp { kAdd, kRemove, kReplace, kMove, kCopy, kTest };

// "add", "remove", ... as spelled in a patch.
absl::string_view PatchOpName(PatchOp op);

// One parsed operation. `value` is borrowed from the patch it was parsed from, which must
// outlive the operation; nullptr stands for JSON null (see ParseJsonPatch).
struct PatchOperation {
  PatchOp op = PatchOp::kReplace;
  JsonPointer path;
  JsonPointer from;                         // move and copy only
  const rapidjson::Value* value = nullptr;  // add, replace and test only

  // "replace /spec/replicas", "move /a from /b", `add ""` (the whole document).
  std::string Describe() const;
};

struct PatchOptions {
  // RFC 6902 says a "replace" whose target does not exist fails. evanphx/json-patch v4,
  // which KubeFed applies overrides with, instead sets a missing member of an existing
  // object (a missing parent or array element still fails). KubeFed overrides default
  // to "replace", so manifests rely on this; overrides turn it on.
  bool replace_sets_missing_member = false;
};

// Parses an RFC 6902 patch document (a JSON array of operation objects). Every operation
// needs "op" and a valid "path"; move and copy need "from"; add, replace and test need
// "value". Unknown members are ignored, as the RFC requires. Errors name the operation:
//   `operation 1 (add /a): missing "value"`
absl::StatusOr<std::vector<PatchOperation>> ParseJsonPatch(const rapidjson::Value& patch);

// Applies `operations` in order to `doc`, atomically. On error returns the bare reason
// ("path not found", "array index 3 out of range at /a (size 2)") and, when
// `failed_index` is non-null, sets it to the index of the failing operation.
absl::Status ApplyPatchOperations(absl::Span<const PatchOperation> operations,
                                  const PatchOptions& options, rapidjson::Document* doc,
                                  std::size_t* failed_index = nullptr);

// Parses and applies an RFC 6902 patch (strict RFC semantics), atomically. Errors say
// which operation failed and why: `operation 2 (replace /spec/replicas): path not found`.
absl::Status ApplyJsonPatch(const rapidjson::Value& patch, rapidjson::Document* doc);

// Applies an RFC 7386 merge patch: objects merge recursively, null removes a member, any
// other value replaces the target. Cannot fail on well-formed JSON; returns OK.
absl::Status ApplyMergePatch(const rapidjson::Value& patch, rapidjson::Document* doc);

// A deep copy of `value` made with `allocator` that owns all its strings, including
// ones `value` only references (RapidJSON's own copy keeps such references).
rapidjson::Value DeepCopyValue(const rapidjson::Value& value,
                               rapidjson::Document::AllocatorType& allocator);

}  // namespace kfed::json

#endif  // KFED_BASE_JSON_PATCH_H_
