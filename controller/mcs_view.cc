#include "controller/mcs_view.h"

#include <algorithm>
#include <set>

#include "absl/time/clock.h"
#include "base/json.h"

namespace kfed::controller {

void CountEndpoints(const rapidjson::Value& slice, McsEndpointCount& count) {
  const rapidjson::Value* endpoints = json::Find(slice, "endpoints");
  if (endpoints == nullptr || !endpoints->IsArray()) return;
  for (const rapidjson::Value& e : endpoints->GetArray()) {
    ++count.total;
    const rapidjson::Value* ready = json::FindPath(e, {"conditions", "ready"});
    if (ready == nullptr || !ready->IsBool() || ready->GetBool()) ++count.ready;
  }
}

std::vector<mcs::Condition> ExportConditions(const rapidjson::Value& service_export) {
  std::vector<mcs::Condition> out;
  const rapidjson::Value* list = json::FindPath(service_export, {"status", "conditions"});
  if (list == nullptr || !list->IsArray()) return out;
  for (absl::string_view type : {mcs::kConditionValid, mcs::kConditionConflict,
                                 mcs::kConditionReady}) {
    for (const rapidjson::Value& c : list->GetArray()) {
      if (!c.IsObject() || json::GetString(c, "type") != type) continue;
      out.push_back({std::string(type), json::GetString(c, "status"), json::GetString(c, "reason"),
                     json::GetString(c, "message")});
      break;
    }
  }
  return out;
}

// The conditions of `object`'s status with `wanted` set (others kept); whether they changed.
// lastTransitionTime moves only when a condition's status does.
bool MergeExportConditions(const rapidjson::Value& object, const std::vector<mcs::Condition>& wanted,
                     absl::Time now, rapidjson::Document& out) {
  out.SetArray();
  auto& a = out.GetAllocator();
  std::map<std::string, const rapidjson::Value*> existing;
  if (const rapidjson::Value* list = json::FindPath(object, {"status", "conditions"});
      list != nullptr && list->IsArray()) {
    for (const rapidjson::Value& c : list->GetArray()) {
      existing[json::GetString(c, "type")] = &c;
    }
  }
  bool changed = false;
  std::set<std::string> written;
  const std::string stamp = absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", now, absl::UTCTimeZone());
  for (const mcs::Condition& w : wanted) {
    written.insert(w.type);
    const rapidjson::Value* old = existing.count(w.type) ? existing[w.type] : nullptr;
    std::string transition = stamp;
    if (old != nullptr && json::GetString(*old, "status") == w.status &&
        !json::GetString(*old, "lastTransitionTime").empty()) {
      transition = json::GetString(*old, "lastTransitionTime");
    }
    if (old == nullptr || json::GetString(*old, "status") != w.status ||
        json::GetString(*old, "reason") != w.reason ||
        json::GetString(*old, "message") != w.message) {
      changed = true;
    }
    rapidjson::Value c(rapidjson::kObjectType);
    json::SetString(c, "type", w.type, a);
    json::SetString(c, "status", w.status, a);
    json::SetString(c, "reason", w.reason, a);
    json::SetString(c, "message", w.message, a);
    json::SetString(c, "lastTransitionTime", transition, a);
    out.PushBack(c, a);
  }
  for (const auto& [type, c] : existing) {
    if (!written.count(type)) out.PushBack(rapidjson::Value(*c, a), a);
  }
  return changed;
}

McsServiceView BuildServiceView(const mcs::MergedService& merged, const std::string& ip,
                                const std::map<std::string, kube::ObjectPtr>& exports,
                                const std::map<std::string, std::vector<mcs::Condition>>& set,
                                const std::map<std::string, std::string>& ids,
                                std::vector<McsEndpointCount> endpoints,
                                std::vector<std::string> importing,
                                std::vector<std::string> namespace_missing) {
  McsServiceView view;
  view.exporting = merged.clusters;
  view.type = merged.type;
  view.ip = ip;
  view.importing = std::move(importing);
  if (!merged.clusters.empty()) {
    view.ports = merged.ports;
    view.session_affinity = merged.session_affinity;
  }
  std::vector<std::string> order = merged.clusters;
  for (const auto& [cluster, object] : exports) {
    if (std::find(order.begin(), order.end(), cluster) == order.end()) order.push_back(cluster);
  }
  for (const std::string& cluster : order) {
    auto id = ids.find(cluster);
    McsExportView e;
    e.cluster = cluster;
    e.cluster_id = id == ids.end() ? "" : id->second;
    if (auto it = set.find(cluster); it != set.end()) {
      e.conditions = it->second;
    } else if (auto o = exports.find(cluster); o != exports.end() && o->second != nullptr) {
      e.conditions = ExportConditions(*o->second);
    }
    view.exports.push_back(std::move(e));
  }
  view.endpoints = std::move(endpoints);
  view.namespace_missing = std::move(namespace_missing);
  return view;
}

bool ServesMcsApi(const rapidjson::Value& resource_list) {
  const rapidjson::Value* resources = json::Find(resource_list, "resources");
  if (resources == nullptr || !resources->IsArray()) return false;
  bool exports = false;
  bool imports = false;
  for (const rapidjson::Value& r : resources->GetArray()) {
    if (!r.IsObject()) continue;
    const std::string name = json::GetString(r, "name");
    exports = exports || name == "serviceexports";
    imports = imports || name == "serviceimports";
  }
  return exports && imports;
}

status::v1::MultiClusterService MultiClusterServiceStatus(const std::string& ns,
                                                          const std::string& name,
                                                          const McsServiceView& view,
                                                          absl::Time reconciled) {
  status::v1::MultiClusterService s;
  s.set_namespace_(ns);
  s.set_name(name);
  s.set_type(view.type);
  if (!view.ip.empty()) s.add_ips(view.ip);
  for (const mcs::ImportPort& p : view.ports) {
    status::v1::ServiceImportPort* port = s.add_ports();
    port->set_name(p.name);
    port->set_protocol(p.protocol);
    port->set_port(p.port);
    port->set_app_protocol(p.app_protocol);
  }
  s.set_session_affinity(view.session_affinity);
  for (const McsExportView& e : view.exports) {
    status::v1::ServiceExportState* out = s.add_exports();
    out->set_cluster(e.cluster);
    out->set_cluster_id(e.cluster_id);
    for (const mcs::Condition& c : e.conditions) {
      status::v1::ExportCondition* cond = out->add_conditions();
      cond->set_type(c.type);
      cond->set_status(c.status);
      cond->set_reason(c.reason);
      cond->set_message(c.message);
    }
  }
  for (const McsEndpointCount& c : view.endpoints) {
    status::v1::SourceEndpoints* out = s.add_endpoints();
    out->set_cluster(c.cluster);
    out->set_cluster_id(c.cluster_id);
    out->set_ready(c.ready);
    out->set_total(c.total);
  }
  for (const std::string& c : view.importing) s.add_importing_clusters(c);
  for (const std::string& c : view.namespace_missing) s.add_namespace_missing_clusters(c);
  s.set_last_reconcile_unix_ms(absl::ToUnixMillis(reconciled));
  return s;
}

status::v1::McsMember McsMemberStatus(const std::string& cluster, const McsMemberView& view) {
  status::v1::McsMember m;
  m.set_cluster(cluster);
  m.set_state(view.state);
  m.set_message(view.message);
  return m;
}

}  // namespace kfed::controller
