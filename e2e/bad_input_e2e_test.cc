// Bad input against the real clusters with kfed-controller-manager running: invalid and
// conflicting overrides, an override that would rename the member object, values a member
// rejects, placement naming clusters that are not joined, a template of the wrong kind,
// objects at the size limits, long and dotted names, and KubeFedClusters with a missing or
// malformed Secret, a malformed, wrong or expired CA, or a token without rights.
//
// Each case asserts that the status (per-cluster status and message, the Propagation
// condition, or the KubeFedCluster's conditions) names the problem, that the controller
// process is still running, and that an object created after the bad input still propagates
// to both members (ExpectStillHealthy).
#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/wait.h>

#include <functional>
#include <string>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "base/testing.h"
#include "e2e/cluster_env.h"
#include "e2e/federation_env.h"

namespace kfed::e2e {
namespace {

using ::absl::StrCat;
using ::kfed::testing::ReadTextFileOrFail;

// A copy of the CA certificate at `crt` with a validity period that ended yesterday,
// signed again with its own key: the member's serving certificate still chains to it, but
// the chain fails verification as expired.
absl::StatusOr<std::string> ExpiredCopyOfCa(const std::string& crt, const std::string& key) {
  const std::string crt_pem = ReadTextFileOrFail(crt);
  const std::string key_pem = ReadTextFileOrFail(key);
  BIO* cb = BIO_new_mem_buf(crt_pem.data(), static_cast<int>(crt_pem.size()));
  X509* cert = PEM_read_bio_X509(cb, nullptr, nullptr, nullptr);
  BIO_free(cb);
  BIO* kb = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(kb, nullptr, nullptr, nullptr);
  BIO_free(kb);
  absl::Cleanup free_all = [&] {
    if (cert != nullptr) X509_free(cert);
    if (pkey != nullptr) EVP_PKEY_free(pkey);
  };
  if (cert == nullptr || pkey == nullptr) {
    return absl::NotFoundError(StrCat("cannot read the CA from ", crt, " and ", key));
  }
  X509_gmtime_adj(X509_getm_notBefore(cert), -2 * 86400);
  X509_gmtime_adj(X509_getm_notAfter(cert), -86400);
  if (X509_sign(cert, pkey, EVP_sha256()) == 0) return absl::InternalError("X509_sign failed");
  BIO* out = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(out, cert);
  char* data = nullptr;
  long len = BIO_get_mem_data(out, &data);
  std::string pem(data, static_cast<size_t>(len));
  BIO_free(out);
  return pem;
}

// Runs a function when it goes out of scope (movable, unlike absl::Cleanup without CTAD).
class Deferred {
 public:
  explicit Deferred(std::function<void()> f) : f_(std::move(f)) {}
  Deferred(Deferred&& other) : f_(std::move(other.f_)) { other.f_ = nullptr; }
  Deferred& operator=(Deferred&&) = delete;
  ~Deferred() {
    if (f_) f_();
  }

 private:
  std::function<void()> f_;
};

class BadInputE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(Clusters().kubeconfig.empty());
    fed_ = &Federation::Get();
    ASSERT_GT(fed_->primary().pid, 0) << "the controller is not running";
    ns_ = fed_->NewNamespace("bad");
  }

  // The controller process is still running and an object created now still reaches both
  // members with Propagation True.
  void ExpectStillHealthy() {
    int wstatus = 0;
    ASSERT_EQ(waitpid(fed_->primary().pid, &wstatus, WNOHANG), 0)
        << "kfed-controller-manager exited; see " << fed_->primary().log;
    EXPECT_TRUE(fed_->Metrics(fed_->primary()).ok()) << "the controller does not answer /metrics";
    const std::string name = UniqueName("control");
    ASSERT_TRUE(Apply(Host(), FederatedConfigMap(name, BothMembers())).ok());
    for (int i = 0; i < 2; ++i) {
      absl::Status s = fed_->WaitForObject(Member(i), {"configmap", name, "-n", ns_},
                                           [](const rapidjson::Value& cm) -> absl::Status {
                                             return json::GetString(cm["data"], "color") == "blue"
                                                        ? absl::OkStatus()
                                                        : absl::UnavailableError("data.color");
                                           });
      EXPECT_TRUE(s.ok()) << "control object in " << Member(i) << ": " << s;
    }
    absl::Status propagated = WaitForCondition("federatedconfigmap", name, "True", "", "");
    EXPECT_TRUE(propagated.ok()) << propagated;
  }

