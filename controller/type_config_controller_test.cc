// The FederatedTypeConfig controller against an in-memory host (kube::FakeClient): sync
// controllers started and stopped at run time as FTCs are created, enabled, disabled and
// deleted, its finalizer and status.propagationController, and namespaced types waiting for
// the namespaces type. Run under TSan by hack/tsan.sh.
#include "controller/type_config_controller.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "base/testing.h"
#include "controller/cluster_registry.h"
#include "controller/events.h"
#include "controller/kubefed_resources.h"
#include "controller/metrics.h"
#include "controller/object_meta.h"
#include "federated_types/keys.h"
#include "federated_types/type_config.h"
#include "kube/client_fake.h"
#include "kube/errors.h"
#include "kube/informer.h"
#include "kube/resource.h"

namespace kfed::controller {
namespace {

namespace ft = ::kfed::federated_types;
using ::kfed::testing::Eventually;

constexpr char kNs[] = "kube-federation-system";

ft::TypeConfig Type(const std::string& name) {
  for (const ft::TypeConfig& t : ft::DefaultTypeConfigs()) {
    if (t.name == name) return t;
  }
  ADD_FAILURE() << "no default type " << name;
  return {};
}

class TypeConfigControllerTest : public ::testing::Test {
 protected:
  void SetUp() override { registry_.MarkSynced(); }

  void TearDown() override {
    if (controller_ != nullptr) controller_->Stop();
    for (kube::Informer* i : {federated_namespaces_.get(), propagated_versions_.get(),
                              cluster_propagated_versions_.get(), namespaces_.get()}) {
      if (i != nullptr) i->Stop();
    }
    if (events_ != nullptr) events_->Stop();
  }

  void Start(bool limited_scope = false, bool raw_resource_status_collection = false) {
    auto informer = [this](kube::GroupVersionResource gvr) {
      kube::InformerOptions o;
      o.gvr = std::move(gvr);
      auto i = std::make_unique<kube::Informer>(host_, o);
      i->Start();
      return i;
    };
    federated_namespaces_ = informer(FederatedNamespacesResource());
    propagated_versions_ = informer(PropagatedVersionsResource());
    cluster_propagated_versions_ = informer(ClusterPropagatedVersionsResource());
    namespaces_ = informer(kube::NamespacesResource());
    events_ = std::make_unique<EventRecorder>(host_, "type-config-controller-test");
    SyncControllerOptions base;
    base.kubefed_namespace = kNs;
    base.limited_scope = limited_scope;
    base.raw_resource_status_collection = raw_resource_status_collection;
    controller_ = std::make_unique<TypeConfigController>(
        host_, registry_,
        HostCaches{federated_namespaces_.get(), propagated_versions_.get(),
                   cluster_propagated_versions_.get(), namespaces_.get()},
        metrics_, *events_, base);
    controller_->Start();
  }

  // `status_collection`: statusCollection Enabled with KubeFed's statusType for services
  // (FederatedServiceStatus, core.kubefed.io/v1alpha1).
  void CreateFtc(const std::string& name, bool enabled = true, bool status_collection = false) {
    ft::TypeConfig t = Type(name);
    t.propagation_enabled = enabled;
    if (status_collection) {
      t.status_collection_enabled = true;
      t.status_type = ft::ApiResource{"core.kubefed.io", "v1alpha1", "FederatedServiceStatus",
                                      "federatedservicestatuses", ft::Scope::kNamespaced};
    }
    rapidjson::Document doc = ft::TypeConfigToJson(t);
    json::SetString(doc["metadata"], "namespace", kNs, doc.GetAllocator());
    absl::StatusOr<kube::ObjectPtr> created =
        host_.Create(FederatedTypeConfigsResource(), kNs, doc, {});
    ASSERT_TRUE(created.ok()) << created.status();
  }

  kube::ObjectPtr Ftc(const std::string& name) {
    absl::StatusOr<kube::ObjectPtr> ftc = host_.Get(FederatedTypeConfigsResource(), kNs, name);
    return ftc.ok() ? *ftc : nullptr;
  }
  bool HasFtcFinalizer(const std::string& name) {
    kube::ObjectPtr ftc = Ftc(name);
    return ftc != nullptr && HasFinalizer(*ftc, ft::kFederatedTypeConfigFinalizer);
  }
  // status.propagationController, when status.observedGeneration is the FTC's generation.
  std::string Propagation(const std::string& name) {
    kube::ObjectPtr ftc = Ftc(name);
    const rapidjson::Value* status = ftc ? json::Find(*ftc, "status") : nullptr;
    const rapidjson::Value* generation =
        ftc ? json::FindPath(*ftc, {"metadata", "generation"}) : nullptr;
    const rapidjson::Value* observed = status ? json::Find(*status, "observedGeneration") : nullptr;
    if (status == nullptr || generation == nullptr || observed == nullptr || !observed->IsInt64() ||
        observed->GetInt64() != generation->GetInt64()) {
      return "";
    }
    return json::GetString(*status, "propagationController");
  }
  // status.statusController, once status.propagationController is `propagation`.
  std::string StatusController(const std::string& name, absl::string_view propagation) {
    if (Propagation(name) != propagation) return "";
    return json::GetString(*json::Find(*Ftc(name), "status"), "statusController");
  }
  std::vector<std::string> Running() {
    std::vector<std::string> running = controller_->Running();
    std::sort(running.begin(), running.end());
    return running;
  }

