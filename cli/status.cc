#include "cli/status.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "base/status_macros.h"
#include "base/yaml_json.h"
#include "cli/common.h"
#include "federated_types/keys.h"
#include "kube/errors.h"

namespace kfed::cli {

namespace ft = ::kfed::federated_types;

std::vector<StatusRow> RowsFor(const TypeInfo& type, const rapidjson::Value& federated) {
  StatusRow base;
  base.type = type.name;
  base.ns = kube::Namespace(federated);
  base.name = kube::Name(federated);
  const rapidjson::Value* condition = nullptr;
  if (const rapidjson::Value* conditions = json::FindPath(federated, {"status", "conditions"});
      conditions != nullptr && conditions->IsArray()) {
    for (const rapidjson::Value& c : conditions->GetArray()) {
      if (json::GetString(c, "type") == ft::kPropagationConditionType) condition = &c;
    }
  }
  std::vector<StatusRow> rows;
  if (const rapidjson::Value* clusters = json::FindPath(federated, {"status", "clusters"});
      clusters != nullptr && clusters->IsArray()) {
    for (const rapidjson::Value& c : clusters->GetArray()) {
      StatusRow row = base;
      row.cluster = json::GetString(c, "name");
      const std::string status = json::GetString(c, "status");
      row.state = status.empty() ? "Propagated" : status;
      row.reason = json::GetString(c, "message");
      rows.push_back(std::move(row));
    }
  }
  if (rows.empty()) {
    StatusRow row = base;
    row.cluster = "-";
    if (condition == nullptr) {
      row.state = "Pending";
      row.reason = "not reconciled yet";
    } else {
      const std::string reason = json::GetString(*condition, "reason");
      row.state = json::GetString(*condition, "status") == "True" ? "Propagated" : "Pending";
      row.reason = reason.empty() ? "placed on no cluster" : reason;
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string RenderTable(const std::vector<StatusRow>& rows) {
  std::vector<std::vector<std::string>> cells = {
      {"TYPE", "NAMESPACE", "NAME", "CLUSTER", "STATE", "REASON"}};
  for (const StatusRow& r : rows) {
    cells.push_back({r.type, r.ns.empty() ? "-" : r.ns, r.name, r.cluster, r.state, r.reason});
  }
  std::vector<size_t> width(6, 0);
  for (const auto& line : cells) {
    for (size_t i = 0; i < line.size(); ++i) width[i] = std::max(width[i], line[i].size());
  }
  std::string text;
  for (const auto& line : cells) {
    std::string l;
    for (size_t i = 0; i < line.size(); ++i) {
      absl::StrAppend(&l, line[i]);
      if (i + 1 < line.size()) l.append(width[i] - line[i].size() + 3, ' ');
    }
    while (!l.empty() && l.back() == ' ') l.pop_back();
    absl::StrAppend(&text, l, "\n");
  }
  return text;
}

namespace {

rapidjson::Document RowsJson(const std::vector<StatusRow>& rows) {
  rapidjson::Document doc(rapidjson::kArrayType);
  auto& a = doc.GetAllocator();
  for (const StatusRow& r : rows) {
    rapidjson::Value v(rapidjson::kObjectType);
    json::SetString(v, "type", r.type, a);
    json::SetString(v, "namespace", r.ns, a);
    json::SetString(v, "name", r.name, a);
    json::SetString(v, "cluster", r.cluster, a);
    json::SetString(v, "state", r.state, a);
    json::SetString(v, "reason", r.reason, a);
    doc.PushBack(v, a);
  }
  return doc;
}

}  // namespace

std::string RenderJson(const std::vector<StatusRow>& rows) {
  return json::SerializePretty(RowsJson(rows)) + "\n";
}

std::string RenderYaml(const std::vector<StatusRow>& rows) { return yaml::ToYaml(RowsJson(rows)); }

absl::StatusOr<std::vector<StatusRow>> CollectStatus(kube::Client& host, kube::Discovery* discovery,
                                                     const StatusOptions& options) {
  std::vector<TypeInfo> types;
  if (options.type.empty()) {
    ASSIGN_OR_RETURN(types, ListTypeInfos(host, options.kubefed_namespace));
    std::sort(types.begin(), types.end(),
              [](const TypeInfo& a, const TypeInfo& b) { return a.name < b.name; });
  } else {
    ASSIGN_OR_RETURN(TypeInfo t,
                     FindTypeConfig(host, discovery, options.kubefed_namespace, options.type));
    types.push_back(std::move(t));
  }
  std::vector<StatusRow> rows;
  for (const TypeInfo& type : types) {
    const std::string ns = type.federated.namespaced ? options.ns : "";
    std::vector<kube::ObjectPtr> objects;
    if (!options.name.empty()) {
      auto [fed_ns, fed_name] = FederatedName(type, ns, options.name);
      absl::StatusOr<kube::ObjectPtr> o =
          host.Get(type.federated, type.federated.namespaced ? fed_ns : "", fed_name);
      if (!o.ok() && kube::IsNotFound(o.status())) continue;
      if (!o.ok()) return Explain(o.status(), "host");
      objects.push_back(*o);
    } else {
      absl::StatusOr<kube::ObjectList> list = host.List(type.federated, ns, kube::ListOptions{});
      if (!list.ok() && kube::IsNotFound(list.status())) continue;  // CRD not installed
      if (!list.ok()) return Explain(list.status(), "host");
      objects = std::move(list->items);
    }
    for (const kube::ObjectPtr& o : objects) {
      for (StatusRow& r : RowsFor(type, *o)) rows.push_back(std::move(r));
    }
  }
  std::sort(rows.begin(), rows.end(), [](const StatusRow& a, const StatusRow& b) {
    return std::tie(a.type, a.ns, a.name, a.cluster) < std::tie(b.type, b.ns, b.name, b.cluster);
  });
  if (!options.name.empty() && rows.empty()) {
    return absl::NotFoundError(
        absl::StrCat("no federated object named ", options.name,
                     options.type.empty() ? "" : " of type " + options.type));
  }
  return rows;
}

absl::Status PrintStatus(kube::Client& host, kube::Discovery* discovery,
                         const StatusOptions& options, std::ostream& out) {
  if (!options.output.empty() && options.output != "json" && options.output != "yaml") {
    return absl::InvalidArgumentError(absl::StrCat("-o ", options.output, ": want json or yaml"));
  }
  std::string last;
  while (true) {
    ASSIGN_OR_RETURN(std::vector<StatusRow> rows, CollectStatus(host, discovery, options));
    std::string text = options.output == "json"   ? RenderJson(rows)
                       : options.output == "yaml" ? RenderYaml(rows)
                       : rows.empty()             ? "No federated objects found.\n"
                                                  : RenderTable(rows);
    if (text != last) {
      out << text << std::flush;
      last = text;
    }
    if (!options.watch) return absl::OkStatus();
    absl::SleepFor(options.interval);
  }
}

}  // namespace kfed::cli