  static std::string BothMembers() {
    return StrCat("    clusters:\n    - name: ", Member(0), "\n    - name: ", Member(1), "\n");
  }
  std::string FederatedConfigMap(const std::string& name, const std::string& placement,
                                 const std::string& overrides = "",
                                 const std::string& tmpl = "    data:\n      color: blue\n") {
    return StrCat("apiVersion: types.kubefed.io/v1beta1\nkind: FederatedConfigMap\nmetadata:\n",
                  "  name: ", name, "\n  namespace: ", ns_, "\nspec:\n  template:\n", tmpl,
                  "  placement:\n", placement, overrides);
  }

  // Waits for the Propagation condition of the latest generation to have `status` and
  // `reason`, with `message` (when not empty) in its message.
  absl::Status WaitForCondition(const std::string& kind, const std::string& name,
                                const std::string& status, const std::string& reason,
                                const std::string& message) {
    return fed_->WaitForObject(
        Host(), {kind, name, "-n", ns_}, [&](const rapidjson::Value& o) -> absl::Status {
          const rapidjson::Value* c = PropagationCondition(o);
          const rapidjson::Value* gen = json::FindPath(o, {"metadata", "generation"});
          const rapidjson::Value* observed = json::FindPath(o, {"status", "observedGeneration"});
          if (c == nullptr || gen == nullptr || observed == nullptr || !(*gen == *observed) ||
              json::GetString(*c, "status") != status || json::GetString(*c, "reason") != reason ||
              !absl::StrContains(json::GetString(*c, "message"), message)) {
            return absl::UnavailableError(
                StrCat("status: ", o.HasMember("status") ? json::Serialize(o["status"]) : "none"));
          }
          return absl::OkStatus();
        });
  }

  // Waits for status.clusters[cluster] to have `status` with `message` in its message.
  absl::Status WaitForClusterStatus(const std::string& kind, const std::string& name,
                                    const std::string& cluster, const std::string& status,
                                    const std::string& message) {
    return fed_->WaitForObject(
        Host(), {kind, name, "-n", ns_}, [&](const rapidjson::Value& o) -> absl::Status {
          const rapidjson::Value* c = ClusterStatus(o, cluster);
          if (c == nullptr || json::GetString(*c, "status") != status ||
              !absl::StrContains(json::GetString(*c, "message"), message)) {
            return absl::UnavailableError(
                StrCat("status: ", o.HasMember("status") ? json::Serialize(o["status"]) : "none"));
          }
          return absl::OkStatus();
        });
  }

  // Waits for the KubeFedCluster's condition `type` to be `status` with `message` in it.
  absl::Status WaitForKfc(const std::string& name, const std::string& type,
                          const std::string& status, const std::string& message) {
    return fed_->WaitForObject(Host(), {"kubefedcluster", name, "-n", kFedNamespace},
                               [&](const rapidjson::Value& kfc) -> absl::Status {
                                 const rapidjson::Value* c = FindCondition(kfc, type);
                                 if (c == nullptr || json::GetString(*c, "status") != status ||
                                     !absl::StrContains(json::GetString(*c, "message"), message)) {
                                   return absl::UnavailableError(StrCat(
                                       type, ": ", c == nullptr ? "absent" : json::Serialize(*c)));
                                 }
                                 return absl::OkStatus();
                               });
  }

  // A `kubectl apply` that the host refuses, naming `want` in its error; nothing is created.
  void ExpectRefused(const std::string& name, const std::string& yaml, const std::string& want) {
    absl::Status applied = Apply(Host(), yaml);
    ASSERT_FALSE(applied.ok()) << "accepted:\n" << yaml;
    EXPECT_TRUE(absl::StrContains(applied.message(), want))
        << "want \"" << want << "\" in: " << applied.message();
    EXPECT_FALSE(Kubectl(Host(), {"get", "federatedconfigmap", name, "-n", ns_}).ok());
  }

