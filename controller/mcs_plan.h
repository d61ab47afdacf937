// Multi-Cluster Services (KEP-1645, sigs.k8s.io/mcs-api v0.5.2, multicluster.x-k8s.io/v1alpha1)
// as pure functions on values: what one service's exports across the ClusterSet add up to.
//   - ValidateExport: the Valid condition of a ServiceExport from its Service;
//   - MergeExports: the ServiceImport's type, ports and session affinity from the valid
//     exports, and the Conflict condition of each (the oldest export wins, by
//     creationTimestamp, ties by cluster name; the newer one gets Conflict=True naming the
//     field);
//   - DeriveEndpointSlice: the EndpointSlice an importing cluster holds for one source
//     EndpointSlice of an exporting cluster;
//   - ClusterSetIpAllocator: ClusterSetIPs from a configured IPv4 range.
// The controller (controller/mcs_controller.h) reads the caches and writes the results.
#ifndef KFED_CONTROLLER_MCS_PLAN_H_
#define KFED_CONTROLLER_MCS_PLAN_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "kube/resource.h"
#include "rapidjson/document.h"

namespace kfed::controller::mcs {

inline constexpr absl::string_view kGroup = "multicluster.x-k8s.io";
inline constexpr absl::string_view kVersion = "v1alpha1";
kube::GroupVersionResource ServiceExportsResource();
kube::GroupVersionResource ServiceImportsResource();
kube::GroupVersionResource ServicesResource();
kube::GroupVersionResource EndpointSlicesResource();

// mcs-api's well-known labels, and the EndpointSlice manager label of discovery.k8s.io.
inline constexpr absl::string_view kLabelServiceName = "multicluster.kubernetes.io/service-name";
inline constexpr absl::string_view kLabelSourceCluster =
    "multicluster.kubernetes.io/source-cluster";
inline constexpr absl::string_view kLabelEndpointSliceManagedBy =
    "endpointslice.kubernetes.io/managed-by";
// kfed's value of endpointslice.kubernetes.io/managed-by on the slices it publishes.
inline constexpr absl::string_view kEndpointSliceManager = "mcs-controller.kfed.io";
// The label Kubernetes' EndpointSlice controller puts on a Service's slices.
inline constexpr absl::string_view kLabelKubeServiceName = "kubernetes.io/service-name";

// ServiceImport types.
inline constexpr absl::string_view kClusterSetIp = "ClusterSetIP";
inline constexpr absl::string_view kHeadless = "Headless";

// ServiceExport condition types and reasons (mcs-api v0.5.2 serviceexport.go).
inline constexpr absl::string_view kConditionValid = "Valid";
inline constexpr absl::string_view kConditionConflict = "Conflict";
inline constexpr absl::string_view kConditionReady = "Ready";
inline constexpr absl::string_view kReasonValid = "Valid";
inline constexpr absl::string_view kReasonNoService = "NoService";
inline constexpr absl::string_view kReasonInvalidServiceType = "InvalidServiceType";
inline constexpr absl::string_view kReasonExported = "Exported";
inline constexpr absl::string_view kReasonPending = "Pending";
inline constexpr absl::string_view kReasonFailed = "Failed";
inline constexpr absl::string_view kReasonPortConflict = "PortConflict";
inline constexpr absl::string_view kReasonTypeConflict = "TypeConflict";
inline constexpr absl::string_view kReasonSessionAffinityConflict = "SessionAffinityConflict";
inline constexpr absl::string_view kReasonSessionAffinityConfigConflict =
    "SessionAffinityConfigConflict";
inline constexpr absl::string_view kReasonLabelsConflict = "LabelsConflict";
inline constexpr absl::string_view kReasonAnnotationsConflict = "AnnotationsConflict";
inline constexpr absl::string_view kReasonNoConflicts = "NoConflicts";

// A metav1.Condition without its timestamps (the controller keeps lastTransitionTime).
struct Condition {
  std::string type;
  std::string status;  // "True", "False", "Unknown"
  std::string reason;
  std::string message;
  bool operator==(const Condition& o) const {
    return type == o.type && status == o.status && reason == o.reason && message == o.message;
  }
};

// A ServiceImport port (mcs-api ServicePort).
struct ImportPort {
  std::string name;
  std::string protocol = "TCP";
  std::string app_protocol;  // "" when unset
  int32_t port = 0;
  bool operator==(const ImportPort& o) const {
    return name == o.name && protocol == o.protocol && app_protocol == o.app_protocol &&
           port == o.port;
  }
  std::string String() const;  // "80/TCP", "80/TCP (appProtocol http)"
};

// One cluster's valid export of a service: its ServiceExport and Service, read.
struct ClusterExport {
  std::string cluster;                        // member name
  absl::Time created = absl::InfinitePast();  // the ServiceExport's creationTimestamp
  bool headless = false;                      // the Service's clusterIP is "None"
  std::vector<ImportPort> ports;
  std::string session_affinity = "None";
  std::string session_affinity_config;  // the Service's sessionAffinityConfig as JSON; "" none
  // The ServiceExport's spec.exportedLabels / spec.exportedAnnotations.
  std::map<std::string, std::string> exported_labels;
  std::map<std::string, std::string> exported_annotations;
};

// The Valid condition of `service_export` in `cluster` given its Service (nullptr: absent).
// When valid, fills `out` (ports, type, affinity, creationTimestamp).
Condition ValidateExport(const std::string& cluster, const rapidjson::Value& service_export,
                         const rapidjson::Value* service, ClusterExport* out);

struct MergedService {
  std::string type;  // kClusterSetIp or kHeadless
  std::vector<ImportPort> ports;
  std::string session_affinity = "None";
  std::string session_affinity_config;  // JSON; "" none
  std::string oldest_cluster;           // the export whose properties win
  // The ServiceImport's labels and annotations: the union of the exports' exportedLabels and
  // exportedAnnotations (a key set differently by a newer export keeps the older value).
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  // Every export's Conflict condition (True on the ones that lost a field), by cluster.
  std::map<std::string, Condition> conflicts;
  // The exporting clusters, oldest first.
  std::vector<std::string> clusters;
};

// KEP-1645's conflict resolution over the valid exports of one service (non-empty; one per
// cluster). Ports are merged first by name, then by protocol and number: the union of all
// exports' ports; a port whose name an older export already defines differently, or whose
// protocol and number an older export's port of another name holds, is a PortConflict on the
// newer export (the older definition stays). exportedLabels / exportedAnnotations: the union;
// a key with another value than an older export's is a LabelsConflict / AnnotationsConflict. Type
// (ClusterSetIP/Headless), sessionAffinity and sessionAffinityConfig come from the oldest export; a
// newer export that differs gets TypeConflict, SessionAffinityConflict,
// SessionAffinityConfigConflict. Several reasons are joined with commas (as the API says); the
// message names each field, the value that won and the cluster it came from.
MergedService MergeExports(std::vector<ClusterExport> exports);

// The ServiceImport `spec` for `merged` (ips only for ClusterSetIP).
rapidjson::Document ImportSpec(const MergedService& merged, const std::vector<std::string>& ips);

// The EndpointSlice name kfed uses in importing clusters for `source_slice` of the cluster
// `source_cluster_id`: "<service>-<hash>", stable and at most 63 characters.
std::string DerivedSliceName(absl::string_view service, absl::string_view source_cluster_id,
                             absl::string_view source_slice);

// The EndpointSlice an importing cluster holds for one EndpointSlice of an exporting cluster:
// the same addressType, ports and endpoints (addresses, conditions, hostname, zone; node
// names and targetRefs name objects of the source cluster and are dropped), labelled with
// the service name, the source cluster's ID, endpointslice.kubernetes.io/managed-by and
// kfed's managed-by label.
// With `import_uid` (the importing cluster's ServiceImport), the slice names that ServiceImport
// as its owner (controller: false), as KEP-1645 says.
rapidjson::Document DeriveEndpointSlice(absl::string_view ns, absl::string_view service,
                                        absl::string_view source_cluster_id,
                                        const rapidjson::Value& source_slice,
                                        absl::string_view import_uid = "");

// Whether `existing` already says what `desired` says (labels kfed sets, owner references,
// addressType, endpoints, ports); the rest (resourceVersion, other labels) is ignored.
bool SliceUpToDate(const rapidjson::Value& existing, const rapidjson::Value& desired);

// ClusterSetIPs from an IPv4 CIDR: one per service key ("ns/name"), lowest free address
// first, the network and broadcast addresses skipped (for prefixes up to /30). Stable across
// restarts when the controller Recover()s the addresses its ServiceImports already carry
// before it allocates new ones. Thread-safe.
class ClusterSetIpAllocator {
 public:
  // kInvalidArgument when `cidr` is not an IPv4 CIDR ("a.b.c.d/n").
  static absl::StatusOr<std::unique_ptr<ClusterSetIpAllocator>> Create(absl::string_view cidr);

