#include "controller/dispatcher.h"

#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "federated_types/keys.h"
#include "federated_types/render.h"
#include "federated_types/versions.h"
#include "glog/logging.h"
#include "kube/errors.h"

namespace kfed::controller {
namespace ft = ::kfed::federated_types;

namespace {

std::string Describe(const DispatchContext& c) {
  return c.namespace_.empty() ? c.name : absl::StrCat(c.namespace_, "/", c.name);
}

// `op` is the operation KubeFed would have recorded as timed out when `error` is the client's
// deadline (an adoption's update counts as an update, as in KubeFed).
DispatchOutcome Failure(Operation op, absl::string_view status, absl::string_view event_reason,
                        absl::string_view what, const absl::Status& error) {
  DispatchOutcome out;
  out.status = std::string(IsClientTimeout(error) ? TimedOutStatus(op) : status);
  out.message = absl::StrCat(what, ": ", error.message());
  if (absl::IsCancelled(error)) {
    // The member's client was retired (kube::Client::CancelRetries: its KubeFedCluster or
    // Secret changed, or it left) while this request waited to retry: KubeFed's "Error
    // retrieving client for cluster". The workers restart with the new client and retry.
    out.status = std::string(ft::kClientRetrievalFailed);
    absl::StrAppend(&out.message, " (the cluster's client was replaced or stopped)");
  }
  out.retry = kube::IsRetryable(error) || kube::IsConflict(error) || kube::IsNotFound(error) ||
              kube::IsAlreadyExists(error) || absl::IsCancelled(error);
  out.error = error;
  // KubeFed's Warning for operations that did not finish in time.
  out.event_reason =
      std::string(IsClientTimeout(error) ? ft::kEventOperationTimeoutError : event_reason);
  out.event_warning = true;
  return out;
}

DispatchOutcome Written(const kube::ObjectPtr& object, absl::string_view event_reason) {
  DispatchOutcome out;
  out.wrote = true;
  out.version = ft::ObjectVersion(*object);
  if (const rapidjson::Value* metadata = json::Find(*object, "metadata")) {
    out.resource_version = json::GetString(*metadata, "resourceVersion");
    out.uid = json::GetString(*metadata, "uid");
  }
  out.event_reason = std::string(event_reason);
  return out;
}

// Create, and on AlreadyExists adopt the existing object (when allowed) by updating it to the
// desired state, which adds the managed label.
DispatchOutcome CreateOrAdopt(kube::Client& client, const ClusterAction& action,
                              const DispatchContext& context) {
  absl::StatusOr<kube::ObjectPtr> created =
      client.Create(context.target, context.namespace_, *action.desired, {context.field_manager});
  if (created.ok()) return Written(*created, ft::kEventCreateInCluster);
  if (!kube::IsAlreadyExists(created.status())) {
    return Failure(Operation::kCreate, ft::kCreationFailed, ft::kEventCreateInClusterFailed,
                   absl::StrCat("creating ", Describe(context)), created.status());
  }
  if (!context.adopt_resources) {
    DispatchOutcome out;
    out.status = std::string(ft::kAlreadyExists);
    out.message = absl::StrCat(Describe(context),
                               " already exists in the cluster and adoptResources is Disabled");
    out.event_reason = std::string(ft::kEventCreateInClusterFailed);
    out.event_warning = true;
    return out;
  }
  absl::StatusOr<kube::ObjectPtr> existing =
      client.Get(context.target, context.namespace_, context.name);
  if (!existing.ok()) {
    return Failure(Operation::kCreate, ft::kRetrievalFailed, ft::kEventCreateInClusterFailed,
                   absl::StrCat("reading existing ", Describe(context), " to adopt it"),
                   existing.status());
  }
  if (IsExplicitlyUnmanaged(**existing)) {
    DispatchOutcome out;
    out.status = std::string(ft::kManagedLabelFalse);
    out.message =
        absl::StrCat("existing ", Describe(context), " has label ", ft::kManagedLabel, "=false");
    return out;
  }
  ft::RenderRequest render;
  render.federated_object = context.federated_object;
  render.type_config = context.type_config;
  render.cluster = action.cluster;
  render.live = existing->get();
  absl::StatusOr<ft::RenderedObject> desired = ft::RenderForCluster(render);
  if (!desired.ok()) {
    DispatchOutcome out;
    out.status = ft::RenderFailureStatus(desired.status());
    out.message = std::string(desired.status().message());
    return out;
  }
  absl::StatusOr<kube::ObjectPtr> adopted =
      client.Update(context.target, context.namespace_, desired->object, {context.field_manager});
  if (!adopted.ok()) {
    return Failure(Operation::kUpdate, ft::kUpdateFailed, ft::kEventUpdateInClusterFailed,
                   absl::StrCat("adopting existing ", Describe(context)), adopted.status());
  }
  LOG(INFO) << "adopted existing " << context.target.resource << " " << Describe(context)
            << " in cluster " << action.cluster;
  return Written(*adopted, ft::kEventUpdateInCluster);
}

}  // namespace

absl::string_view TimedOutStatus(Operation op) {
  switch (op) {
    case Operation::kNone:
      return "";
    case Operation::kCreate:
      return ft::kCreationTimedOut;
    case Operation::kUpdate:
      return ft::kUpdateTimedOut;
    case Operation::kDelete:
      return ft::kDeletionTimedOut;
    case Operation::kRemoveManagedLabel:
      return ft::kLabelRemovalTimedOut;
  }
  return "";
}

bool IsClientTimeout(const absl::Status& error) {
  return kube::IsTimeout(error) && kube::HttpCode(error) == 0;
}

DispatchOutcome Dispatch(kube::Client& client, const ClusterAction& action,
                         const DispatchContext& context) {
  switch (action.op) {
    case Operation::kNone: {
      DispatchOutcome out;
      out.status = action.status;
      out.message = action.message;
      out.version = action.version;
      return out;
    }
    case Operation::kCreate:
      return CreateOrAdopt(client, action, context);
    case Operation::kUpdate: {
      absl::StatusOr<kube::ObjectPtr> updated = client.Update(
          context.target, context.namespace_, *action.desired, {context.field_manager});
      if (!updated.ok()) {
        return Failure(Operation::kUpdate, ft::kUpdateFailed, ft::kEventUpdateInClusterFailed,
                       absl::StrCat("updating ", Describe(context)), updated.status());
      }
      return Written(*updated, ft::kEventUpdateInCluster);
    }
    case Operation::kDelete: {
      kube::DeleteOptions options = context.delete_options;
      // Delete exactly the managed object the cache showed, never a replacement.
      if (!action.live_uid.empty()) options.precondition_uid = action.live_uid;
      if (!action.live_resource_version.empty()) {
        options.precondition_resource_version = action.live_resource_version;
      }
      absl::Status deleted =
          client.Delete(context.target, context.namespace_, context.name, options);
      if (!deleted.ok() && !kube::IsNotFound(deleted)) {
        return Failure(Operation::kDelete, ft::kDeletionFailed, ft::kEventDeleteInClusterFailed,
                       absl::StrCat("deleting ", Describe(context)), deleted);
      }
      DispatchOutcome out;
      out.wrote = deleted.ok();
      out.event_reason = deleted.ok() ? std::string(ft::kEventDeleteInCluster) : "";
      return out;
    }
    case Operation::kRemoveManagedLabel: {
      rapidjson::Document patch;
      patch.SetObject();
      auto& a = patch.GetAllocator();
      rapidjson::Value& metadata = json::EnsureObject(patch, "metadata", a);
      rapidjson::Value& labels = json::EnsureObject(metadata, "labels", a);
      json::Set(labels, ft::kManagedLabel, rapidjson::Value(rapidjson::kNullType), a);
      if (!action.live_resource_version.empty()) {
        json::SetString(metadata, "resourceVersion", action.live_resource_version, a);
      }
      absl::StatusOr<kube::ObjectPtr> patched =
          client.Patch(context.target, context.namespace_, context.name, kube::PatchType::kMerge,
                       json::Serialize(patch), {context.field_manager});
      if (!patched.ok() && !kube::IsNotFound(patched.status())) {
        return Failure(
            Operation::kRemoveManagedLabel, ft::kLabelRemovalFailed, ft::kEventRemoveManagedLabelFromInClusterFailed,
            absl::StrCat("removing label ", ft::kManagedLabel, " from ", Describe(context)),
            patched.status());
      }
      DispatchOutcome out;
      out.wrote = patched.ok();
      out.event_reason = patched.ok() ? std::string(ft::kEventRemoveManagedLabelFromInCluster) : "";
      return out;
    }
  }
  return {};
}

absl::StatusOr<kube::DeleteOptions> ParseDeleteOptions(const rapidjson::Value& federated_object) {
  kube::DeleteOptions options;
  const rapidjson::Value* annotations =
      json::FindPath(federated_object, {"metadata", "annotations"});
  const rapidjson::Value* raw =
      annotations ? json::Find(*annotations, ft::kDeleteOptionAnnotation) : nullptr;
  if (raw == nullptr) return options;
  if (!raw->IsString()) {
    return absl::InvalidArgumentError(
        absl::StrCat("annotation ", ft::kDeleteOptionAnnotation, " must be a string"));
  }
  absl::StatusOr<rapidjson::Document> parsed = json::Parse(raw->GetString());
  if (!parsed.ok() || !parsed->IsObject()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "annotation ", ft::kDeleteOptionAnnotation, " is not a JSON DeleteOptions object: ",
        parsed.ok() ? "not an object" : parsed.status().message()));
  }
  if (const rapidjson::Value* grace = json::Find(*parsed, "gracePeriodSeconds")) {
    if (!grace->IsInt64() || grace->GetInt64() < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("annotation ", ft::kDeleteOptionAnnotation,
                       ": gracePeriodSeconds must be a non-negative integer"));
    }
    options.grace_period_seconds = grace->GetInt64();
  }
  std::string policy = json::GetString(*parsed, "propagationPolicy");
  if (!policy.empty() && policy != "Orphan" && policy != "Background" && policy != "Foreground") {
    return absl::InvalidArgumentError(
        absl::StrCat("annotation ", ft::kDeleteOptionAnnotation, ": propagationPolicy \"", policy,
                     "\" is not one of Orphan, Background, Foreground"));
  }
  options.propagation_policy = policy;
  if (const rapidjson::Value* pre = json::Find(*parsed, "preconditions")) {
    options.precondition_uid = json::GetString(*pre, "uid");
    options.precondition_resource_version = json::GetString(*pre, "resourceVersion");
  }
  return options;
}

}  // namespace kfed::controller