  // Where member `i` is reached (from the kubeconfig) and its CA (base64 PEM).
  struct Endpoint {
    std::string server;
    std::string ca_b64;
  };
  Endpoint MemberEndpoint(int i) {
    Endpoint e;
    auto view = KubectlJson(Member(i), {"config", "view", "--raw", "--minify", "--flatten"});
    EXPECT_TRUE(view.ok()) << view.status();
    if (!view.ok()) return e;
    const rapidjson::Value& cluster = (*view)["clusters"][0]["cluster"];
    e.server = json::GetString(cluster, "server");
    e.ca_b64 = json::GetString(cluster, "certificate-authority-data");
    return e;
  }

  // A ServiceAccount in member 0 with no RBAC at all, and its token (base64, as a Secret's
  // data holds it). Its /readyz is allowed (system:public-info-viewer), nothing else.
  std::string NoRightsToken() {
    const std::string sa = "kfed-e2e-no-rights";
    EXPECT_TRUE(Apply(Member(0),
                      StrCat("apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: ", sa,
                             ", namespace: ", kFedNamespace,
                             "}\n---\napiVersion: v1\nkind: Secret\n"
                             "type: kubernetes.io/service-account-token\n"
                             "metadata:\n  name: ",
                             sa, "-token\n  namespace: ", kFedNamespace,
                             "\n  annotations: {kubernetes.io/service-account.name: ", sa, "}\n"))
                    .ok());
    std::string token;
    EXPECT_TRUE(
        fed_->WaitForObject(Member(0), {"secret", sa + "-token", "-n", kFedNamespace},
                            [&](const rapidjson::Value& s) -> absl::Status {
                              const rapidjson::Value* t = json::FindPath(s, {"data", "token"});
                              if (t == nullptr || !t->IsString())
                                return absl::UnavailableError("no token yet");
                              token = t->GetString();
                              return absl::OkStatus();
                            })
            .ok());
    return token;
  }

  // Creates a KubeFedCluster (and, unless `secret_data` is empty, its Secret) that is
  // deleted again when the returned cleanup runs.
  Deferred AddCluster(const std::string& name, const Endpoint& e, const std::string& secret_data,
                      const std::string& extra_spec = "") {
    const std::string secret = name + "-secret";
    if (!secret_data.empty()) {
      EXPECT_TRUE(
          Apply(Host(), StrCat("apiVersion: v1\nkind: Secret\nmetadata: {name: ", secret,
                               ", namespace: ", kFedNamespace, "}\ndata: ", secret_data, "\n"))
              .ok());
    }
    EXPECT_TRUE(Apply(Host(), StrCat("apiVersion: core.kubefed.io/v1beta1\nkind: KubeFedCluster\n"
                                     "metadata: {name: ",
                                     name, ", namespace: ", kFedNamespace,
                                     "}\nspec:\n  apiEndpoint: ", e.server, "\n  caBundle: ",
                                     e.ca_b64, "\n  secretRef: {name: ", secret, "}\n", extra_spec))
                    .ok());
    return Deferred([name, secret] {
      (void)Kubectl(Host(),
                    {"delete", "kubefedcluster", name, "-n", kFedNamespace, "--ignore-not-found"});
      (void)Kubectl(Host(),
                    {"delete", "secret", secret, "-n", kFedNamespace, "--ignore-not-found"});
    });
  }

  // A FederatedConfigMap placed on both members and `cluster`; waits until both members have
  // it and `cluster` reports `status` naming `message`.
  void ExpectOthersPropagateAnd(const std::string& cluster, const std::string& status,
                                const std::string& message) {
    const std::string name = UniqueName("placed");
    ASSERT_TRUE(
        Apply(Host(), FederatedConfigMap(name, BothMembers() + "    - name: " + cluster + "\n"))
            .ok());
    for (int i = 0; i < 2; ++i) {
      EXPECT_TRUE(fed_->WaitForObject(Member(i), {"configmap", name, "-n", ns_},
                                      [](const rapidjson::Value&) { return absl::OkStatus(); })
                      .ok())
          << Member(i);
    }
    absl::Status reported =
        WaitForClusterStatus("federatedconfigmap", name, cluster, status, message);
    EXPECT_TRUE(reported.ok()) << reported;
  }

