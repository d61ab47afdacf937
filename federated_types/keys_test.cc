#include "federated_types/keys.h"

#include <set>
#include <string>

#include "gtest/gtest.h"

namespace kfed::federated_types {
namespace {

TEST(KeysTest, EveryPerClusterStatusOnceAndNonEmpty) {
  std::set<absl::string_view> seen;
  for (absl::string_view status : kClusterPropagationStatuses) {
    EXPECT_FALSE(status.empty());
    EXPECT_TRUE(seen.insert(status).second) << status;
  }
  EXPECT_EQ(seen.size(), 19u);
  EXPECT_EQ(seen.count("ManagedLabelFalse"), 1u);
  EXPECT_EQ(seen.count("CreationTimedOut"), 1u);
}

TEST(KeysTest, KubeFedSpellings) {
  EXPECT_EQ(kManagedLabel, "kubefed.io/managed");
  EXPECT_EQ(kOrphanAnnotation, "kubefed.io/orphan");
  EXPECT_EQ(kDeleteOptionAnnotation, "kubefed.io/deleteoption");
  EXPECT_EQ(kSyncControllerFinalizer, "kubefed.io/sync-controller");
  EXPECT_EQ(kFederatedTypeConfigFinalizer, "core.kubefed.io/federated-type-config");
  EXPECT_EQ(kCoreV1Beta1, "core.kubefed.io/v1beta1");
  EXPECT_EQ(kCoreV1Alpha1, "core.kubefed.io/v1alpha1");
  EXPECT_EQ(kTypesV1Beta1, "types.kubefed.io/v1beta1");
  EXPECT_EQ(kSchedulingV1Alpha1, "scheduling.kubefed.io/v1alpha1");
  EXPECT_EQ(kNamespaceNotFederated, "NamespaceNotFederated");
  EXPECT_EQ(kClusterConfigMalformedMessage, "cluster's configuration may be malformed");
}

}  // namespace
}  // namespace kfed::federated_types
