// KubeFed-compatible per-cluster overrides (spec.overrides of a Federated<Kind>).
//
//   overrides:
//   - clusterName: member2
//     clusterOverrides:
//     - path: /spec/replicas        # op defaults to "replace"
//       value: 5
//     - op: add
//       path: /metadata/labels/tier
//       value: gold
//
// Rules, as KubeFed v0.10 enforces them (pkg/controller/util/overrides.go):
// - a cluster may appear once, and a path once per cluster (compared as written);
// - the paths /metadata/namespace, /metadata/name, /metadata/generateName and /kind may
//   not be overridden (apiVersion may: KubeFed allows it for types served at several
//   versions);
// - op is add, remove or replace, "replace" when empty or missing;
// - the operations of a cluster are applied in order as one JSON Patch.
// Where KubeFed's patch library (evanphx/json-patch v4) departs from RFC 6902, kfed
// follows KubeFed so existing manifests keep working:
// - "replace" of a missing member of an existing object sets it (RFC 6902: error);
// - a missing "value" for add or replace means null (KubeFed drops a null value).
// kfed is stricter than KubeFed in two ways: a path must be a valid JSON pointer and an
// unknown op is reported by validation rather than when applied.
#ifndef KFED_OVERRIDES_OVERRIDES_H_
#define KFED_OVERRIDES_OVERRIDES_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "rapidjson/document.h"

namespace kfed::overrides {

// True for the paths KubeFed forbids overriding.
bool IsForbiddenOverridePath(absl::string_view path);

// Checks the structure and rules above for every cluster. `overrides` is the value of
// spec.overrides; null means none. kInvalidArgument names the entry, e.g.
//   overrides[1] for cluster "member2": clusterOverrides[0]: path "/metadata/name" may not be
//   overridden
absl::Status ValidateOverrides(const rapidjson::Value& overrides);

// Applies the overrides for `cluster` to `object` (the rendered member object) in order,
// atomically. A cluster without an entry is a no-op. The whole of `overrides` is
// validated first, as KubeFed does: an invalid entry for any cluster fails every cluster.
// Errors name the cluster, the override and the operation, for ApplyOverridesFailed:
//   overrides[0] for cluster "member1": clusterOverrides[1] (remove /spec/paused): path not found
absl::Status ApplyClusterOverrides(const rapidjson::Value& overrides, absl::string_view cluster,
                                   rapidjson::Document* object);

// The paths overridden for `cluster`, in order, as written; empty when the cluster has no
// entry or `overrides` is malformed. For status messages and previews.
std::vector<std::string> OverridePathsForCluster(const rapidjson::Value& overrides,
                                                 absl::string_view cluster);

}  // namespace kfed::overrides

#endif  // KFED_OVERRIDES_OVERRIDES_H_
