#include "controller/mcs_plan.h"

#include <algorithm>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/json.h"
#include "federated_types/keys.h"

namespace kfed::controller::mcs {
namespace {

namespace ft = ::kfed::federated_types;

kube::GroupVersionResource Make(absl::string_view group, absl::string_view version,
                                absl::string_view resource, absl::string_view kind) {
  return {std::string(group), std::string(version), std::string(resource), /*namespaced=*/true,
          std::string(kind)};
}

absl::Time CreationTimestamp(const rapidjson::Value& object) {
  const rapidjson::Value* v = json::FindPath(object, {"metadata", "creationTimestamp"});
  absl::Time t = absl::InfinitePast();
  if (v == nullptr || !v->IsString()) return t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, v->GetString(), &t, &err)) return absl::InfinitePast();
  return t;
}

// FNV-1a, 64 bits: a name hash that is the same in every build and process.
uint64_t Fnv1a(absl::string_view text) {
  uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

void AddMember(rapidjson::Value& object, absl::string_view name, rapidjson::Value value,
               rapidjson::Document::AllocatorType& a) {
  object.AddMember(rapidjson::Value(name.data(), static_cast<rapidjson::SizeType>(name.size()), a),
                   value, a);
}

rapidjson::Value Str(absl::string_view s, rapidjson::Document::AllocatorType& a) {
  return rapidjson::Value(s.data(), static_cast<rapidjson::SizeType>(s.size()), a);
}

}  // namespace

kube::GroupVersionResource ServiceExportsResource() {
  return Make(kGroup, kVersion, "serviceexports", "ServiceExport");
}
kube::GroupVersionResource ServiceImportsResource() {
  return Make(kGroup, kVersion, "serviceimports", "ServiceImport");
}
kube::GroupVersionResource ServicesResource() { return Make("", "v1", "services", "Service"); }
kube::GroupVersionResource EndpointSlicesResource() {
  return Make("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice");
}

std::string ImportPort::String() const {
  std::string out = absl::StrCat(port, "/", protocol);
  if (!app_protocol.empty()) absl::StrAppend(&out, " (appProtocol ", app_protocol, ")");
  return out;
}

Condition ValidateExport(const std::string& cluster, const rapidjson::Value& service_export,
                         const rapidjson::Value* service, ClusterExport* out) {
  const std::string name = kube::Name(service_export);
  const std::string ns = kube::Namespace(service_export);
  if (service == nullptr) {
    return {std::string(kConditionValid), "False", std::string(kReasonNoService),
            absl::StrCat("Service ", ns, "/", name, " does not exist in cluster ", cluster)};
  }
  const rapidjson::Value* spec = json::Find(*service, "spec");
  const std::string type = spec == nullptr ? "" : json::GetString(*spec, "type", "ClusterIP");
  if (type == "ExternalName") {
    return {std::string(kConditionValid), "False", std::string(kReasonInvalidServiceType),
            absl::StrCat("Service ", ns, "/", name, " in cluster ", cluster,
                         " is of type ExternalName, which cannot be exported")};
  }
  if (out != nullptr) {
    *out = ClusterExport{};
    out->cluster = cluster;
    out->created = CreationTimestamp(service_export);
    for (auto [field, target] :
         {std::make_pair("exportedLabels", &out->exported_labels),
          std::make_pair("exportedAnnotations", &out->exported_annotations)}) {
      const rapidjson::Value* m = json::FindPath(service_export, {"spec", field});
      if (m == nullptr || !m->IsObject()) continue;
      for (const auto& kv : m->GetObject()) {
        if (kv.value.IsString()) (*target)[kv.name.GetString()] = kv.value.GetString();
      }
    }
    if (spec != nullptr) {
      out->headless = json::GetString(*spec, "clusterIP") == "None";
      out->session_affinity = json::GetString(*spec, "sessionAffinity", "None");
      if (const rapidjson::Value* c = json::Find(*spec, "sessionAffinityConfig");
          c != nullptr && !c->IsNull()) {
        out->session_affinity_config = json::Serialize(*c);
      }
      if (const rapidjson::Value* ports = json::Find(*spec, "ports");
          ports != nullptr && ports->IsArray()) {
        for (const rapidjson::Value& p : ports->GetArray()) {
          ImportPort port;
          port.name = json::GetString(p, "name");
          port.protocol = json::GetString(p, "protocol", "TCP");
          port.app_protocol = json::GetString(p, "appProtocol");
          if (const rapidjson::Value* n = json::Find(p, "port"); n != nullptr && n->IsInt()) {
            port.port = n->GetInt();
          }
          out->ports.push_back(std::move(port));
        }
      }
    }
  }
  return {std::string(kConditionValid), "True", std::string(kReasonValid),
          absl::StrCat("Service ", ns, "/", name, " is exported")};
}

