// KubeFed's remaining status values on real clusters (issue 19), and the KubeFedConfig settings
// kfed accepts without applying, reported in the KubeFedConfig's own status:
//   - member writes that get no answer in time (member2's apiserver stopped with SIGSTOP) are
//     CreationTimedOut / UpdateTimedOut / DeletionTimedOut in status.clusters, with KubeFed's
//     OperationTimeoutError Event, and propagate once the member answers again;
//   - KubeFedConfig `kubefed` carries SettingsHonoured=False (IgnoredFields) naming
//     controllerDuration.availableDelay / unavailableDelay with their values, and a changed
//     value is reported (condition and a Warning Event) by the next leader.
// A KubeFedCluster whose Secret is broken is ClusterNotReady on the objects placed there, as
// in KubeFed (its cluster controller marks it ConfigMalformed, not Ready):
// //e2e:bad_input_e2e_test ClusterWithMissingOrMalformedSecretOrCaIsConfigMalformed.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "base/json.h"
#include "e2e/cluster_env.h"
#include "e2e/federation_env.h"

namespace kfed::e2e {
namespace {

using ::absl::StrCat;

constexpr absl::Duration kWait = absl::Minutes(2);

std::string FederatedConfigMap(const std::string& ns, const std::string& name,
                               const std::vector<std::string>& clusters,
                               const std::string& value) {
  std::string placement;
  for (const std::string& c : clusters) absl::StrAppend(&placement, "    - name: ", c, "\n");
  return StrCat("apiVersion: types.kubefed.io/v1beta1\nkind: FederatedConfigMap\nmetadata:\n",
                "  name: ", name, "\n  namespace: ", ns, "\nspec:\n  template:\n    data:\n",
                "      value: \"", value, "\"\n  placement:\n    clusters:\n", placement);
}

// status.clusters[cluster].status of a federated ConfigMap is `want` ("" : propagated).
absl::Status ClusterStatusIs(const std::string& ns, const std::string& name,
                             const std::string& cluster, const std::string& want,
                             std::string* message = nullptr) {
  absl::StatusOr<rapidjson::Document> fed =
      KubectlJson(Host(), {"get", "federatedconfigmap", name, "-n", ns});
  if (!fed.ok()) return fed.status();
  const rapidjson::Value* c = ClusterStatus(*fed, cluster);
  if (c == nullptr) return absl::UnavailableError(StrCat(name, ": no status for ", cluster));
  const std::string got = json::GetString(*c, "status");
  if (message != nullptr) *message = json::GetString(*c, "message");
  if (got != want) {
    return absl::UnavailableError(StrCat(name, " in ", cluster, ": \"", got, "\" (",
                                         json::GetString(*c, "message"), ")"));
  }
  return absl::OkStatus();
}

absl::Status Propagated(const std::string& ns, const std::string& name) {
  absl::StatusOr<rapidjson::Document> fed =
      KubectlJson(Host(), {"get", "federatedconfigmap", name, "-n", ns});
  if (!fed.ok()) return fed.status();
  const rapidjson::Value* c = PropagationCondition(*fed);
  if (c != nullptr && json::GetString(*c, "status") == "True") return absl::OkStatus();
  const rapidjson::Value* status = json::Find(*fed, "status");
  return absl::UnavailableError(
      StrCat(name, ": ", status != nullptr ? json::Serialize(*status) : "no status yet"));
}

// The member copy's data.value, or NotFound.
absl::StatusOr<std::string> MemberValue(const std::string& member, const std::string& ns,
                                        const std::string& name) {
  absl::StatusOr<rapidjson::Document> cm =
      KubectlJson(member, {"get", "configmap", name, "-n", ns, "--request-timeout=5s"});
  if (!cm.ok()) return cm.status();
  return json::GetString((*cm)["data"], "value");
}

class StatusReasonsE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(Clusters().kubeconfig.empty());
    ASSERT_GE(Clusters().members.size(), 2u) << "needs two members";
    fed_ = &Federation::Get();
    absl::StatusOr<bool> restarted = fed_->RestartPrimaryIfExited();
    ASSERT_TRUE(restarted.ok()) << restarted.status();
  }