  // Waits until the controller's log holds `text`.
  absl::Status WaitForLog(const std::string& text) {
    return WaitFor(StrCat("\"", text, "\" in ", fed_->primary().log), absl::Seconds(30),
                   [&]() -> absl::Status {
                     return absl::StrContains(ReadTextFileOrFail(fed_->primary().log), text)
                                ? absl::OkStatus()
                                : absl::NotFoundError("not logged yet");
                   });
  }

  Federation* fed_ = nullptr;
  std::string ns_;
};

// What the CRDs' validation refuses never reaches the controller: duplicate clusters or
// paths, an unknown op, a path that is not a JSON pointer, and KubeFed's forbidden paths.
TEST_F(BadInputE2eTest, InvalidAndConflictingOverridesAreRefusedWithAMessage) {
  struct Case {
    std::string what;
    std::string overrides;
    std::string want;
  };
  const std::string m = Member(0);
  std::vector<Case> cases = {
      {"same path twice",
       StrCat("  - clusterName: ", m,
              "\n    clusterOverrides:\n    - {path: /data/color, value: red}\n"
              "    - {path: /data/color, value: green}\n"),
       "Duplicate value"},
      {"same cluster twice",
       StrCat("  - clusterName: ", m, "\n    clusterOverrides: [{path: /data/a, value: x}]\n",
              "  - clusterName: ", m, "\n    clusterOverrides: [{path: /data/b, value: y}]\n"),
       "Duplicate value"},
      {"unknown op",
       StrCat("  - clusterName: ", m,
              "\n    clusterOverrides: [{op: move, path: /data/color, value: red}]\n"),
       "Unsupported value: \"move\""},
      {"not a JSON pointer",
       StrCat("  - clusterName: ", m, "\n    clusterOverrides: [{path: data/color, value: x}]\n"),
       "must be a JSON pointer"},
  };
  for (const char* forbidden :
       {"/metadata/name", "/metadata/namespace", "/metadata/generateName", "/kind"}) {
    cases.push_back({StrCat("forbidden ", forbidden),
                     StrCat("  - clusterName: ", m, "\n    clusterOverrides: [{path: ", forbidden,
                            ", value: x}]\n"),
                     StrCat("path ", forbidden, " cannot be overridden")});
  }
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    const std::string name = UniqueName("refused");
    ExpectRefused(name, FederatedConfigMap(name, BothMembers(), "  overrides:\n" + c.overrides),
                  c.want);
  }
  ExpectStillHealthy();
}

// Replacing a parent of a forbidden path (/metadata) would rename the member object: the
// cluster reports ApplyOverridesFailed and nothing is written there, the other member is
// unaffected.
TEST_F(BadInputE2eTest, OverrideOfAParentPathCannotRenameTheObject) {
  const std::string name = UniqueName("rename");
  ASSERT_TRUE(
      Apply(Host(), FederatedConfigMap(name, BothMembers(),
                                       StrCat("  overrides:\n  - clusterName: ", Member(0),
                                              "\n    clusterOverrides:\n    - path: /metadata\n"
                                              "      value: {name: renamed-by-override}\n")))
          .ok());
  absl::Status reported =
      WaitForClusterStatus("federatedconfigmap", name, Member(0), "ApplyOverridesFailed",
                           "change metadata.name from \"" + name);
  EXPECT_TRUE(reported.ok()) << reported;
  EXPECT_TRUE(fed_->WaitForObject(Member(1), {"configmap", name, "-n", ns_},
                                  [](const rapidjson::Value&) { return absl::OkStatus(); })
                  .ok());
  EXPECT_FALSE(Kubectl(Member(0), {"get", "configmap", name, "-n", ns_}).ok());
  EXPECT_FALSE(Kubectl(Member(0), {"get", "configmap", "renamed-by-override", "-n", ns_}).ok());
  ExpectStillHealthy();
}