MergedService MergeExports(std::vector<ClusterExport> exports) {
  std::sort(exports.begin(), exports.end(), [](const ClusterExport& a, const ClusterExport& b) {
    if (a.created != b.created) return a.created < b.created;
    return a.cluster < b.cluster;
  });
  MergedService merged;
  if (exports.empty()) return merged;
  const ClusterExport& oldest = exports.front();
  merged.oldest_cluster = oldest.cluster;
  merged.type = std::string(oldest.headless ? kHeadless : kClusterSetIp);
  merged.session_affinity = oldest.session_affinity;
  merged.session_affinity_config = oldest.session_affinity_config;
  std::map<std::string, std::pair<ImportPort, std::string>> by_name;  // name -> port, cluster
  // "protocol/port" -> name, cluster: two ports may not share a protocol and number either.
  std::map<std::string, std::pair<std::string, std::string>> by_number;
  std::map<std::string, std::pair<std::string, std::string>> labels;       // key -> value, cluster
  std::map<std::string, std::pair<std::string, std::string>> annotations;  // key -> value, cluster
  for (const ClusterExport& e : exports) {
    merged.clusters.push_back(e.cluster);
    std::vector<std::string> reasons;
    std::vector<std::string> messages;
    auto add_reason = [&](absl::string_view reason) {
      if (std::find(reasons.begin(), reasons.end(), reason) == reasons.end()) {
        reasons.push_back(std::string(reason));
      }
    };
    for (const ImportPort& port : e.ports) {
      const std::string number = absl::StrCat(port.protocol, "/", port.port);
      auto it = by_name.find(port.name);
      auto same_number = by_number.find(number);
      if (it != by_name.end()) {
        if (it->second.first == port) continue;
        add_reason(kReasonPortConflict);
        messages.push_back(absl::StrCat("port \"", port.name, "\" is ", port.String(), " here but ",
                                        it->second.first.String(), " in cluster ",
                                        it->second.second, ", which exported it first"));
      } else if (same_number != by_number.end()) {
        add_reason(kReasonPortConflict);
        messages.push_back(absl::StrCat("port \"", port.name, "\" (", port.String(),
                                        ") has the number of port \"", same_number->second.first,
                                        "\" in cluster ", same_number->second.second,
                                        ", which exported it first"));
      } else {
        by_name.emplace(port.name, std::make_pair(port, e.cluster));
        by_number.emplace(number, std::make_pair(port.name, e.cluster));
        merged.ports.push_back(port);
      }
    }
    // exportedLabels / exportedAnnotations: the union; a key an older export sets to another
    // value keeps the older value.
    auto merge_map = [&](const std::map<std::string, std::string>& mine,
                         std::map<std::string, std::pair<std::string, std::string>>& all,
                         std::map<std::string, std::string>& out, absl::string_view reason,
                         absl::string_view what) {
      for (const auto& [key, value] : mine) {
        auto it = all.find(key);
        if (it == all.end()) {
          all.emplace(key, std::make_pair(value, e.cluster));
          out[key] = value;
        } else if (it->second.first != value) {
          add_reason(reason);
          messages.push_back(absl::StrCat(what, " \"", key, "\" is \"", value, "\" here but \"",
                                          it->second.first, "\" in cluster ", it->second.second,
                                          ", which exported it first"));
        }
      }
    };
    merge_map(e.exported_labels, labels, merged.labels, kReasonLabelsConflict, "exported label");
    merge_map(e.exported_annotations, annotations, merged.annotations, kReasonAnnotationsConflict,
              "exported annotation");
    if (e.headless != oldest.headless) {
      add_reason(kReasonTypeConflict);
      messages.push_back(absl::StrCat("type is ", e.headless ? kHeadless : kClusterSetIp,
                                      " here but ", merged.type, " in cluster ", oldest.cluster,
                                      ", the oldest export"));
    }
    if (e.session_affinity != oldest.session_affinity) {
      add_reason(kReasonSessionAffinityConflict);
      messages.push_back(absl::StrCat("sessionAffinity is ", e.session_affinity, " here but ",
                                      oldest.session_affinity, " in cluster ", oldest.cluster,
                                      ", the oldest export"));
    } else if (e.session_affinity_config != oldest.session_affinity_config) {
      add_reason(kReasonSessionAffinityConfigConflict);
      messages.push_back(absl::StrCat(
          "sessionAffinityConfig is ",
          e.session_affinity_config.empty() ? "unset" : e.session_affinity_config, " here but ",
          oldest.session_affinity_config.empty() ? "unset" : oldest.session_affinity_config,
          " in cluster ", oldest.cluster, ", the oldest export"));
    }
    Condition c{std::string(kConditionConflict), "False", std::string(kReasonNoConflicts),
                "no conflicts with the other exports of this service"};
    if (!reasons.empty()) {
      c.status = "True";
      c.reason = absl::StrJoin(reasons, ",");
      c.message =
          absl::StrCat(absl::StrJoin(messages, "; "), " (the oldest export's value is used)");
    }
    merged.conflicts[e.cluster] = std::move(c);
  }
  return merged;
}

