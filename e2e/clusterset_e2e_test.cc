// The ClusterSet of KEP-2149 on the real clusters: every member joined with `kfedctl join`
// carries the ClusterProperty CRD and kfed's two properties (cluster.clusterset.k8s.io = the
// member's kube-system UID, the ID the KubeFedCluster records; clusterset.k8s.io = the
// ClusterSet's name), and kfed restores them when someone edits or deletes them.
#include <gtest/gtest.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "e2e/cluster_env.h"
#include "e2e/federation_env.h"

namespace kfed::e2e {
namespace {

using ::absl::StrCat;

// "<value>/<managed-by label>" of a member's ClusterProperty, or the error.
std::string Property(const std::string& member, const std::string& name) {
  auto out = Kubectl(member, {"get", "clusterproperty.about.k8s.io", name, "-o",
                              "jsonpath={.spec.value}/{.metadata.labels.app\\.kubernetes\\.io/"
                              "managed-by}"});
  return out.ok() ? *out : std::string(out.status().message());
}

class ClusterSetE2eTest : public FederationTest {};

TEST_F(ClusterSetE2eTest, EveryMemberCarriesItsClusterIdAndTheClusterSet) {
  ASSERT_FALSE(Clusters().members.empty());
  for (const std::string& member : Clusters().members) {
    SCOPED_TRACE(member);
    auto uid = Kubectl(member, {"get", "namespace", "kube-system", "-o",
                                "jsonpath={.metadata.uid}"});
    ASSERT_TRUE(uid.ok()) << uid.status();
    absl::Status written = WaitFor("kfed's ClusterProperties", absl::Seconds(60), [&] {
      std::string id = Property(member, "cluster.clusterset.k8s.io");
      std::string set = Property(member, "clusterset.k8s.io");
      if (id == StrCat(*uid, "/kfed") && set == "kfed/kfed") return absl::OkStatus();
      return absl::UnavailableError(StrCat("id: ", id, "; clusterset: ", set));
    });
    EXPECT_TRUE(written.ok()) << written;
    // The same ID `kfedctl join` recorded on the KubeFedCluster.
    auto recorded = Kubectl(Host(), {"get", "kubefedcluster", member, "-n",
                                     "kube-federation-system", "-o",
                                     "jsonpath={.metadata.annotations.kfed\\.io/cluster-id}"});
    ASSERT_TRUE(recorded.ok()) << recorded.status();
    EXPECT_EQ(*recorded, *uid);
  }
}

TEST_F(ClusterSetE2eTest, EditsAndDeletionsAreReverted) {
  ASSERT_FALSE(Clusters().members.empty());
  const std::string member = Clusters().members.front();
  auto uid = Kubectl(member, {"get", "namespace", "kube-system", "-o",
                              "jsonpath={.metadata.uid}"});
  ASSERT_TRUE(uid.ok()) << uid.status();
  ASSERT_TRUE(WaitFor("kfed's ClusterProperties", absl::Seconds(60), [&] {
                return Property(member, "clusterset.k8s.io") == "kfed/kfed"
                           ? absl::OkStatus()
                           : absl::UnavailableError(Property(member, "clusterset.k8s.io"));
              }).ok());

  ASSERT_TRUE(Kubectl(member, {"patch", "clusterproperty.about.k8s.io", "clusterset.k8s.io",
                               "--type=merge", "-p", R"({"spec":{"value":"another-set"}})"})
                  .ok());
  absl::Status restored = WaitFor("the ClusterSet name restored", absl::Seconds(60), [&] {
    std::string set = Property(member, "clusterset.k8s.io");
    return set == "kfed/kfed" ? absl::OkStatus() : absl::UnavailableError(set);
  });
  EXPECT_TRUE(restored.ok()) << restored;

  ASSERT_TRUE(Kubectl(member, {"delete", "clusterproperty.about.k8s.io",
                               "cluster.clusterset.k8s.io"})
                  .ok());
  absl::Status recreated = WaitFor("the cluster ID recreated", absl::Seconds(60), [&] {
    std::string id = Property(member, "cluster.clusterset.k8s.io");
    return id == StrCat(*uid, "/kfed") ? absl::OkStatus() : absl::UnavailableError(id);
  });
  EXPECT_TRUE(recreated.ok()) << recreated;
}

}  // namespace
}  // namespace kfed::e2e