  // Replaces the primary controller with one started with `flags` (the primary is
  // restarted with the fixture's flags by RestorePrimary).
  void ReplacePrimary(const std::vector<std::string>& flags) {
    fed_->StopController(fed_->primary(), SIGTERM);
    absl::StatusOr<ControllerProcess> p = fed_->StartController(flags);
    ASSERT_TRUE(p.ok()) << p.status();
    fed_->primary() = *p;
  }
  void RestorePrimary() {
    fed_->StopController(fed_->primary(), SIGTERM);
    absl::Status restarted = fed_->RestartPrimary();
    EXPECT_TRUE(restarted.ok()) << restarted;
  }

  Federation* fed_ = nullptr;
};

// KubeFed's dispatcher gave the member operations of a pass 30 s and reported those still
// running as *TimedOut; kfed gives each member request --member-request-timeout (2 s here).
// The member's health checks are slowed (a KubeFedConfig file) so that the member stays Ready
// while its requests hang: otherwise ClusterNotReady (the right report for a dead member)
// replaces the timeouts within seconds.
TEST_F(StatusReasonsE2eTest, StalledMemberWritesAreTimedOutThenPropagate) {
  const std::string& other = Member(0);
  const std::string& victim = Member(1);
  const std::string config_file = StrCat(std::getenv("TEST_TMPDIR") ? std::getenv("TEST_TMPDIR")
                                                                    : "/tmp",
                                         "/kubefedconfig-slow-health.yaml");
  {
    std::ofstream out(config_file);
    out << "apiVersion: core.kubefed.io/v1beta1\nkind: KubeFedConfig\nmetadata:\n"
        << "  name: kubefed\n  namespace: " << kFedNamespace << "\nspec:\n  scope: Cluster\n"
        << "  leaderElect:\n    leaseDuration: 4s\n    renewDeadline: 3s\n    retryPeriod: 1s\n"
        << "  clusterHealthCheck:\n    period: 10s\n    failureThreshold: 30\n"
        << "    successThreshold: 1\n    timeout: 2s\n";
  }
  ASSERT_NO_FATAL_FAILURE(
      ReplacePrimary({"--kubefed-config", config_file, "--member-request-timeout=2s"}));
  absl::Cleanup restore = [&] { RestorePrimary(); };

  const std::string ns = fed_->NewNamespace("timedout");
  for (const std::string& m : {other, victim}) {
    ASSERT_TRUE(fed_->WaitForObject(m, {"namespace", ns},
                                    [](const rapidjson::Value&) { return absl::OkStatus(); },
                                    kWait)
                    .ok());
  }
  ASSERT_TRUE(Apply(Host(), FederatedConfigMap(ns, "updated", {other, victim}, "v1")).ok());
  ASSERT_TRUE(Apply(Host(), FederatedConfigMap(ns, "moved", {other, victim}, "v1")).ok());
  for (const char* name : {"updated", "moved"}) {
    absl::Status ok = WaitFor(StrCat(name, " propagated"), kWait, [&] {
      return Propagated(ns, name);
    });
    ASSERT_TRUE(ok.ok()) << ok;
  }

  absl::Cleanup resume = [&] { (void)Launcher({"resume", victim}); };
  ASSERT_TRUE(Launcher({"pause", victim}).ok());
  const absl::Time paused = absl::Now();
  ASSERT_TRUE(Apply(Host(), FederatedConfigMap(ns, "created", {other, victim}, "v1")).ok());
  ASSERT_TRUE(Apply(Host(), FederatedConfigMap(ns, "updated", {other, victim}, "v2")).ok());
  ASSERT_TRUE(Apply(Host(), FederatedConfigMap(ns, "moved", {other}, "v1")).ok());
  std::cout << "timed out: the three changes applied " << absl::Now() - paused
            << " after the pause" << std::endl;

  struct Want {
    const char* name;
    const char* status;
    const char* what;  // the start of the message
  } wants[] = {{"created", "CreationTimedOut", "creating "},
               {"updated", "UpdateTimedOut", "updating "},
               {"moved", "DeletionTimedOut", "deleting "}};
  for (const Want& w : wants) {
    std::string message;
    absl::Status timed_out = WaitFor(StrCat(w.name, " ", w.status), kWait, [&] {
      return ClusterStatusIs(ns, w.name, victim, w.status, &message);
    });
    EXPECT_TRUE(timed_out.ok()) << timed_out;
    EXPECT_TRUE(absl::StartsWith(message, StrCat(w.what, ns, "/", w.name, ": ")) &&
                absl::StrContains(message, "timed out"))
        << message;
    std::cout << "timed out: " << w.name << " in " << victim << ": " << w.status << ": "
              << message << " (" << absl::Now() - paused << " after the pause)" << std::endl;
  }
  // The other member is not held up.
  EXPECT_TRUE(WaitFor("the other member has every change", kWait, [&]() -> absl::Status {
                absl::StatusOr<std::string> created = MemberValue(other, ns, "created");
                absl::StatusOr<std::string> updated = MemberValue(other, ns, "updated");
                if (!created.ok()) return created.status();
                if (!updated.ok()) return updated.status();
                return *updated == "v2" ? absl::OkStatus()
                                        : absl::UnavailableError("updated not at v2");
              }).ok());
  // KubeFed's Event for an operation that did not finish in time.
  EXPECT_TRUE(WaitFor("an OperationTimeoutError Event on created", kWait, [&]() -> absl::Status {
                absl::StatusOr<rapidjson::Document> events = KubectlJson(
                    Host(), {"get", "events", "-n", ns, "--field-selector",
                             "involvedObject.name=created,reason=OperationTimeoutError"});
                if (!events.ok()) return events.status();
                for (const rapidjson::Value& e : (*events)["items"].GetArray()) {
                  if (json::GetString(e, "type") == "Warning" &&
                      absl::StrContains(json::GetString(e, "message"), victim)) {
                    return absl::OkStatus();
                  }
                }
                return absl::NotFoundError("no such Event yet");
              }).ok());

  ASSERT_TRUE(Launcher({"resume", victim}).ok());
  std::move(resume).Cancel();
  const absl::Time resumed = absl::Now();
  for (const char* name : {"created", "updated"}) {
    absl::Status ok = WaitFor(StrCat(name, " propagated after the resume"), kWait, [&] {
      return Propagated(ns, name);
    });
    EXPECT_TRUE(ok.ok()) << ok;
  }
  EXPECT_EQ(MemberValue(victim, ns, "created").value_or("missing"), "v1");
  EXPECT_EQ(MemberValue(victim, ns, "updated").value_or("missing"), "v2");
  absl::Status moved = WaitFor("moved gone from the victim", kWait, [&]() -> absl::Status {
    absl::StatusOr<std::string> v = MemberValue(victim, ns, "moved");
    if (v.ok()) return absl::UnavailableError("still there");
    return Propagated(ns, "moved");
  });
  EXPECT_TRUE(moved.ok()) << moved;
  std::cout << "timed out: every object propagated " << absl::Now() - resumed
            << " after the resume" << std::endl;
}

