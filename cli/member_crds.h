// CRDs kfedctl join installs in member clusters, embedded at build time from
// federated_types/crds/member/ (cli/BUILD.bazel, genrule member_crds_cc).
#ifndef KFED_CLI_MEMBER_CRDS_H_
#define KFED_CLI_MEMBER_CRDS_H_

namespace kfed::cli {

// federated_types/crds/member/clusterproperties.about.k8s.io.yaml (KEP-2149's ClusterProperty).
extern const char kClusterPropertyCrdYaml[];

}  // namespace kfed::cli

#endif  // KFED_CLI_MEMBER_CRDS_H_