  const std::string& cidr() const { return cidr_; }
  // The address of `key`, allocating one; kResourceExhausted naming the range when none is
  // free.
  absl::StatusOr<std::string> Allocate(const std::string& key) ABSL_LOCKS_EXCLUDED(mu_);
  // The address `key` holds, "" when none.
  std::string Get(const std::string& key) const ABSL_LOCKS_EXCLUDED(mu_);
  // Records that `key` holds `ip` (read back from a ServiceImport). kInvalidArgument when
  // `ip` is outside the range, kAlreadyExists when another key holds it or `key` holds
  // another address.
  absl::Status Recover(const std::string& key, absl::string_view ip) ABSL_LOCKS_EXCLUDED(mu_);
  void Release(const std::string& key) ABSL_LOCKS_EXCLUDED(mu_);
  size_t Allocated() const ABSL_LOCKS_EXCLUDED(mu_);
  size_t Capacity() const { return static_cast<size_t>(last_) - first_ + 1; }

 private:
  ClusterSetIpAllocator(std::string cidr, uint32_t first, uint32_t last)
      : cidr_(std::move(cidr)), first_(first), last_(last) {}
  const std::string cidr_;
  const uint32_t first_;
  const uint32_t last_;
  mutable absl::Mutex mu_;
  std::map<std::string, uint32_t> by_key_ ABSL_GUARDED_BY(mu_);
  std::map<uint32_t, std::string> by_ip_ ABSL_GUARDED_BY(mu_);
};

// Parses a dotted IPv4 address; false when it is not one.
bool ParseIpv4(absl::string_view text, uint32_t* out);
std::string FormatIpv4(uint32_t ip);

}  // namespace kfed::controller::mcs

#endif  // KFED_CONTROLLER_MCS_PLAN_H_