// The condition SettingsHonoured of KubeFedConfig `kubefed`, or null.
const rapidjson::Value* SettingsCondition(const rapidjson::Value& config) {
  const rapidjson::Value* conditions = json::FindPath(config, {"status", "conditions"});
  if (conditions == nullptr || !conditions->IsArray()) return nullptr;
  for (const rapidjson::Value& c : conditions->GetArray()) {
    if (json::GetString(c, "type") == "SettingsHonoured") return &c;
  }
  return nullptr;
}

// Waits until the KubeFedConfig's SettingsHonoured condition is False/IgnoredFields for its
// current generation and its message contains each of `parts` and not `absent`.
absl::Status WaitForSettingsCondition(const std::vector<std::string>& parts,
                                      const std::string& absent = "") {
  return WaitFor("KubeFedConfig SettingsHonoured", kWait, [&]() -> absl::Status {
    absl::StatusOr<rapidjson::Document> config =
        KubectlJson(Host(), {"get", "kubefedconfig", "kubefed", "-n", kFedNamespace});
    if (!config.ok()) return config.status();
    const rapidjson::Value* c = SettingsCondition(*config);
    if (c == nullptr) return absl::NotFoundError("no SettingsHonoured condition");
    const std::string message = json::GetString(*c, "message");
    const rapidjson::Value* observed = json::Find(*c, "observedGeneration");
    const rapidjson::Value* generation = json::FindPath(*config, {"metadata", "generation"});
    if (json::GetString(*c, "status") != "False" ||
        json::GetString(*c, "reason") != "IgnoredFields" || observed == nullptr ||
        generation == nullptr || !observed->IsInt64() || !generation->IsInt64() ||
        observed->GetInt64() != generation->GetInt64()) {
      return absl::UnavailableError(json::Serialize(*c));
    }
    for (const std::string& p : parts) {
      if (!absl::StrContains(message, p)) {
        return absl::UnavailableError(StrCat("message lacks \"", p, "\": ", message));
      }
    }
    if (!absent.empty() && absl::StrContains(message, absent)) {
      return absl::UnavailableError(StrCat("message still has \"", absent, "\": ", message));
    }
    return absl::OkStatus();
  });
}