// Overrides the CRD accepts but a member refuses (a value of the wrong type, an apiVersion the
// type is not served at): CreationFailed with the member's reason for that cluster only, a
// warning Event, and fixing the overrides heals both.
TEST_F(BadInputE2eTest, OverrideValuesTheMemberRejectsAreReportedPerCluster) {
  const std::string name = UniqueName("badvalue");
  ASSERT_TRUE(Apply(Host(), FederatedConfigMap(name, BothMembers(),
                                               StrCat("  overrides:\n  - clusterName: ", Member(0),
                                                      "\n    clusterOverrides: [{path: /data, "
                                                      "value: 5}]\n  - clusterName: ",
                                                      Member(1),
                                                      "\n    clusterOverrides: [{path: "
                                                      "/apiVersion, value: v9}]\n")))
                  .ok());
  absl::Status wrong_type = WaitForClusterStatus("federatedconfigmap", name, Member(0),
                                                 "CreationFailed", "ConfigMap.data");
  EXPECT_TRUE(wrong_type.ok()) << wrong_type;
  absl::Status wrong_version =
      WaitForClusterStatus("federatedconfigmap", name, Member(1), "CreationFailed", "v9");
  EXPECT_TRUE(wrong_version.ok()) << wrong_version;
  absl::Status condition =
      WaitForCondition("federatedconfigmap", name, "False", "CheckClusters", "CreationFailed");
  EXPECT_TRUE(condition.ok()) << condition;
  absl::Status event = fed_->WaitForObject(
      Host(),
      {"events", "-n", ns_, "--field-selector",
       StrCat("involvedObject.name=", name, ",reason=CreateInClusterFailed")},
      [&](const rapidjson::Value& list) -> absl::Status {
        for (const rapidjson::Value& e : list["items"].GetArray()) {
          if (absl::StrContains(json::GetString(e, "message"), "cluster " + Member(0)))
            return absl::OkStatus();
        }
        return absl::UnavailableError("no CreateInClusterFailed event naming the cluster");
      });
  EXPECT_TRUE(event.ok()) << event;

  ASSERT_TRUE(Kubectl(Host(), {"patch", "federatedconfigmap", name, "-n", ns_, "--type=json", "-p",
                               R"([{"op":"remove","path":"/spec/overrides"}])"})
                  .ok());
  absl::Status healed = WaitForCondition("federatedconfigmap", name, "True", "", "");
  EXPECT_TRUE(healed.ok()) << healed;
  ExpectStillHealthy();
}

// KubeFed ignores names in spec.placement.clusters that no KubeFedCluster has; kfed
// propagates to the others and says so in the Propagation condition's message.
TEST_F(BadInputE2eTest, PlacementNamingUnknownClustersIsReported) {
  const std::string name = UniqueName("unknown");
  const std::string nowhere = UniqueName("no-such-cluster");
  ASSERT_TRUE(
      Apply(Host(), FederatedConfigMap(name, StrCat("    clusters:\n    - name: ", Member(0),
                                                    "\n    - name: ", nowhere, "\n")))
          .ok());
  absl::Status reported =
      WaitForCondition("federatedconfigmap", name, "True", "", "not joined: " + nowhere);
  EXPECT_TRUE(reported.ok()) << reported;
  EXPECT_TRUE(Kubectl(Member(0), {"get", "configmap", name, "-n", ns_}).ok());
  EXPECT_FALSE(Kubectl(Member(1), {"get", "configmap", name, "-n", ns_}).ok());
  ExpectStillHealthy();
}

// A template whose kind is not the type's target kind: ComputeResourceFailed for every
// placed cluster, naming both kinds; nothing is created.
TEST_F(BadInputE2eTest, TemplateKindDisagreeingWithItsTypeIsReported) {
  const std::string name = UniqueName("wrongkind");
  ASSERT_TRUE(Apply(Host(), FederatedConfigMap(name, BothMembers(), "",
                                               "    kind: Secret\n    data:\n      color: blue\n"))
                  .ok());
  for (int i = 0; i < 2; ++i) {
    absl::Status reported =
        WaitForClusterStatus("federatedconfigmap", name, Member(i), "ComputeResourceFailed",
                             "spec.template.kind \"Secret\" does not match the target kind "
                             "\"ConfigMap\"");
    EXPECT_TRUE(reported.ok()) << reported;
    EXPECT_FALSE(Kubectl(Member(i), {"get", "configmap", name, "-n", ns_}).ok());
    EXPECT_FALSE(Kubectl(Member(i), {"get", "secret", name, "-n", ns_}).ok());
  }
  ExpectStillHealthy();
}