rapidjson::Document ImportSpec(const MergedService& merged, const std::vector<std::string>& ips) {
  rapidjson::Document spec(rapidjson::kObjectType);
  auto& a = spec.GetAllocator();
  rapidjson::Value ports(rapidjson::kArrayType);
  for (const ImportPort& p : merged.ports) {
    rapidjson::Value port(rapidjson::kObjectType);
    if (!p.name.empty()) AddMember(port, "name", Str(p.name, a), a);
    AddMember(port, "protocol", Str(p.protocol, a), a);
    if (!p.app_protocol.empty()) AddMember(port, "appProtocol", Str(p.app_protocol, a), a);
    AddMember(port, "port", rapidjson::Value(p.port), a);
    ports.PushBack(port, a);
  }
  AddMember(spec, "ports", std::move(ports), a);
  AddMember(spec, "type", Str(merged.type, a), a);
  if (merged.type == kClusterSetIp && !ips.empty()) {
    rapidjson::Value list(rapidjson::kArrayType);
    for (const std::string& ip : ips) list.PushBack(Str(ip, a), a);
    AddMember(spec, "ips", std::move(list), a);
  }
  AddMember(spec, "sessionAffinity", Str(merged.session_affinity, a), a);
  if (!merged.session_affinity_config.empty()) {
    absl::StatusOr<rapidjson::Document> config = json::Parse(merged.session_affinity_config);
    if (config.ok()) {
      rapidjson::Value copy(*config, a);
      AddMember(spec, "sessionAffinityConfig", std::move(copy), a);
    }
  }
  return spec;
}

std::string DerivedSliceName(absl::string_view service, absl::string_view source_cluster_id,
                             absl::string_view source_slice) {
  const uint64_t h = Fnv1a(absl::StrCat(source_cluster_id, "/", source_slice));
  std::string hash = absl::StrCat(absl::Hex(h, absl::kZeroPad16)).substr(0, 12);
  // 63 - 1 (dash) - 12 (hash); a service name ends with an alphanumeric, and so does the cut
  // unless it lands on a dash: trim those.
  std::string prefix(service.substr(0, 50));
  while (!prefix.empty() && prefix.back() == '-') prefix.pop_back();
  return absl::StrCat(prefix, "-", hash);
}

