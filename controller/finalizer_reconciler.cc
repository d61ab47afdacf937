#include "controller/finalizer_reconciler.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "controller/kubefed_resources.h"
#include "controller/object_meta.h"
#include "federated_types/keys.h"
#include "federated_types/placement.h"
#include "kube/errors.h"

namespace kfed::controller {
namespace ft = ::kfed::federated_types;

bool NeedsFinalizer(const SyncControllerOptions& options, const rapidjson::Value& fed) {
  if (HasDeletionTimestamp(fed) || HasFinalizer(fed, ft::kSyncControllerFinalizer)) return false;
  if (options.type_config.IsNamespace() &&
      ft::IsSystemNamespace(Meta(fed, "name"), options.kubefed_namespace)) {
    return false;
  }
  return true;
}

absl::StatusOr<kube::ObjectPtr> SetSyncFinalizer(kube::Client& host,
                                                 const SyncControllerOptions& options,
                                                 const rapidjson::Value& fed, bool present,
                                                 kube::RequestPriority priority) {
  rapidjson::Document copy = json::Clone(fed);
  SetFinalizer(copy, ft::kSyncControllerFinalizer, present);
  kube::WriteOptions write;
  write.field_manager = options.field_manager;
  write.priority = priority;
  return host.Update(FederatedResourceOf(options.type_config), Meta(fed, "namespace"), copy, write);
}

FinalizerReconciler::FinalizerReconciler(kube::Client& host, const SyncControllerOptions& options,
                                         const kube::Informer& federated, EventRecorder& events)
    : host_(host),
      options_(options),
      federated_(federated),
      events_(events),
      own_writes_([this](const std::string& key) {
        auto [ns, name] = SplitObjectKey(key);
        return federated_.Get(options_.type_config.FederatedNamespaced() ? ns : "", name);
      }) {}

absl::StatusOr<ReconcileResult> FinalizerReconciler::Reconcile(const std::string& key) {
  auto [fed_ns, fed_name] = SplitObjectKey(key);
  kube::ObjectPtr fed =
      federated_.Get(options_.type_config.FederatedNamespaced() ? fed_ns : "", fed_name);
  if (fed == nullptr) {
    own_writes_.Forget(key);
    return ReconcileResult::Done();
  }
  fed = own_writes_.Latest(key, std::move(fed));
  if (!NeedsFinalizer(options_, *fed)) return ReconcileResult::Done();
  absl::StatusOr<kube::ObjectPtr> written =
      SetSyncFinalizer(host_, options_, *fed, /*present=*/true, kube::RequestPriority::kHigh);
  if (written.ok()) {
    own_writes_.Record(key, *written);
    return ReconcileResult::Done();
  }
  own_writes_.Forget(key);
  const absl::Status added = written.status();
  if (kube::IsNotFound(added)) return ReconcileResult::Done();
  // A conflict means the cache is behind: the newer object's event re-queues the key.
  events_.Record(*fed, true, std::string(ft::kEventEnsureFinalizerError),
                 std::string(added.message()));
  return absl::Status(
      added.code(), absl::StrCat("adding finalizer to ", DescribeObject(options_.type_config, key),
                                 ": ", added.message()));
}

}  // namespace kfed::controller