// Near the limits: a ConfigMap just under Kubernetes' 1 MiB ConfigMap limit and a Deployment
// of ~1.4 MB (etcd's request limit is 1.5 MiB) propagate; a FederatedConfigMap the host
// accepts but whose member ConfigMap exceeds 1 MiB is CreationFailed, naming the limit.
TEST_F(BadInputE2eTest, ObjectsAtTheSizeLimits) {
  auto big_configmap = [&](const std::string& name, size_t bytes) {
    return StrCat(R"({"apiVersion":"types.kubefed.io/v1beta1","kind":"FederatedConfigMap",)",
                  R"("metadata":{"name":")", name, R"(","namespace":")", ns_, R"("},)",
                  R"("spec":{"template":{"data":{"big":")", std::string(bytes, 'x'), R"("}},)",
                  R"("placement":{"clusters":[{"name":")", Member(0), R"("},{"name":")", Member(1),
                  R"("}]}}})");
  };
  // `kubectl create`, not apply: apply would copy the object into an annotation.
  const std::string fits = UniqueName("fits");
  ASSERT_TRUE(Kubectl(Host(), {"create", "-f", "-"}, big_configmap(fits, 1040000)).ok());
  const std::string too_big = UniqueName("toobig");
  ASSERT_TRUE(Kubectl(Host(), {"create", "-f", "-"}, big_configmap(too_big, 1200000)).ok())
      << "the host should hold a 1.2 MB federated object";
  const std::string deployment = UniqueName("bigdeploy");
  const std::string big_env(1400000, 'y');
  ASSERT_TRUE(
      Kubectl(Host(), {"create", "-f", "-"},
              StrCat(R"({"apiVersion":"types.kubefed.io/v1beta1","kind":"FederatedDeployment",)",
                     R"("metadata":{"name":")", deployment, R"(","namespace":")", ns_, R"("},)",
                     R"("spec":{"template":{"spec":{"replicas":0,)",
                     R"("selector":{"matchLabels":{"app":"big"}},)",
                     R"("template":{"metadata":{"labels":{"app":"big"}},)",
                     R"("spec":{"containers":[{"name":"c","image":"busybox",)",
                     R"("env":[{"name":"BIG","value":")", big_env, R"("}]}]}}}},)",
                     R"("placement":{"clusters":[{"name":")", Member(0), R"("},{"name":")",
                     Member(1), R"("}]}}})"))
          .ok());
  for (int i = 0; i < 2; ++i) {
    absl::Status cm = fed_->WaitForObject(
        Member(i), {"configmap", fits, "-n", ns_}, [](const rapidjson::Value& o) -> absl::Status {
          return json::GetString(o["data"], "big").size() == 1040000
                     ? absl::OkStatus()
                     : absl::UnavailableError("size");
        });
    EXPECT_TRUE(cm.ok()) << cm;
    absl::Status deploy = fed_->WaitForObject(
        Member(i), {"deployment", deployment, "-n", ns_},
        [&](const rapidjson::Value& o) -> absl::Status {
          const rapidjson::Value* containers =
              json::FindPath(o, {"spec", "template", "spec", "containers"});
          if (containers == nullptr || !containers->IsArray() || containers->Empty())
            return absl::UnavailableError("no containers");
          const rapidjson::Value* env = json::Find((*containers)[0], "env");
          return env != nullptr && env->IsArray() && !env->Empty() &&
                         json::GetString((*env)[0], "value") == big_env
                     ? absl::OkStatus()
                     : absl::UnavailableError("env");
        });
    EXPECT_TRUE(deploy.ok()) << deploy;
    absl::Status refused =
        WaitForClusterStatus("federatedconfigmap", too_big, Member(i), "CreationFailed", "1048576");
    EXPECT_TRUE(refused.ok()) << refused;
    EXPECT_FALSE(Kubectl(Member(i), {"get", "configmap", too_big, "-n", ns_}).ok());
  }
  absl::Status fits_ok = WaitForCondition("federatedconfigmap", fits, "True", "", "");
  EXPECT_TRUE(fits_ok.ok()) << fits_ok;
  absl::Status deploy_ok = WaitForCondition("federateddeployment", deployment, "True", "", "");
  EXPECT_TRUE(deploy_ok.ok()) << deploy_ok;
  ExpectStillHealthy();
  // Megabytes that later suites need not list again.
  for (const auto& [kind, name] : {std::pair<std::string, std::string>{"federatedconfigmap", fits},
                                   {"federatedconfigmap", too_big},
                                   {"federateddeployment", deployment}}) {
    EXPECT_TRUE(Kubectl(Host(), {"delete", kind, name, "-n", ns_, "--wait=false"}).ok());
  }
}