rapidjson::Document DeriveEndpointSlice(absl::string_view ns, absl::string_view service,
                                        absl::string_view source_cluster_id,
                                        const rapidjson::Value& source_slice,
                                        absl::string_view import_uid) {
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  AddMember(doc, "apiVersion", Str("discovery.k8s.io/v1", a), a);
  AddMember(doc, "kind", Str("EndpointSlice", a), a);
  rapidjson::Value meta(rapidjson::kObjectType);
  AddMember(meta, "name",
            Str(DerivedSliceName(service, source_cluster_id, kube::Name(source_slice)), a), a);
  AddMember(meta, "namespace", Str(ns, a), a);
  rapidjson::Value labels(rapidjson::kObjectType);
  AddMember(labels, kLabelServiceName, Str(service, a), a);
  AddMember(labels, kLabelSourceCluster, Str(source_cluster_id, a), a);
  AddMember(labels, kLabelEndpointSliceManagedBy, Str(kEndpointSliceManager, a), a);
  AddMember(labels, ft::kManagedByLabel, Str(ft::kManagedByKfed, a), a);
  AddMember(meta, "labels", std::move(labels), a);
  if (!import_uid.empty()) {
    rapidjson::Value owner(rapidjson::kObjectType);
    AddMember(owner, "apiVersion", Str(absl::StrCat(kGroup, "/", kVersion), a), a);
    AddMember(owner, "kind", Str("ServiceImport", a), a);
    AddMember(owner, "name", Str(service, a), a);
    AddMember(owner, "uid", Str(import_uid, a), a);
    AddMember(owner, "controller", rapidjson::Value(false), a);
    rapidjson::Value owners(rapidjson::kArrayType);
    owners.PushBack(owner, a);
    AddMember(meta, "ownerReferences", std::move(owners), a);
  }
  AddMember(doc, "metadata", std::move(meta), a);
  AddMember(doc, "addressType", Str(json::GetString(source_slice, "addressType", "IPv4"), a), a);
  rapidjson::Value endpoints(rapidjson::kArrayType);
  if (const rapidjson::Value* src = json::Find(source_slice, "endpoints");
      src != nullptr && src->IsArray()) {
    for (const rapidjson::Value& e : src->GetArray()) {
      if (!e.IsObject()) continue;
      rapidjson::Value out(rapidjson::kObjectType);
      for (absl::string_view field : {"addresses", "conditions", "hostname", "zone"}) {
        if (const rapidjson::Value* v = json::Find(e, field); v != nullptr && !v->IsNull()) {
          AddMember(out, field, rapidjson::Value(*v, a), a);
        }
      }
      endpoints.PushBack(out, a);
    }
  }
  AddMember(doc, "endpoints", std::move(endpoints), a);
  if (const rapidjson::Value* ports = json::Find(source_slice, "ports");
      ports != nullptr && ports->IsArray()) {
    AddMember(doc, "ports", rapidjson::Value(*ports, a), a);
  }
  return doc;
}

bool SliceUpToDate(const rapidjson::Value& existing, const rapidjson::Value& desired) {
  const rapidjson::Value* want_labels = json::FindPath(desired, {"metadata", "labels"});
  if (want_labels != nullptr) {
    for (const auto& m : want_labels->GetObject()) {
      const rapidjson::Value* have =
          kube::Label(existing, absl::string_view(m.name.GetString(), m.name.GetStringLength()));
      if (have == nullptr || !json::Equal(*have, m.value)) return false;
    }
  }
  const rapidjson::Value* want_owners = json::FindPath(desired, {"metadata", "ownerReferences"});
  const rapidjson::Value* have_owners = json::FindPath(existing, {"metadata", "ownerReferences"});
  if ((want_owners == nullptr) != (have_owners == nullptr) ||
      (want_owners != nullptr && !json::Equal(*want_owners, *have_owners))) {
    return false;
  }
  for (absl::string_view field : {"addressType", "endpoints", "ports"}) {
    const rapidjson::Value* want = json::Find(desired, field);
    const rapidjson::Value* have = json::Find(existing, field);
    const bool want_empty = want == nullptr || want->IsNull() || (want->IsArray() && want->Empty());
    const bool have_empty = have == nullptr || have->IsNull() || (have->IsArray() && have->Empty());
    if (want_empty && have_empty) continue;
    if (want_empty != have_empty || !json::Equal(*want, *have)) return false;
  }
  return true;
}

bool ParseIpv4(absl::string_view text, uint32_t* out) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, '.');
  if (parts.size() != 4) return false;
  uint32_t ip = 0;
  for (absl::string_view part : parts) {
    uint32_t octet = 0;
    if (part.empty() || part.size() > 3 || !absl::SimpleAtoi(part, &octet) || octet > 255) {
      return false;
    }
    ip = (ip << 8) | octet;
  }
  *out = ip;
  return true;
}