TEST_F(StatusReasonsE2eTest, KubeFedConfigReportsTheDelaysKfedDoesNotApply) {
  absl::StatusOr<rapidjson::Document> config =
      KubectlJson(Host(), {"get", "kubefedconfig", "kubefed", "-n", kFedNamespace});
  ASSERT_TRUE(config.ok()) << config.status();
  const rapidjson::Value* delays = json::FindPath(*config, {"spec", "controllerDuration"});
  ASSERT_NE(delays, nullptr) << "the CRD defaults controllerDuration";
  const std::string available = json::GetString(*delays, "availableDelay");
  ASSERT_FALSE(available.empty());

  // As the fixture left it (the CRD's defaults, as KubeFed's): reported, with the values.
  absl::Status reported = WaitForSettingsCondition(
      {"controllerDuration.availableDelay (", "controllerDuration.unavailableDelay (",
       "is not applied: kfed re-plans the moment a cluster's readiness changes"});
  EXPECT_TRUE(reported.ok()) << reported;
  absl::StatusOr<std::string> column = Kubectl(
      Host(), {"get", "kubefedconfig", "kubefed", "-n", kFedNamespace, "-o", "wide",
               "--no-headers"});
  ASSERT_TRUE(column.ok()) << column.status();
  EXPECT_TRUE(absl::StrContains(*column, "False")) << "settings-honoured column: " << *column;

  // A user sets availableDelay: the next leader reports the new value, with a Warning Event.
  auto set_available = [&](const std::string& value) {
    return Kubectl(Host(), {"patch", "kubefedconfig", "kubefed", "-n", kFedNamespace, "--type",
                            "merge", "-p",
                            StrCat(R"({"spec":{"controllerDuration":{"availableDelay":")", value,
                                   R"("}}})")})
        .status();
  };
  ASSERT_TRUE(set_available("7s").ok());
  absl::Cleanup restore = [&] {
    EXPECT_TRUE(set_available(available).ok());
    RestorePrimary();
    absl::Status back =
        WaitForSettingsCondition({"controllerDuration.availableDelay ("}, "(7s)");
    EXPECT_TRUE(back.ok()) << back;
  };
  RestorePrimary();  // KubeFedConfig is read at start (KubeFed too)
  reported = WaitForSettingsCondition({"controllerDuration.availableDelay (7s) is not applied"});
  EXPECT_TRUE(reported.ok()) << reported;
  absl::Status event = WaitFor("a Warning IgnoredFields Event", kWait, [&]() -> absl::Status {
    absl::StatusOr<rapidjson::Document> events = KubectlJson(
        Host(), {"get", "events", "-n", kFedNamespace, "--field-selector",
                 "involvedObject.kind=KubeFedConfig,involvedObject.name=kubefed,reason=IgnoredFields"});
    if (!events.ok()) return events.status();
    for (const rapidjson::Value& e : (*events)["items"].GetArray()) {
      if (json::GetString(e, "type") == "Warning" &&
          absl::StrContains(json::GetString(e, "message"), "availableDelay (7s)")) {
        return absl::OkStatus();
      }
    }
    return absl::NotFoundError("none yet");
  });
  EXPECT_TRUE(event.ok()) << event;
}

}  // namespace
}  // namespace kfed::e2e
