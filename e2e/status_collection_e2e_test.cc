// Status collection on the local clusters (KubeFed v0.10 semantics), with the controller
// restarted under each setting of the feature gate RawResourceStatusCollection:
//   - Disabled (KubeFed's default): the `services` FederatedTypeConfig with statusCollection
//     Enabled and statusType FederatedServiceStatus runs the status controller
//     (status.statusController Running): a FederatedServiceStatus lists each member's Service
//     status and goes with its FederatedService; other types' status.clusters carry no
//     remoteStatus, and their statusController is NotRunning;
//   - Enabled: status.clusters[].remoteStatus of a FederatedDeployment shows each member
//     Deployment's readyReplicas / availableReplicas (and follows a scale), of a FederatedJob
//     the member Job's status; the status controller is NotRunning (KubeFed runs either).
// KubeFed's own e2e specs "should be created, read its remote status and deleted successfully"
// (deployments, replicasets, jobs) check the same. The suite puts the FTCs and the
// KubeFedConfig back as it found them.
#include <gtest/gtest.h>
#include <signal.h>

#include <map>
#include <string>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "e2e/cluster_env.h"
#include "e2e/federation_env.h"

namespace kfed::e2e {
namespace {

using ::absl::StrCat;

const std::string& Host() { return Clusters().host; }

// member1 runs 1 replica, member2 2 (overrides), so each remoteStatus is told apart.
constexpr char kDeployment[] = R"(apiVersion: types.kubefed.io/v1beta1
kind: FederatedDeployment
metadata: {name: web, namespace: %NS%}
spec:
  template:
    metadata: {labels: {app: web}}
    spec:
      replicas: 1
      selector: {matchLabels: {app: web}}
      template:
        metadata: {labels: {app: web}}
        spec:
          containers: [{name: web, image: "nginx:1.27"}]
  placement:
    clusterSelector: {}
  overrides:
  - clusterName: %M2%
    clusterOverrides:
    - {path: /spec/replicas, value: %M2_REPLICAS%}
)";

constexpr char kService[] = R"(apiVersion: types.kubefed.io/v1beta1
kind: FederatedService
metadata: {name: front, namespace: %NS%}
spec:
  template:
    spec:
      selector: {app: web}
      ports: [{port: 80, targetPort: 8080}]
  placement:
    clusterSelector: {}
)";

constexpr char kJob[] = R"(apiVersion: types.kubefed.io/v1beta1
kind: FederatedJob
metadata: {name: once, namespace: %NS%}
spec:
  template:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers: [{name: once, image: "busybox:1.36"}]
  placement:
    clusterSelector: {}
)";

class StatusCollectionE2eTest : public FederationTest {
 protected:
  StatusCollectionE2eTest() : FederationTest(/*min_members=*/2) {}

  // KubeFedConfig featureGates with RawResourceStatusCollection `raw`, then a controller
  // restart (KubeFed reads the KubeFedConfig at start, as kfed does).
  void SetRawStatusGate(bool raw) {
    const std::string patch =
        StrCat(R"({"spec":{"featureGates":[{"name":"PushReconciler","configuration":"Enabled"},)",
               R"({"name":"RawResourceStatusCollection","configuration":")",
               raw ? "Enabled" : "Disabled",
               R"("},{"name":"SchedulerPreferences","configuration":"Enabled"}]}})");
    ASSERT_TRUE(Kubectl(Host(), {"patch", "kubefedconfig", "kubefed", "-n", kFedNamespace,
                                 "--type", "merge", "-p", patch})
                    .ok());
    fed_->StopController(fed_->primary(), SIGTERM);
    ASSERT_TRUE(fed_->RestartPrimary().ok());
  }

  // statusCollection Enabled (and `status_type`, a YAML flow mapping, or none) on FTC `name`.
  void EnableStatusCollection(const std::string& name, const std::string& status_type = "") {
    std::string patch = R"({"spec":{"statusCollection":"Enabled")";
    if (!status_type.empty()) patch += StrCat(R"(,"statusType":)", status_type);
    patch += "}}";
    auto out = Kubectl(Host(), {"patch", "federatedtypeconfig", name, "-n", kFedNamespace,
                                "--type", "merge", "-p", patch});
    ASSERT_TRUE(out.ok()) << out.status();
  }
  void DisableStatusCollection(const std::string& name) {
    (void)Kubectl(Host(), {"patch", "federatedtypeconfig", name, "-n", kFedNamespace, "--type",
                           "json", "-p",
                           R"([{"op":"remove","path":"/spec/statusCollection"}])"});
    (void)Kubectl(Host(), {"patch", "federatedtypeconfig", name, "-n", kFedNamespace, "--type",
                           "json", "-p", R"([{"op":"remove","path":"/spec/statusType"}])"});
  }

  // Waits until FTC `name` reports status.statusController == `want` for its generation.
  absl::Status WaitForStatusController(const std::string& name, const std::string& want) {
    return fed_->WaitForObject(
        Host(), {"federatedtypeconfig", name, "-n", kFedNamespace},
        [&](const rapidjson::Value& ftc) -> absl::Status {
          const rapidjson::Value* generation = json::FindPath(ftc, {"metadata", "generation"});
          const rapidjson::Value* observed = json::FindPath(ftc, {"status", "observedGeneration"});
          const rapidjson::Value* status = json::Find(ftc, "status");
          if (generation == nullptr || observed == nullptr || status == nullptr ||
              !(*generation == *observed)) {
            return absl::UnavailableError("status not for this generation");
          }
          const std::string got = json::GetString(*status, "statusController");
          if (got != want || json::GetString(*status, "propagationController") != "Running") {
            return absl::UnavailableError(StrCat("statusController ", got));
          }
          return absl::OkStatus();
        },
        absl::Seconds(90));
  }

  // remoteStatus of `cluster` in the federated object's status.clusters (null when none).
  static const rapidjson::Value* RemoteStatus(const rapidjson::Value& fed,
                                              const std::string& cluster) {
    const rapidjson::Value* c = ClusterStatus(fed, cluster);
    return c == nullptr ? nullptr : json::Find(*c, "remoteStatus");
  }
};