  kube::FakeClient host_;
  ClusterRegistry registry_;
  MetricsRegistry metrics_;
  std::unique_ptr<kube::Informer> federated_namespaces_, propagated_versions_,
      cluster_propagated_versions_, namespaces_;
  std::unique_ptr<EventRecorder> events_;
  std::unique_ptr<TypeConfigController> controller_;
};

TEST_F(TypeConfigControllerTest, EnabledTypeRunsWithFinalizerAndStatus) {
  CreateFtc("namespaces");
  Start();
  ASSERT_TRUE(Eventually([this] { return Propagation("namespaces") == ft::kControllerRunning; }))
      << Propagation("namespaces");
  EXPECT_EQ(Running(), std::vector<std::string>{"namespaces"});
  EXPECT_TRUE(HasFtcFinalizer("namespaces"));
  EXPECT_EQ(json::GetString(*json::Find(*Ftc("namespaces"), "status"), "statusController"),
            ft::kControllerNotRunning);
  EXPECT_TRUE(Eventually([this] { return controller_->Synced(); }));
}

// KubeFed: the status controller runs for `services` with statusCollection Enabled and a
// statusType, while RawResourceStatusCollection is Disabled; status.statusController says so.
TEST_F(TypeConfigControllerTest, ServiceStatusCollectionRunsTheStatusController) {
  CreateFtc("namespaces");
  CreateFtc("services", /*enabled=*/true, /*status_collection=*/true);
  CreateFtc("configmaps", /*enabled=*/true, /*status_collection=*/true);
  Start();
  ASSERT_TRUE(Eventually([this] {
    return StatusController("services", ft::kControllerRunning) == ft::kControllerRunning;
  })) << StatusController("services", ft::kControllerRunning);
  EXPECT_EQ(controller_->StatusRunning(), std::vector<std::string>{"services"});
  // Not services: remoteStatus only (with the gate), never a status controller.
  ASSERT_TRUE(Eventually([this] {
    return StatusController("configmaps", ft::kControllerRunning) == ft::kControllerNotRunning;
  }));

  // Propagation Disabled: the status controller (which reads the sync controller's member
  // caches) stops with it, and the status says so.
  rapidjson::Document copy = json::Clone(*Ftc("services"));
  json::SetString(copy["spec"], "propagation", "Disabled", copy.GetAllocator());
  ASSERT_TRUE(host_.Update(FederatedTypeConfigsResource(), kNs, copy, {}).ok());
  ASSERT_TRUE(Eventually([this] {
    return StatusController("services", ft::kControllerNotRunning) == ft::kControllerNotRunning;
  })) << StatusController("services", ft::kControllerNotRunning);
  EXPECT_TRUE(controller_->StatusRunning().empty());
}

TEST_F(TypeConfigControllerTest, RawResourceStatusCollectionReplacesTheStatusController) {
  CreateFtc("namespaces");
  CreateFtc("services", /*enabled=*/true, /*status_collection=*/true);
  Start(/*limited_scope=*/false, /*raw_resource_status_collection=*/true);
  ASSERT_TRUE(Eventually([this] {
    return StatusController("services", ft::kControllerRunning) == ft::kControllerNotRunning;
  })) << StatusController("services", ft::kControllerRunning);
  EXPECT_TRUE(controller_->StatusRunning().empty());
}

TEST_F(TypeConfigControllerTest, DisablingStopsTheTypeAndEnablingStartsItAgain) {
  CreateFtc("namespaces");
  Start();
  ASSERT_TRUE(Eventually([this] { return Propagation("namespaces") == ft::kControllerRunning; }));

  auto set_propagation = [this](absl::string_view value) {
    rapidjson::Document copy = json::Clone(*Ftc("namespaces"));
    json::SetString(copy["spec"], "propagation", value, copy.GetAllocator());
    absl::StatusOr<kube::ObjectPtr> updated =
        host_.Update(FederatedTypeConfigsResource(), kNs, copy, {});
    ASSERT_TRUE(updated.ok()) << updated.status();
  };
  set_propagation("Disabled");
  ASSERT_TRUE(
      Eventually([this] { return Propagation("namespaces") == ft::kControllerNotRunning; }));
  EXPECT_TRUE(Running().empty());
  EXPECT_TRUE(HasFtcFinalizer("namespaces"));

  set_propagation("Enabled");
  ASSERT_TRUE(Eventually([this] { return Propagation("namespaces") == ft::kControllerRunning; }));
  EXPECT_EQ(Running(), std::vector<std::string>{"namespaces"});
}

TEST_F(TypeConfigControllerTest, DeletingStopsTheTypeAndRemovesTheFinalizer) {
  CreateFtc("namespaces");
  Start();
  ASSERT_TRUE(Eventually([this] { return Propagation("namespaces") == ft::kControllerRunning; }));
  ASSERT_TRUE(host_.Delete(FederatedTypeConfigsResource(), kNs, "namespaces", {}).ok());
  // The finalizer held the object until the controller stopped the type and removed it.
  ASSERT_TRUE(Eventually([this] { return Ftc("namespaces") == nullptr; }));
  EXPECT_TRUE(Running().empty());
}

TEST_F(TypeConfigControllerTest, NamespacedTypeWaitsForTheNamespacesType) {
  CreateFtc("configmaps");
  Start();
  // Handled (finalizer, status) but not started: FederatedNamespaces are not watched yet.
  ASSERT_TRUE(
      Eventually([this] { return Propagation("configmaps") == ft::kControllerNotRunning; }));
  EXPECT_TRUE(HasFtcFinalizer("configmaps"));
  EXPECT_TRUE(Running().empty());

  CreateFtc("namespaces");
  ASSERT_TRUE(Eventually([this] { return Propagation("configmaps") == ft::kControllerRunning; }))
      << Propagation("configmaps");
  EXPECT_EQ(Running(), (std::vector<std::string>{"configmaps", "namespaces"}));

  // The namespaces type disabled: the namespaced type stops with it.
  rapidjson::Document copy = json::Clone(*Ftc("namespaces"));
  json::SetString(copy["spec"], "propagation", "Disabled", copy.GetAllocator());
  ASSERT_TRUE(host_.Update(FederatedTypeConfigsResource(), kNs, copy, {}).ok());
  ASSERT_TRUE(
      Eventually([this] { return Propagation("configmaps") == ft::kControllerNotRunning; }));
  EXPECT_TRUE(Running().empty());
}

TEST_F(TypeConfigControllerTest, NamespaceScopedControlPlaneNeedsNoNamespacesType) {
  CreateFtc("configmaps");
  Start(/*limited_scope=*/true);
  ASSERT_TRUE(Eventually([this] { return Propagation("configmaps") == ft::kControllerRunning; }));
  EXPECT_EQ(Running(), std::vector<std::string>{"configmaps"});
}

// As KubeFed: a namespace-scoped control plane runs no cluster-scoped type (its members grant
// nothing cluster-scoped) and reports it NotRunning, the namespaces type included.
TEST_F(TypeConfigControllerTest, NamespaceScopedControlPlaneRunsNoClusterScopedType) {
  const std::string clusterroles = "clusterroles.rbac.authorization.k8s.io";
  CreateFtc("configmaps");
  CreateFtc(clusterroles);
  CreateFtc("namespaces");
  Start(/*limited_scope=*/true);
  ASSERT_TRUE(Eventually([this] { return Propagation("configmaps") == ft::kControllerRunning; }));
  ASSERT_TRUE(Eventually([&] { return Propagation(clusterroles) == ft::kControllerNotRunning; }))
      << Propagation(clusterroles);
  ASSERT_TRUE(Eventually([this] { return Propagation("namespaces") == ft::kControllerNotRunning; }))
      << Propagation("namespaces");
  EXPECT_EQ(StatusController(clusterroles, ft::kControllerNotRunning), ft::kControllerNotRunning);
  EXPECT_EQ(Running(), std::vector<std::string>{"configmaps"});
}

TEST_F(TypeConfigControllerTest, InvalidTypeDoesNotRun) {
  ft::TypeConfig t = Type("configmaps");
  rapidjson::Document doc = ft::TypeConfigToJson(t);
  json::SetString(doc["metadata"], "namespace", kNs, doc.GetAllocator());
  json::SetString(doc["spec"]["targetType"], "kind", "", doc.GetAllocator());
  ASSERT_TRUE(host_.Create(FederatedTypeConfigsResource(), kNs, doc, {}).ok());
  CreateFtc("namespaces");
  Start();
  ASSERT_TRUE(
      Eventually([this] { return Propagation("configmaps") == ft::kControllerNotRunning; }));
  ASSERT_TRUE(Eventually([this] { return Propagation("namespaces") == ft::kControllerRunning; }));
  EXPECT_EQ(Running(), std::vector<std::string>{"namespaces"});
}

}  // namespace
}  // namespace kfed::controller
