// The fixture of the Multi-Cluster Services e2e tests (//e2e:mcs_e2e_test: mcs_e2e_test.cc,
// mcs_view_e2e_test.cc): the mcs-api CRDs installed into every member before the first test
// (from hack/mcs-crds.sh's directory), a federated namespace per test, and helpers that read
// ServiceImports, kfed's EndpointSlices and ServiceExport conditions from the members.
#ifndef KFED_E2E_MCS_FIXTURE_H_
#define KFED_E2E_MCS_FIXTURE_H_

#include <gtest/gtest.h>

#include <cstdlib>
#include <functional>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/json.h"
#include "e2e/cluster_env.h"
#include "e2e/federation_env.h"

namespace kfed::e2e {

using ::absl::StrCat;

inline constexpr const char* kCrdFiles[] = {"multicluster.x-k8s.io_serviceexports.yaml",
                                            "multicluster.x-k8s.io_serviceimports.yaml"};

// Where hack/mcs-crds.sh put the CRDs: $KFED_MCS_CRDS (hack/test.sh), else its default.
inline std::string CrdDir() {
  const char* dir = std::getenv("KFED_MCS_CRDS");
  if (dir != nullptr && *dir != '\0') return dir;
  const char* home = std::getenv("HOME");
  return StrCat(home == nullptr ? "" : home, "/.cache/kfed/mcs-api/v0.5.2/crd");
}

inline absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(StrCat("cannot read ", path, ": run hack/mcs-crds.sh (or set ",
                                      "KFED_MCS_CRDS to the directory it prints)"));
  }
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline std::string ServiceYaml(const std::string& ns, const std::string& name, int port,
                        const std::string& extra_spec = "") {
  return StrCat("apiVersion: v1\nkind: Service\nmetadata: {name: ", name, ", namespace: ", ns,
                "}\nspec:\n", extra_spec, "  selector: {app: ", name,
                "}\n  ports: [{name: http, port: ", port, ", targetPort: 8080}]\n");
}

inline std::string ExportYaml(const std::string& ns, const std::string& name) {
  return StrCat("apiVersion: multicluster.x-k8s.io/v1alpha1\nkind: ServiceExport\n",
                "metadata: {name: ", name, ", namespace: ", ns, "}\n");
}

inline std::string DeploymentYaml(const std::string& ns, const std::string& name, int replicas) {
  return StrCat("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ", name,
                ", namespace: ", ns, "}\nspec:\n  replicas: ", replicas,
                "\n  selector: {matchLabels: {app: ", name, "}}\n  template:\n",
                "    metadata: {labels: {app: ", name, "}}\n    spec:\n",
                "      containers: [{name: web, image: \"nginx:1.27\"}]\n");
}