// The longest names Kubernetes allows: a 253-character ConfigMap name with dots, a
// 63-character namespace (a DNS label) and a 63-character Service name.
TEST_F(BadInputE2eTest, LongAndDottedNamesPropagate) {
  std::string long_name = StrCat(UniqueName("dotted"), ".name.with.dots.");
  long_name.append(253 - long_name.size(), 'x');
  ASSERT_EQ(long_name.size(), 253u);
  ASSERT_TRUE(Apply(Host(), FederatedConfigMap(long_name, BothMembers())).ok());

  std::string long_ns = UniqueName("ns");
  long_ns.append(63 - long_ns.size(), 'n');
  ASSERT_TRUE(Kubectl(Host(), {"create", "namespace", long_ns}).ok());
  ASSERT_TRUE(Apply(Host(), StrCat("apiVersion: types.kubefed.io/v1beta1\nkind: "
                                   "FederatedNamespace\nmetadata: {name: ",
                                   long_ns, ", namespace: ", long_ns,
                                   "}\nspec:\n  placement:\n    clusterSelector: {}\n"))
                  .ok());
  std::string long_service = UniqueName("svc");
  long_service.append(63 - long_service.size(), 's');
  ASSERT_TRUE(Apply(Host(), StrCat("apiVersion: types.kubefed.io/v1beta1\nkind: "
                                   "FederatedService\nmetadata: {name: ",
                                   long_service, ", namespace: ", long_ns,
                                   "}\nspec:\n  template:\n    spec:\n      ports:\n"
                                   "      - {port: 80, protocol: TCP}\n  placement:\n",
                                   BothMembers()))
                  .ok());
  for (int i = 0; i < 2; ++i) {
    EXPECT_TRUE(fed_->WaitForObject(Member(i), {"configmap", long_name, "-n", ns_},
                                    [](const rapidjson::Value&) { return absl::OkStatus(); })
                    .ok())
        << Member(i);
    EXPECT_TRUE(fed_->WaitForObject(Member(i), {"service", long_service, "-n", long_ns},
                                    [](const rapidjson::Value&) { return absl::OkStatus(); })
                    .ok())
        << Member(i);
  }
  absl::Status propagated = WaitForCondition("federatedconfigmap", long_name, "True", "", "");
  EXPECT_TRUE(propagated.ok()) << propagated;
  ExpectStillHealthy();
  (void)Kubectl(Host(), {"delete", "namespace", long_ns, "--wait=false"});
}

// A KubeFedCluster whose Secret is missing, has no token, or whose caBundle is not PEM:
// ConfigMalformed naming the problem; objects placed there report ClusterNotReady with it.
TEST_F(BadInputE2eTest, ClusterWithMissingOrMalformedSecretOrCaIsConfigMalformed) {
  const Endpoint member = MemberEndpoint(0);
  const std::string missing = UniqueName("missing-secret");
  auto remove_missing = AddCluster(missing, member, /*secret_data=*/"");
  absl::Status reported = WaitForKfc(missing, "ConfigMalformed", "True",
                                     StrCat("secret \"", missing, "-secret\" not found"));
  EXPECT_TRUE(reported.ok()) << reported;
  ExpectOthersPropagateAnd(missing, "ClusterNotReady", "not found");

  const std::string no_token = UniqueName("no-token");
  auto remove_no_token = AddCluster(no_token, member, "{tokne: dG9rZW4=}");
  reported = WaitForKfc(no_token, "ConfigMalformed", "True", "data.token is missing");
  EXPECT_TRUE(reported.ok()) << reported;
  ExpectOthersPropagateAnd(no_token, "ClusterNotReady", "data.token is missing");

  const std::string bad_ca = UniqueName("bad-ca-bundle");
  Endpoint not_pem = member;
  not_pem.ca_b64 = absl::Base64Escape("not a certificate");
  auto remove_bad_ca = AddCluster(bad_ca, not_pem, "{token: dG9rZW4=}");
  reported =
      WaitForKfc(bad_ca, "ConfigMalformed", "True", "spec.caBundle: no valid PEM certificate");
  EXPECT_TRUE(reported.ok()) << reported;
  ExpectStillHealthy();
}

