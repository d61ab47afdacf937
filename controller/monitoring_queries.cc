#include "controller/monitoring_queries.h"

#include <iterator>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/json.h"
#include "base/yaml_json.h"

namespace kfed::controller {
namespace {

void CollectDashboard(const rapidjson::Value& v, const std::string& panel,
                      std::vector<MonitoringQuery>* out) {
  if (v.IsObject()) {
    std::string title = panel;
    if (const rapidjson::Value* t = json::Find(v, "title"); t != nullptr && t->IsString()) {
      title = t->GetString();
    }
    for (const auto& m : v.GetObject()) {
      const std::string name = m.name.GetString();
      if ((name == "expr" || name == "definition") && m.value.IsString()) {
        const std::string where = name == "expr" ? absl::StrCat("panel \"", title, "\"")
                                                 : absl::StrCat("variable \"", title, "\"");
        out->push_back({where, m.value.GetString()});
      } else {
        CollectDashboard(m.value, title, out);
      }
    }
  } else if (v.IsArray()) {
    for (const auto& e : v.GetArray()) CollectDashboard(e, panel, out);
  }
}

// Prometheus' model.ParseDuration: "0", or numbers with units y w d h m s ms, each unit at most
// once and largest first (1h30m).
bool IsDuration(absl::string_view s) {
  if (s == "0") return true;
  static constexpr absl::string_view kUnits[] = {"y", "w", "d", "h", "m", "s", "ms"};
  size_t next_unit = 0;
  size_t i = 0;
  while (i < s.size()) {
    const size_t digits = i;
    while (i < s.size() && absl::ascii_isdigit(s[i])) ++i;
    if (i == digits) return false;
    size_t j = i;
    while (j < s.size() && absl::ascii_isalpha(s[j])) ++j;
    const absl::string_view unit = s.substr(i, j - i);
    while (next_unit < std::size(kUnits) && kUnits[next_unit] != unit) ++next_unit;
    if (next_unit == std::size(kUnits)) return false;
    ++next_unit;
    i = j;
  }
  return !s.empty();
}

absl::Status StringMap(const rapidjson::Value& rule, const char* key, const std::string& where) {
  const rapidjson::Value* m = json::Find(rule, key);
  if (m == nullptr) return absl::OkStatus();
  if (!m->IsObject()) return absl::InvalidArgumentError(absl::StrCat(where, ": ", key, " is not a map"));
  for (const auto& e : m->GetObject()) {
    if (!e.value.IsString()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": ", key, ".", e.name.GetString(), " is not a string"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<MonitoringQuery>> DashboardQueries(absl::string_view text) {
  absl::StatusOr<rapidjson::Document> doc = json::Parse(text);
  if (!doc.ok()) return doc.status();
  std::vector<MonitoringQuery> out;
  CollectDashboard(*doc, "dashboard", &out);
  return out;
}

absl::StatusOr<std::vector<MonitoringQuery>> AlertRuleQueries(absl::string_view text) {
  absl::StatusOr<rapidjson::Document> doc = yaml::ParseYaml(text);
  if (!doc.ok()) return doc.status();
  const rapidjson::Value* groups = json::Find(*doc, "groups");
  if (!doc->IsObject() || doc->MemberCount() != 1 || groups == nullptr || !groups->IsArray() ||
      groups->Empty()) {
    return absl::InvalidArgumentError("rule file: want exactly one key, `groups`, a non-empty list");
  }
  std::vector<MonitoringQuery> out;
  absl::flat_hash_set<std::string> group_names;
  for (const rapidjson::Value& group : groups->GetArray()) {
    if (!group.IsObject()) return absl::InvalidArgumentError("rule file: a group is not a map");
    const std::string name = json::GetString(group, "name");
    if (name.empty()) return absl::InvalidArgumentError("rule file: a group without a name");
    if (!group_names.insert(name).second) {
      return absl::InvalidArgumentError(absl::StrCat("rule file: group ", name, " twice"));
    }
    for (const auto& m : group.GetObject()) {
      const std::string key = m.name.GetString();
      if (key != "name" && key != "rules" && key != "interval" && key != "limit") {
        return absl::InvalidArgumentError(absl::StrCat("group ", name, ": unknown key ", key));
      }
    }
    const rapidjson::Value* rules = json::Find(group, "rules");
    if (rules == nullptr || !rules->IsArray() || rules->Empty()) {
      return absl::InvalidArgumentError(absl::StrCat("group ", name, ": no rules"));
    }
    int index = 0;
    for (const rapidjson::Value& rule : rules->GetArray()) {
      const std::string alert = json::GetString(rule, "alert");
      const std::string record = json::GetString(rule, "record");
      const std::string where =
          absl::StrCat("group ", name, ": ",
                       !alert.empty()    ? absl::StrCat("alert ", alert)
                       : !record.empty() ? absl::StrCat("record ", record)
                                         : absl::StrCat("rule ", index));
      ++index;
      if (!rule.IsObject() || alert.empty() == record.empty()) {
        return absl::InvalidArgumentError(absl::StrCat(where, ": want one of alert or record"));
      }
      for (const auto& m : rule.GetObject()) {
        const std::string key = m.name.GetString();
        static const auto* const kKeys = new absl::flat_hash_set<std::string>{
            "alert", "record", "expr", "for", "keep_firing_for", "labels", "annotations"};
        if (!kKeys->contains(key)) {
          return absl::InvalidArgumentError(absl::StrCat(where, ": unknown key ", key));
        }
        if ((key == "for" || key == "keep_firing_for" || key == "annotations") && alert.empty()) {
          return absl::InvalidArgumentError(absl::StrCat(where, ": ", key, " on a recording rule"));
        }
        if ((key == "for" || key == "keep_firing_for") &&
            (!m.value.IsString() || !IsDuration(m.value.GetString()))) {
          return absl::InvalidArgumentError(absl::StrCat(where, ": ", key, " is not a duration"));
        }
      }
      for (const char* map : {"labels", "annotations"}) {
        if (absl::Status s = StringMap(rule, map, where); !s.ok()) return s;
      }
      const std::string expr = json::GetString(rule, "expr");
      if (std::string(absl::StripAsciiWhitespace(expr)).empty()) {
        return absl::InvalidArgumentError(absl::StrCat(where, ": no expr"));
      }
      out.push_back({where, expr});
    }
  }
  return out;
}

std::set<std::string> ExposedSampleNames(absl::string_view metrics_text) {
  std::set<std::string> names;
  for (absl::string_view line : absl::StrSplit(metrics_text, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    const size_t end = line.find_first_of("{ ");
    if (end != absl::string_view::npos && end > 0) names.insert(std::string(line.substr(0, end)));
  }
  return names;
}

}  // namespace kfed::controller
