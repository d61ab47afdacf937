// The MCS controller's state of one member cluster and helpers shared by mcs_controller.cc
// (services) and mcs_member.cc (members: discovery, informers). Internal to McsController.
#ifndef KFED_CONTROLLER_MCS_MEMBER_H_
#define KFED_CONTROLLER_MCS_MEMBER_H_

#include <atomic>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "controller/mcs_controller.h"
#include "kube/client.h"
#include "kube/informer.h"
#include "rapidjson/document.h"

namespace kfed::controller {
namespace mcs_internal {

// Indexes of the EndpointSlice informer: "ns/<service>" of a Service's own slices (Kubernetes'
// kubernetes.io/service-name) and of the slices kfed publishes (multicluster service-name).
inline constexpr char kSourceIndex[] = "mcs-source";
inline constexpr char kDerivedIndex[] = "mcs-derived";

// What to do about a member error, appended to its message ("" when nothing helps).
std::string Hint(const absl::Status& status);

}  // namespace mcs_internal

struct McsController::Member {
  uint64_t client_generation = 0;
  std::shared_ptr<kube::Client> client;
  // nullptr in a placeholder: a member whose discovery has not shown the mcs-api CRDs (yet).
  // Once it does, a Member with informers replaces the placeholder in members_; these pointers
  // are never assigned after the Member is published.
  std::unique_ptr<kube::Informer> exports;
  std::unique_ptr<kube::Informer> imports;
  // Started once `exports` synced: Services, EndpointSlices, Namespaces.
  std::unique_ptr<kube::Informer> services;
  std::unique_ptr<kube::Informer> slices;
  std::unique_ptr<kube::Informer> namespaces;
  // Set (release) by the cluster's reconcile once the three above exist and started; they
  // are read only after seeing it set (acquire).
  std::atomic<bool> secondary_started{false};
  // A placeholder whose discovery said the CRDs are not served: it positively exports nothing.
  std::atomic<bool> no_crds{false};
  // Guarded by the controller's mu_: the member's part (McsMemberView) and what the last
  // cluster reconcile saw (to re-queue every service only when that changed).
  std::string state = std::string(kMcsPending);
  std::string problem;
  std::string seen;

  bool HasInformers() const { return exports != nullptr; }
  bool AllSynced() const {
    return HasInformers() && exports->HasSynced() && imports->HasSynced() &&
           secondary_started.load() && services->HasSynced() && slices->HasSynced() &&
           namespaces->HasSynced();
  }
  void StopAll() {
    for (auto* i : {exports.get(), imports.get(), services.get(), slices.get(), namespaces.get()}) {
      if (i != nullptr) i->Stop();
    }
  }
};

}  // namespace kfed::controller

#endif  // KFED_CONTROLLER_MCS_MEMBER_H_