// TLS is verified: a KubeFedCluster whose caBundle is another cluster's CA is Offline with
// the TLS error in its message. With disabledTLSValidations ["*"] (the explicit insecure
// setting) it connects, and the controller logs a warning naming the cluster.
TEST_F(BadInputE2eTest, ClusterWithWrongCaIsOfflineAndInsecureModeConnectsWithAWarning) {
  Endpoint wrong_ca = MemberEndpoint(0);
  wrong_ca.ca_b64 = MemberEndpoint(1).ca_b64;
  const std::string name = UniqueName("wrong-ca");
  auto remove = AddCluster(name, wrong_ca, StrCat("{token: ", NoRightsToken(), "}"));
  absl::Status offline = WaitForKfc(name, "Offline", "True", "certificate");
  EXPECT_TRUE(offline.ok()) << offline;
  ExpectOthersPropagateAnd(name, "ClusterNotReady", "certificate");

  ASSERT_TRUE(Kubectl(Host(), {"patch", "kubefedcluster", name, "-n", kFedNamespace, "--type=merge",
                               "-p", R"({"spec":{"disabledTLSValidations":["*"]}})"})
                  .ok());
  absl::Status ready = WaitForKfc(name, "Ready", "True", "");
  EXPECT_TRUE(ready.ok()) << ready;
  absl::Status warned =
      WaitForLog(StrCat("KubeFedCluster \"", name, "\": insecure-skip-tls-verify is set"));
  EXPECT_TRUE(warned.ok()) << warned;
  ExpectStillHealthy();
}

// A caBundle that expired (the member's CA, re-signed with a past validity): Offline naming
// the expiry. disabledTLSValidations ["ValidityPeriod"] accepts it, with a warning.
TEST_F(BadInputE2eTest, ClusterWithExpiredCaIsOfflineAndValidityPeriodSkipConnectsWithAWarning) {
  const std::string pki = StrCat(Clusters().run_dir, "/", Member(0), "/pki/");
  absl::StatusOr<std::string> expired = ExpiredCopyOfCa(pki + "ca.crt", pki + "ca.key");
  ASSERT_TRUE(expired.ok()) << expired.status();
  Endpoint e = MemberEndpoint(0);
  e.ca_b64 = absl::Base64Escape(*expired);
  const std::string name = UniqueName("expired-ca");
  auto remove = AddCluster(name, e, StrCat("{token: ", NoRightsToken(), "}"));
  absl::Status offline = WaitForKfc(name, "Offline", "True", "expired");
  EXPECT_TRUE(offline.ok()) << offline;
  ExpectOthersPropagateAnd(name, "ClusterNotReady", "expired");

  ASSERT_TRUE(Kubectl(Host(), {"patch", "kubefedcluster", name, "-n", kFedNamespace, "--type=merge",
                               "-p", R"({"spec":{"disabledTLSValidations":["ValidityPeriod"]}})"})
                  .ok());
  absl::Status ready = WaitForKfc(name, "Ready", "True", "");
  EXPECT_TRUE(ready.ok()) << ready;
  absl::Status warned = WaitForLog(
      StrCat("KubeFedCluster \"", name, "\": TLS validity period verification is disabled"));
  EXPECT_TRUE(warned.ok()) << warned;
  ExpectStillHealthy();
}

// A member that denies permissions: the KubeFedCluster's token belongs to a ServiceAccount
// without RBAC in the member. The cluster is Ready (health endpoints are public to
// authenticated users) but objects placed there report CachedRetrievalFailed with the
// member's "forbidden" and what to do; nothing is written there.
TEST_F(BadInputE2eTest, MemberThatDeniesPermissionsIsReported) {
  const std::string name = UniqueName("denied");
  auto remove = AddCluster(name, MemberEndpoint(0), StrCat("{token: ", NoRightsToken(), "}"));
  absl::Status ready = WaitForKfc(name, "Ready", "True", "");
  EXPECT_TRUE(ready.ok()) << ready;
  ExpectOthersPropagateAnd(name, "CachedRetrievalFailed", "forbidden");
  ExpectOthersPropagateAnd(name, "CachedRetrievalFailed", "kfedctl join");
  ExpectStillHealthy();
}

}  // namespace
}  // namespace kfed::e2e
