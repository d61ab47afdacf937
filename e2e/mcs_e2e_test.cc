// Multi-Cluster Services (KEP-1645, sigs.k8s.io/mcs-api v0.5.2) on the kwok members: the
// mcs-api CRDs are installed into the members from the Go module (hack/mcs-crds.sh), users
// export Services from members, and kfed keeps ServiceImports and EndpointSlices holding the
// exporting members' pod IPs in every member (controller/mcs_controller.h). Every assertion
// reads the members.
#include <gtest/gtest.h>

#include <iostream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "e2e/mcs_fixture.h"

namespace kfed::e2e {
namespace {

// Export from member1, then member2 too; endpoints follow a scale-up; unexport removes all.
TEST_F(McsE2eTest, ExportImportEndpointsScaleAndUnexport) {
  const std::string ns = FederatedNamespace("mcs");
  const std::string m1 = Member(0);
  const std::string m2 = Member(1);
  ASSERT_TRUE(Apply(m1, DeploymentYaml(ns, "web", 2)).ok());
  ASSERT_TRUE(Apply(m1, ServiceYaml(ns, "web", 80)).ok());
  const absl::Time exported = absl::Now();
  ASSERT_TRUE(Apply(m1, ExportYaml(ns, "web")).ok());

  const std::string ports = R"([{"name":"http","port":80,"protocol":"TCP"}])";
  std::string first_import;
  for (const std::string& member : Clusters().members) {
    absl::Status s = WaitForImport(member, ns, "web", [&](const std::string& got) {
      return absl::StartsWith(got, R"(ClusterSetIP [")") &&
             absl::StrContains(got, StrCat("] ", ports, " ", ClusterList({m1})));
    });
    ASSERT_TRUE(s.ok()) << s;
    std::string got = *Import(member, ns, "web");
    if (first_import.empty()) first_import = got;
    EXPECT_EQ(got, first_import) << "the same ServiceImport in every member";
  }
  std::cout << "mcs: export -> ServiceImport in every member after "
            << absl::FormatDuration(absl::Now() - exported) << ": " << first_import << std::endl;
  EXPECT_TRUE(absl::StrContains(first_import, R"(["240.96.)")) << first_import;
  absl::Status eps = WaitForEndpoints(ns, "web", {{m1, 2}});
  ASSERT_TRUE(eps.ok()) << eps;
  // Each imported slice is owned by its cluster's ServiceImport (KEP-1645).
  for (const std::string& member : Clusters().members) {
    auto uid = Kubectl(member, {"get", "serviceimports.multicluster.x-k8s.io", "web", "-n", ns,
                                "-o", "jsonpath={.metadata.uid}"});
    ASSERT_TRUE(uid.ok()) << uid.status();
    auto owners = Kubectl(member, {"get", "endpointslices", "-n", ns, "-l",
                                   "multicluster.kubernetes.io/service-name=web", "-o",
                                   "jsonpath={.items[*].metadata.ownerReferences[0].uid}"});
    ASSERT_TRUE(owners.ok()) << owners.status();
    EXPECT_EQ(*owners, *uid) << member;
  }
  EXPECT_TRUE(WaitForCondition(m1, ns, "web", "Valid", "True/Valid").ok());
  EXPECT_TRUE(WaitForCondition(m1, ns, "web", "Conflict", "False/NoConflicts").ok());
  std::string ready;
  EXPECT_TRUE(WaitForCondition(m1, ns, "web", "Ready", "True/Exported", &ready).ok());
  EXPECT_TRUE(absl::StrContains(ready, m2)) << ready;

  // member2 exports the same service: both clusters, endpoints from both, the same IP.
  ASSERT_TRUE(Apply(m2, DeploymentYaml(ns, "web", 1)).ok());
  ASSERT_TRUE(Apply(m2, ServiceYaml(ns, "web", 80)).ok());
  ASSERT_TRUE(Apply(m2, ExportYaml(ns, "web")).ok());
  const std::string ip = first_import.substr(0, first_import.find(']') + 1);
  for (const std::string& member : Clusters().members) {
    absl::Status s = WaitForImport(member, ns, "web", [&](const std::string& got) {
      return got == StrCat(ip, " ", ports, " ", ClusterList({m1, m2}));
    });
    EXPECT_TRUE(s.ok()) << s;
  }
  eps = WaitForEndpoints(ns, "web", {{m1, 2}, {m2, 1}});
  ASSERT_TRUE(eps.ok()) << eps;
  EXPECT_TRUE(WaitForCondition(m2, ns, "web", "Conflict", "False/NoConflicts").ok());

  // Scale member1's Deployment: the slices everywhere follow.
  const absl::Time scaled = absl::Now();
  ASSERT_TRUE(Kubectl(m1, {"scale", "deployment", "web", "-n", ns, "--replicas=4"}).ok());
  eps = WaitForEndpoints(ns, "web", {{m1, 4}, {m2, 1}});
  ASSERT_TRUE(eps.ok()) << eps;
  std::cout << "mcs: scale 2 -> 4 in " << m1 << " -> EndpointSlices in every member after "
            << absl::FormatDuration(absl::Now() - scaled) << std::endl;
  ASSERT_TRUE(Kubectl(m1, {"scale", "deployment", "web", "-n", ns, "--replicas=1"}).ok());
  eps = WaitForEndpoints(ns, "web", {{m1, 1}, {m2, 1}});
  ASSERT_TRUE(eps.ok()) << eps;

  // Unexport from member1: member2's endpoints only; then from member2: everything goes.
  ASSERT_TRUE(
      Kubectl(m1, {"delete", "serviceexports.multicluster.x-k8s.io", "web", "-n", ns}).ok());
  eps = WaitForEndpoints(ns, "web", {{m2, 1}});
  ASSERT_TRUE(eps.ok()) << eps;
  ASSERT_TRUE(
      Kubectl(m2, {"delete", "serviceexports.multicluster.x-k8s.io", "web", "-n", ns}).ok());
  for (const std::string& member : Clusters().members) {
    absl::Status gone =
        fed_->WaitForAbsent(member, {"serviceimports.multicluster.x-k8s.io", "web", "-n", ns});
    EXPECT_TRUE(gone.ok()) << gone;
    absl::Status no_slices = WaitFor(
        StrCat(member, ": kfed's EndpointSlices gone"), absl::Seconds(60), [&]() -> absl::Status {
          auto got = ImportedEndpoints(member, ns, "web");
          if (!got.ok()) return got.status();
          return got->empty() ? absl::OkStatus() : absl::UnavailableError("still there");
        });
    EXPECT_TRUE(no_slices.ok()) << no_slices;
  }
  // The Services and their own slices are untouched.
  EXPECT_TRUE(Kubectl(m1, {"get", "service", "web", "-n", ns}).ok());
  auto own = Kubectl(m1, {"get", "endpointslices", "-n", ns, "-l", "kubernetes.io/service-name=web",
                          "-o", "name"});
  ASSERT_TRUE(own.ok());
  EXPECT_FALSE(own->empty());
}

// The newer export with another port gets Conflict=True naming the port; the older wins.
TEST_F(McsE2eTest, ConflictingPortOnTheNewerExport) {
  const std::string ns = FederatedNamespace("mcs-conflict");
  const std::string m1 = Member(0);
  const std::string m2 = Member(1);
  ASSERT_TRUE(Apply(m1, ServiceYaml(ns, "api", 80)).ok());
  ASSERT_TRUE(Apply(m1, ExportYaml(ns, "api")).ok());
  ASSERT_TRUE(WaitForCondition(m1, ns, "api", "Ready", "True/Exported").ok());
  ASSERT_TRUE(Apply(m2, ServiceYaml(ns, "api", 8080)).ok());
  ASSERT_TRUE(Apply(m2, ExportYaml(ns, "api")).ok());
  std::string message;
  absl::Status conflict =
      WaitForCondition(m2, ns, "api", "Conflict", "True/PortConflict", &message);
  ASSERT_TRUE(conflict.ok()) << conflict;
  EXPECT_TRUE(absl::StrContains(message, StrCat("port \"http\" is 8080/TCP here but 80/TCP in "
                                                "cluster ",
                                                m1)))
      << message;
  EXPECT_EQ(Condition(m1, ns, "api", "Conflict"), "False/NoConflicts");
  for (const std::string& member : Clusters().members) {
    absl::Status s = WaitForImport(member, ns, "api", [&](const std::string& got) {
      return absl::StrContains(got, R"([{"name":"http","port":80,"protocol":"TCP"}])") &&
             absl::EndsWith(got, ClusterList({m1, m2}));
    });
    EXPECT_TRUE(s.ok()) << s;
  }
}

// Headless, a ServiceExport without a Service, an ExternalName Service, a namespace missing in
// a member: conditions with reasons, and nothing else disturbed.
TEST_F(McsE2eTest, HeadlessAndBadInput) {
  const std::string m1 = Member(0);
  const std::string m2 = Member(1);
  // Only in member1 (not federated): member2 gets no import and the export says so.
  const std::string ns = UniqueName("mcs-local");
  ASSERT_TRUE(Kubectl(m1, {"create", "namespace", ns}).ok());
  namespaces_.emplace_back(m1, ns);
  ASSERT_TRUE(Apply(m1, ServiceYaml(ns, "db", 5432, "  clusterIP: None\n")).ok());
  ASSERT_TRUE(Apply(m1, ExportYaml(ns, "db")).ok());
  absl::Status headless = WaitForImport(m1, ns, "db", [&](const std::string& got) {
    return got == StrCat(R"(Headless - [{"name":"http","port":5432,"protocol":"TCP"}] )",
                         ClusterList({m1}));
  });
  EXPECT_TRUE(headless.ok()) << headless;
  std::string message;
  EXPECT_TRUE(WaitForCondition(m1, ns, "db", "Ready", "True/Exported", &message).ok());
  EXPECT_TRUE(absl::StrContains(message, StrCat("namespace ", ns, " does not exist in ", m2)))
      << message;
  EXPECT_FALSE(Kubectl(m2, {"get", "namespace", ns}).ok()) << "kfed created no namespace";

  ASSERT_TRUE(Apply(m1, ExportYaml(ns, "ghost")).ok());
  EXPECT_TRUE(WaitForCondition(m1, ns, "ghost", "Valid", "False/NoService", &message).ok());
  EXPECT_TRUE(absl::StrContains(message, "does not exist")) << message;
  ASSERT_TRUE(Apply(m1, StrCat("apiVersion: v1\nkind: Service\nmetadata: {name: ext, namespace: ",
                               ns, "}\nspec: {type: ExternalName, externalName: example.com}\n"))
                  .ok());
  ASSERT_TRUE(Apply(m1, ExportYaml(ns, "ext")).ok());
  EXPECT_TRUE(WaitForCondition(m1, ns, "ext", "Valid", "False/InvalidServiceType", &message).ok());
  EXPECT_TRUE(absl::StrContains(message, "ExternalName")) << message;
  EXPECT_EQ(Condition(m1, ns, "ext", "Ready"), "False/Failed");
  for (const char* name : {"ghost", "ext"}) {
    EXPECT_FALSE(Kubectl(m1, {"get", "serviceimports.multicluster.x-k8s.io", name, "-n", ns}).ok())
        << name;
  }
  // The good export is undisturbed.
  EXPECT_TRUE(Import(m1, ns, "db").ok());
}

// A member that stops has its endpoints withdrawn from the others (once the cluster controller
// marks it not Ready); back, they are restored.
TEST_F(McsE2eTest, StoppedMemberEndpointsWithdrawnAndRestored) {
  const std::string ns = FederatedNamespace("mcs-outage");
  const std::string m1 = Member(0);
  const std::string m2 = Member(1);
  for (const std::string& member : {m1, m2}) {
    ASSERT_TRUE(Apply(member, DeploymentYaml(ns, "web", 1)).ok());
    ASSERT_TRUE(Apply(member, ServiceYaml(ns, "web", 80)).ok());
    ASSERT_TRUE(Apply(member, ExportYaml(ns, "web")).ok());
  }
  absl::Status eps = WaitForEndpoints(ns, "web", {{m1, 1}, {m2, 1}});
  ASSERT_TRUE(eps.ok()) << eps;

  absl::Cleanup restart = [&] { (void)Launcher({"start", m2}); };
  ASSERT_TRUE(Launcher({"stop", m2}).ok());
  const absl::Time stopped = absl::Now();
  absl::Status withdrawn = WaitFor("member2's endpoints withdrawn from member1", absl::Seconds(180),
                                   [&]() -> absl::Status {
                                     auto got = ImportedEndpoints(m1, ns, "web");
                                     if (!got.ok()) return got.status();
                                     if (*got == PodIps(m1, ns, "web")) return absl::OkStatus();
                                     return absl::UnavailableError(absl::StrJoin(*got, ","));
                                   });
  ASSERT_TRUE(withdrawn.ok()) << withdrawn;
  std::cout << "mcs: " << m2 << " stopped -> its endpoints withdrawn after "
            << absl::FormatDuration(absl::Now() - stopped) << std::endl;
  auto import = Import(m1, ns, "web");
  ASSERT_TRUE(import.ok()) << import.status();
  EXPECT_TRUE(absl::EndsWith(*import, ClusterList({m1}))) << *import;

  // On a loaded machine a member's controller-manager may give up waiting for its apiserver
  // at start (the launcher then fails); a second start finds the apiserver up.
  absl::Status start = Launcher({"start", m2});
  if (!start.ok()) {
    std::cout << "mcs: starting " << m2 << " again after: " << start << std::endl;
    start = Launcher({"start", m2});
  }
  ASSERT_TRUE(start.ok()) << start;
  std::move(restart).Cancel();
  const absl::Time started = absl::Now();
  eps = WaitForEndpoints(ns, "web", {{m1, 1}, {m2, 1}}, absl::Seconds(180));
  ASSERT_TRUE(eps.ok()) << eps;
  std::cout << "mcs: " << m2 << " started -> its endpoints restored after "
            << absl::FormatDuration(absl::Now() - started) << std::endl;
}

}  // namespace
}  // namespace kfed::e2e