class McsE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (Clusters().kubeconfig.empty() || Clusters().members.size() < 2) return;
    // The CRDs go in before the controller starts, so that it finds them at once.
    for (const std::string& member : Clusters().members) {
      for (const char* file : kCrdFiles) {
        absl::StatusOr<std::string> yaml = ReadFile(StrCat(CrdDir(), "/", file));
        ASSERT_TRUE(yaml.ok()) << yaml.status();
        absl::StatusOr<std::string> out = Kubectl(member, {"apply", "-f", "-"}, *yaml);
        ASSERT_TRUE(out.ok()) << member << ": " << out.status();
      }
      for (const char* crd :
           {"serviceexports.multicluster.x-k8s.io", "serviceimports.multicluster.x-k8s.io"}) {
        ASSERT_TRUE(Kubectl(member, {"wait", "--for=condition=Established", "--timeout=60s",
                                     StrCat("crd/", crd)})
                        .ok());
      }
    }
  }

  void SetUp() override {
    ASSERT_FALSE(Clusters().kubeconfig.empty());
    ASSERT_GE(Clusters().members.size(), 2u);
    fed_ = &Federation::Get();
    ASSERT_GT(fed_->primary().pid, 0) << "the controller is not running";
    for (const std::string& member : Clusters().members) {
      auto uid =
          Kubectl(member, {"get", "namespace", "kube-system", "-o", "jsonpath={.metadata.uid}"});
      ASSERT_TRUE(uid.ok()) << uid.status();
      ids_[member] = *uid;
    }
  }

  // The test's namespaces go (with them its exports, and kfed's imports and slices), so that
  // later suites on the same clusters start without exported services.
  void TearDown() override {
    for (const auto& [context, ns] : namespaces_) {
      (void)Kubectl(context, {"delete", "namespace", ns, "--wait=false", "--ignore-not-found"});
    }
  }

  // A namespace federated to every member, once it exists in all of them.
  std::string FederatedNamespace(const std::string& prefix) {
    const std::string ns = fed_->NewNamespace(prefix);
    namespaces_.emplace_back(Host(), ns);
    for (const std::string& member : Clusters().members) {
      EXPECT_TRUE(WaitFor(StrCat("namespace ", ns, " in ", member), absl::Seconds(60), [&] {
                    return Kubectl(member, {"get", "namespace", ns}).status();
                  }).ok());
    }
    return ns;
  }

  // "<type> <ips> <ports> <status.clusters>" of a member's ServiceImport.
  static absl::StatusOr<std::string> Import(const std::string& member, const std::string& ns,
                                            const std::string& name) {
    auto si = KubectlJson(member, {"get", "serviceimports.multicluster.x-k8s.io", name, "-n", ns});
    if (!si.ok()) return si.status();
    const rapidjson::Value* spec = json::Find(*si, "spec");
    const rapidjson::Value* ips = json::FindPath(*si, {"spec", "ips"});
    const rapidjson::Value* ports = json::FindPath(*si, {"spec", "ports"});
    const rapidjson::Value* clusters = json::FindPath(*si, {"status", "clusters"});
    return StrCat(spec == nullptr ? "?" : json::GetString(*spec, "type"), " ",
                  ips == nullptr ? "-" : json::Serialize(*ips), " ",
                  ports == nullptr ? "-" : json::Serialize(*ports), " ",
                  clusters == nullptr ? "-" : json::Serialize(*clusters));
  }

  absl::Status WaitForImport(const std::string& member, const std::string& ns,
                             const std::string& name,
                             const std::function<bool(const std::string&)>& ok,
                             absl::Duration timeout = absl::Seconds(60)) {
    return WaitFor(StrCat(member, ": ServiceImport ", ns, "/", name), timeout,
                   [&]() -> absl::Status {
                     auto got = Import(member, ns, name);
                     if (!got.ok()) return got.status();
                     return ok(*got) ? absl::OkStatus() : absl::UnavailableError(*got);
                   });
  }

  // The pod IPs of the Deployment's pods, sorted "ip@<cluster id>".
  std::set<std::string> PodIps(const std::string& member, const std::string& ns,
                               const std::string& app) {
    std::set<std::string> ips;
    auto out = Kubectl(member, {"get", "pods", "-n", ns, "-l", StrCat("app=", app), "-o",
                                "jsonpath={.items[*].status.podIP}"});
    if (!out.ok()) return ips;
    for (absl::string_view ip : absl::StrSplit(*out, ' ', absl::SkipEmpty())) {
      ips.insert(StrCat(ip, "@", ids_[member]));
    }
    return ips;
  }

  // The addresses in kfed's EndpointSlices for the service in `member`, "ip@<source id>".
  static absl::StatusOr<std::set<std::string>> ImportedEndpoints(const std::string& member,
                                                                 const std::string& ns,
                                                                 const std::string& name) {
    auto list = KubectlJson(member, {"get", "endpointslices", "-n", ns, "-l",
                                     StrCat("multicluster.kubernetes.io/service-name=", name)});
    if (!list.ok()) return list.status();
    std::set<std::string> out;
    for (const rapidjson::Value& s : (*list)["items"].GetArray()) {
      const rapidjson::Value* labels = json::FindPath(s, {"metadata", "labels"});
      if (json::GetString(*labels, "endpointslice.kubernetes.io/managed-by") !=
          "mcs-controller.kfed.io") {
        return absl::InternalError(
            StrCat("slice without kfed's manager label: ", json::Serialize(*labels)));
      }
      const std::string source =
          json::GetString(*labels, "multicluster.kubernetes.io/source-cluster");
      const rapidjson::Value* endpoints = json::Find(s, "endpoints");
      if (endpoints == nullptr || !endpoints->IsArray()) continue;
      for (const rapidjson::Value& e : endpoints->GetArray()) {
        for (const rapidjson::Value& a : e["addresses"].GetArray()) {
          out.insert(StrCat(a.GetString(), "@", source));
        }
      }
    }
    return out;
  }

  // Waits until every member's imported endpoints are exactly the pods' IPs of `sources`
  // (each having `replicas[i]` pods with an IP).
  absl::Status WaitForEndpoints(const std::string& ns, const std::string& name,
                                const std::map<std::string, int>& replicas,
                                absl::Duration timeout = absl::Seconds(120)) {
    return WaitFor(StrCat("EndpointSlices of ", ns, "/", name), timeout, [&]() -> absl::Status {
      std::set<std::string> want;
      for (const auto& [member, n] : replicas) {
        std::set<std::string> ips = PodIps(member, ns, name);
        if (static_cast<int>(ips.size()) != n) {
          return absl::UnavailableError(
              StrCat(member, ": ", ips.size(), " of ", n, " pods have an IP"));
        }
        want.insert(ips.begin(), ips.end());
      }
      for (const std::string& member : Clusters().members) {
        auto got = ImportedEndpoints(member, ns, name);
        if (!got.ok()) return got.status();
        if (*got != want) {
          return absl::UnavailableError(StrCat(member, " has [", absl::StrJoin(*got, ","),
                                               "], want [", absl::StrJoin(want, ","), "]"));
        }
      }
      return absl::OkStatus();
    });
  }

  // "<status>/<reason>" of a ServiceExport condition; its message in `message`.
  static std::string Condition(const std::string& member, const std::string& ns,
                               const std::string& name, const std::string& type,
                               std::string* message = nullptr) {
    auto se = KubectlJson(member, {"get", "serviceexports.multicluster.x-k8s.io", name, "-n", ns});
    if (!se.ok()) return std::string(se.status().message());
    const rapidjson::Value* list = json::FindPath(*se, {"status", "conditions"});
    if (list == nullptr || !list->IsArray()) return "";
    for (const rapidjson::Value& c : list->GetArray()) {
      if (json::GetString(c, "type") != type) continue;
      if (message != nullptr) *message = json::GetString(c, "message");
      return StrCat(json::GetString(c, "status"), "/", json::GetString(c, "reason"));
    }
    return "";
  }

  absl::Status WaitForCondition(const std::string& member, const std::string& ns,
                                const std::string& name, const std::string& type,
                                const std::string& want, std::string* message = nullptr) {
    return WaitFor(StrCat(member, ": ServiceExport ", ns, "/", name, " ", type), absl::Seconds(60),
                   [&]() -> absl::Status {
                     std::string got = Condition(member, ns, name, type, message);
                     return got == want ? absl::OkStatus() : absl::UnavailableError(got);
                   });
  }

  std::string ClusterList(const std::vector<std::string>& members) {
    std::vector<std::string> parts;
    for (const std::string& m : members)
      parts.push_back(StrCat(R"({"cluster":")", ids_[m], R"("})"));
    return StrCat("[", absl::StrJoin(parts, ","), "]");
  }

  Federation* fed_ = nullptr;
  std::map<std::string, std::string> ids_;
  std::vector<std::pair<std::string, std::string>> namespaces_;  // context, namespace
};

}  // namespace kfed::e2e

#endif  // KFED_E2E_MCS_FIXTURE_H_