std::string FormatIpv4(uint32_t ip) {
  return absl::StrCat(ip >> 24, ".", (ip >> 16) & 255, ".", (ip >> 8) & 255, ".", ip & 255);
}

absl::StatusOr<std::unique_ptr<ClusterSetIpAllocator>> ClusterSetIpAllocator::Create(
    absl::string_view cidr) {
  auto invalid = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("ClusterSetIP range \"", cidr, "\": ", why,
                                                   " (want an IPv4 CIDR such as ",
                                                   "240.96.0.0/16)"));
  };
  std::vector<absl::string_view> parts = absl::StrSplit(cidr, '/');
  if (parts.size() != 2) return invalid("no prefix length");
  uint32_t base = 0;
  if (!ParseIpv4(parts[0], &base)) return invalid("not an IPv4 address");
  int bits = 0;
  if (!absl::SimpleAtoi(parts[1], &bits) || bits < 1 || bits > 32) {
    return invalid("prefix length must be 1..32");
  }
  const uint32_t mask = bits == 32 ? ~0u : ~((1u << (32 - bits)) - 1);
  if ((base & mask) != base) return invalid("host bits are set");
  uint32_t first = base;
  uint32_t last = base | ~mask;
  if (bits <= 30) {  // skip the network and broadcast addresses
    ++first;
    --last;
  }
  return std::unique_ptr<ClusterSetIpAllocator>(
      new ClusterSetIpAllocator(std::string(cidr), first, last));
}

absl::StatusOr<std::string> ClusterSetIpAllocator::Allocate(const std::string& key) {
  absl::MutexLock lock(&mu_);
  if (auto it = by_key_.find(key); it != by_key_.end()) return FormatIpv4(it->second);
  if (by_ip_.size() >= Capacity()) {
    return absl::ResourceExhaustedError(
        absl::StrCat("the ClusterSetIP range ", cidr_, " is exhausted (", by_ip_.size(),
                     " addresses in use); widen --clusterset-ip-range or unexport services"));
  }
  // The lowest free address: walk the ordered used ones until the first hole. Every used
  // address is in [first_, last_] and one is free, so the hole is too.
  uint64_t next = first_;
  for (const auto& [ip, holder] : by_ip_) {
    if (ip < next) continue;
    if (ip > next) break;
    ++next;
  }
  const uint32_t candidate = static_cast<uint32_t>(next);
  by_key_[key] = candidate;
  by_ip_[candidate] = key;
  return FormatIpv4(candidate);
}

std::string ClusterSetIpAllocator::Get(const std::string& key) const {
  absl::MutexLock lock(&mu_);
  auto it = by_key_.find(key);
  return it == by_key_.end() ? "" : FormatIpv4(it->second);
}

absl::Status ClusterSetIpAllocator::Recover(const std::string& key, absl::string_view ip_text) {
  uint32_t ip = 0;
  if (!ParseIpv4(ip_text, &ip) || ip < first_ || ip > last_) {
    return absl::InvalidArgumentError(
        absl::StrCat("ClusterSetIP ", ip_text, " of ", key, " is outside the range ", cidr_));
  }
  absl::MutexLock lock(&mu_);
  if (auto it = by_ip_.find(ip); it != by_ip_.end()) {
    if (it->second == key) return absl::OkStatus();
    return absl::AlreadyExistsError(
        absl::StrCat("ClusterSetIP ", ip_text, " of ", key, " is already held by ", it->second));
  }
  if (auto it = by_key_.find(key); it != by_key_.end()) {
    return absl::AlreadyExistsError(absl::StrCat(key, " already holds ClusterSetIP ",
                                                 FormatIpv4(it->second), ", not ", ip_text));
  }
  by_key_[key] = ip;
  by_ip_[ip] = key;
  return absl::OkStatus();
}

void ClusterSetIpAllocator::Release(const std::string& key) {
  absl::MutexLock lock(&mu_);
  auto it = by_key_.find(key);
  if (it == by_key_.end()) return;
  by_ip_.erase(it->second);
  by_key_.erase(it);
}

size_t ClusterSetIpAllocator::Allocated() const {
  absl::MutexLock lock(&mu_);
  return by_key_.size();
}

}  // namespace kfed::controller::mcs