TEST_F(StatusCollectionE2eTest, ServiceStatusAndRemoteStatusFollowTheFeatureGate) {
  const std::vector<std::string>& members = Clusters().members;
  // Whatever happens, the federation is left as other suites expect it.
  absl::Cleanup restore = [this] {
    DisableStatusCollection("services");
    DisableStatusCollection("deployments.apps");
    DisableStatusCollection("jobs.batch");
    SetRawStatusGate(false);
  };
  EnableStatusCollection(
      "services",
      R"({"group":"core.kubefed.io","version":"v1alpha1","kind":"FederatedServiceStatus","pluralName":"federatedservicestatuses","scope":"Namespaced"})");
  EnableStatusCollection("deployments.apps");
  EnableStatusCollection("jobs.batch");

  // --- RawResourceStatusCollection Disabled (KubeFed's default) ---------------------------
  ASSERT_TRUE(WaitForStatusController("services", "Running").ok());
  ASSERT_TRUE(WaitForStatusController("deployments.apps", "NotRunning").ok());
  const std::string ns = fed_->NewNamespace("kfed-statuscoll");
  ASSERT_TRUE(Apply(Host(), Subst(kService, {{"%NS%", ns}})).ok());
  // One entry per member, each with the status of that member's Service (loadBalancer).
  absl::Status listed = fed_->WaitForObject(
      Host(), {"federatedservicestatus", "front", "-n", ns},
      [&](const rapidjson::Value& fss) -> absl::Status {
        const rapidjson::Value* cs = json::Find(fss, "clusterStatus");
        if (cs == nullptr || !cs->IsArray() || cs->Size() != members.size()) {
          return absl::UnavailableError("clusterStatus not listing every member");
        }
        for (size_t i = 0; i < members.size(); ++i) {
          if (json::GetString((*cs)[i], "clusterName") != members[i]) {
            return absl::UnavailableError(StrCat("entry ", i, " is not ", members[i]));
          }
          if (json::FindPath((*cs)[i], {"status", "loadBalancer"}) == nullptr) {
            return absl::UnavailableError(StrCat(members[i], ": no Service status yet"));
          }
        }
        const rapidjson::Value* owners = json::FindPath(fss, {"metadata", "ownerReferences"});
        if (owners == nullptr || owners->Size() != 1 ||
            json::GetString((*owners)[0], "kind") != "FederatedService") {
          return absl::FailedPreconditionError("not owned by the FederatedService");
        }
        return absl::OkStatus();
      },
      absl::Seconds(90));
  ASSERT_TRUE(listed.ok()) << listed;

  // Without the gate, no remoteStatus even where statusCollection is Enabled.
  ASSERT_TRUE(Apply(Host(), Subst(kDeployment, {{"%NS%", ns}, {"%M2%", members[1]},
                                                {"%M2_REPLICAS%", "2"}}))
                  .ok());
  absl::Status propagated = fed_->WaitForObject(
      Host(), {"federateddeployment", "web", "-n", ns},
      [&](const rapidjson::Value& fd) -> absl::Status {
        const rapidjson::Value* c = PropagationCondition(fd);
        if (c == nullptr || json::GetString(*c, "status") != "True") {
          return absl::UnavailableError("not propagated yet");
        }
        for (const std::string& m : members) {
          if (ClusterStatus(fd, m) == nullptr) return absl::UnavailableError(m + " not listed");
          if (RemoteStatus(fd, m) != nullptr) {
            return absl::FailedPreconditionError(m + " has a remoteStatus with the gate Disabled");
          }
        }
        return absl::OkStatus();
      },
      absl::Seconds(90));
  ASSERT_TRUE(propagated.ok()) << propagated;

  // The FederatedServiceStatus goes with its FederatedService (garbage collector).
  ASSERT_TRUE(Kubectl(Host(), {"delete", "federatedservice", "front", "-n", ns}).ok());
  EXPECT_TRUE(
      fed_->WaitForAbsent(Host(), {"federatedservicestatus", "front", "-n", ns}, absl::Seconds(90))
          .ok());

  // --- RawResourceStatusCollection Enabled -------------------------------------------------
  SetRawStatusGate(true);
  // KubeFed runs either: with raw collection the status controller does not run.
  ASSERT_TRUE(WaitForStatusController("services", "NotRunning").ok());
  // Each cluster's remoteStatus is that member Deployment's status.
  auto remote_matches_members = [&](int m2_replicas) {
    return fed_->WaitForObject(
        Host(), {"federateddeployment", "web", "-n", ns},
        [&](const rapidjson::Value& fd) -> absl::Status {
          for (size_t i = 0; i < members.size(); ++i) {
            const int want = i == 1 ? m2_replicas : 1;
            const rapidjson::Value* remote = RemoteStatus(fd, members[i]);
            if (remote == nullptr) return absl::UnavailableError(members[i] + ": no remoteStatus");
            absl::StatusOr<rapidjson::Document> dep =
                KubectlJson(members[i], {"get", "deployment", "web", "-n", ns});
            if (!dep.ok()) return dep.status();
            for (const char* field : {"readyReplicas", "availableReplicas"}) {
              const rapidjson::Value* got = json::Find(*remote, field);
              const rapidjson::Value* member = json::FindPath(*dep, {"status", field});
              if (got == nullptr || member == nullptr || !got->IsInt() || got->GetInt() != want ||
                  !(*got == *member)) {
                return absl::UnavailableError(
                    StrCat(members[i], " ", field, ": remoteStatus ",
                           got ? json::Serialize(*got) : "none", ", member ",
                           member ? json::Serialize(*member) : "none", ", want ", want));
              }
            }
          }
          const rapidjson::Value* c = PropagationCondition(fd);
          if (c == nullptr || json::GetString(*c, "status") != "True") {
            return absl::UnavailableError("Propagation not True");
          }
          return absl::OkStatus();
        },
        absl::Seconds(150));
  };
  absl::Status remote = remote_matches_members(2);
  ASSERT_TRUE(remote.ok()) << remote;
  // A scale in member2 (override) shows in its remoteStatus once the member's status follows.
  ASSERT_TRUE(Apply(Host(), Subst(kDeployment, {{"%NS%", ns}, {"%M2%", members[1]},
                                                {"%M2_REPLICAS%", "3"}}))
                  .ok());
  remote = remote_matches_members(3);
  ASSERT_TRUE(remote.ok()) << remote;

  // A FederatedJob: each remoteStatus is the member Job's status once it has completed.
  ASSERT_TRUE(Apply(Host(), Subst(kJob, {{"%NS%", ns}})).ok());
  absl::Status job = fed_->WaitForObject(
      Host(), {"federatedjob", "once", "-n", ns},
      [&](const rapidjson::Value& fj) -> absl::Status {
        for (const std::string& m : members) {
          const rapidjson::Value* remote_job = RemoteStatus(fj, m);
          if (remote_job == nullptr) return absl::UnavailableError(m + ": no remoteStatus");
          absl::StatusOr<rapidjson::Document> member_job =
              KubectlJson(m, {"get", "job", "once", "-n", ns});
          if (!member_job.ok()) return member_job.status();
          const rapidjson::Value* status = json::Find(*member_job, "status");
          if (status == nullptr || json::Find(*status, "succeeded") == nullptr) {
            return absl::UnavailableError(m + ": the member Job has not succeeded yet");
          }
          if (!(*status == *remote_job)) {
            return absl::UnavailableError(StrCat(m, ": remoteStatus ",
                                                 json::Serialize(*remote_job), " != member ",
                                                 json::Serialize(*status)));
          }
        }
        return absl::OkStatus();
      },
      absl::Seconds(150));
  EXPECT_TRUE(job.ok()) << job;
}

}  // namespace
}  // namespace kfed::e2e
