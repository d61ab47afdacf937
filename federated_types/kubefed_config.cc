#include "federated_types/kubefed_config.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "base/json.h"
#include "base/status_macros.h"
#include "federated_types/field_readers.h"
#include "federated_types/keys.h"

namespace kfed::federated_types {
namespace {

using rapidjson::Value;

struct DefaultGate {
  absl::string_view name;
  bool enabled;
};
constexpr DefaultGate kDefaultGates[] = {
    {kFeaturePushReconciler, true},
    {kFeatureSchedulerPreferences, true},
    {kFeatureRawResourceStatusCollection, false},
};

constexpr absl::string_view kResourceLocks[] = {"configmaps", "endpoints", "leases",
                                                "configmapsleases", "endpointsleases"};

// Go's fmtFrac: the fraction of v (10^prec units) without trailing zeros.
void AppendFraction(uint64_t* v, int prec, std::string* digits_reversed) {
  bool print = false;
  for (int i = 0; i < prec; ++i) {
    int digit = static_cast<int>(*v % 10);
    print = print || digit != 0;
    if (print) digits_reversed->push_back(static_cast<char>('0' + digit));
    *v /= 10;
  }
  if (print) digits_reversed->push_back('.');
}

void AppendInt(uint64_t v, std::string* digits_reversed) {
  if (v == 0) {
    digits_reversed->push_back('0');
    return;
  }
  while (v > 0) {
    digits_reversed->push_back(static_cast<char>('0' + v % 10));
    v /= 10;
  }
}

absl::Status ReadDuration(const Value& object, absl::string_view name, absl::string_view path,
                          absl::Duration* out) {
  const Value* v = json::Find(object, name);
  if (v == nullptr || v->IsNull()) return absl::OkStatus();
  const std::string field = absl::StrCat(path, ".", name);
  if (!v->IsString()) return FieldError(field, "must be a duration string such as \"20s\"");
  auto d = ParseGoDuration(absl::string_view(v->GetString(), v->GetStringLength()));
  if (!d.ok()) return FieldError(field, d.status().message());
  *out = *d;
  return absl::OkStatus();
}

absl::Status ReadEnabled(const Value& object, absl::string_view name, absl::string_view path,
                         bool* out) {
  std::string text;
  RETURN_IF_ERROR(ReadString(object, name, path, &text));
  if (text.empty()) return absl::OkStatus();
  if (text == kEnabled) {
    *out = true;
  } else if (text == kDisabled) {
    *out = false;
  } else {
    return FieldError(absl::StrCat(path, ".", name),
                      absl::StrCat("Unsupported value: \"", text,
                                   "\": supported values: \"Enabled\", \"Disabled\""));
  }
  return absl::OkStatus();
}

// Returns the object at `name` (absent or null: nullptr); error when not an object.
absl::StatusOr<const Value*> Section(const Value& spec, absl::string_view name) {
  const Value* v = json::Find(spec, name);
  if (v == nullptr || v->IsNull()) return nullptr;
  if (!v->IsObject()) return FieldError(absl::StrCat("spec.", name), "must be an object");
  return v;
}

absl::Status Positive(absl::Duration d, absl::string_view field) {
  if (d <= absl::ZeroDuration()) {
    return FieldError(field, absl::StrCat("Invalid value: \"", FormatGoDuration(d),
                                          "\": should be greater than 0"));
  }
  return absl::OkStatus();
}

absl::Status Positive(int64_t v, absl::string_view field) {
  if (v <= 0) {
    return FieldError(field, absl::StrCat("Invalid value: ", v, ": should be greater than 0"));
  }
  return absl::OkStatus();
}

}  // namespace

bool KubeFedConfig::FeatureEnabled(absl::string_view name) const {
  for (const FeatureGate& gate : feature_gates) {
    if (gate.name == name) return gate.enabled;
  }
  return false;
}

void SetDefaultFeatureGates(std::vector<FeatureGate>* gates) {
  for (const DefaultGate& d : kDefaultGates) {
    bool named = std::any_of(gates->begin(), gates->end(),
                             [&](const FeatureGate& g) { return g.name == d.name; });
    if (!named) gates->push_back(FeatureGate{std::string(d.name), d.enabled});
  }
  std::stable_sort(gates->begin(), gates->end(),
                   [](const FeatureGate& a, const FeatureGate& b) { return a.name < b.name; });
}

std::vector<IgnoredSetting> IgnoredSettings(const KubeFedConfig& config) {
  constexpr absl::string_view kWhy =
      "kfed re-plans the moment a cluster's readiness changes (KubeFed waited this long before "
      "re-processing every object)";
  return {
      {"controllerDuration.availableDelay", FormatGoDuration(config.available_delay),
       std::string(kWhy)},
      {"controllerDuration.unavailableDelay", FormatGoDuration(config.unavailable_delay),
       std::string(kWhy)},
  };
}

KubeFedConfig DefaultKubeFedConfig() {
  KubeFedConfig config;
  SetDefaultFeatureGates(&config.feature_gates);
  return config;
}

absl::StatusOr<absl::Duration> ParseGoDuration(absl::string_view text) {
  if (text == "inf" || text == "-inf" || text == "+inf" || text.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("time: invalid duration \"", text, "\""));
  }
  // Go spells microseconds "us", "µs" (U+00B5) or "μs" (U+03BC); Abseil only "us".
  std::string normalized = absl::StrReplaceAll(text, {{"\xC2\xB5s", "us"}, {"\xCE\xBCs", "us"}});
  absl::Duration d;
  if (!absl::ParseDuration(normalized, &d) || d == absl::InfiniteDuration() ||
      d == -absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(absl::StrCat("time: invalid duration \"", text, "\""));
  }
  return d;
}

std::string FormatGoDuration(absl::Duration duration) {
  const int64_t ns = absl::ToInt64Nanoseconds(duration);
  const bool negative = ns < 0;
  uint64_t u =
      negative ? static_cast<uint64_t>(0) - static_cast<uint64_t>(ns) : static_cast<uint64_t>(ns);
  if (u == 0) return "0s";
  std::string r;  // built backwards, as Go does
  constexpr uint64_t kSecond = 1000000000;
  if (u < kSecond) {
    int prec;
    r.push_back('s');
    if (u < 1000) {
      prec = 0;
      r.push_back('n');
    } else if (u < 1000000) {
      prec = 3;
      r.append("\xB5\xC2");  // "µ" reversed
    } else {
      prec = 6;
      r.push_back('m');
    }
    AppendFraction(&u, prec, &r);
    AppendInt(u, &r);
  } else {
    r.push_back('s');
    AppendFraction(&u, 9, &r);
    AppendInt(u % 60, &r);
    u /= 60;
    if (u > 0) {
      r.push_back('m');
      AppendInt(u % 60, &r);
      u /= 60;
      if (u > 0) {
        r.push_back('h');
        AppendInt(u, &r);
      }
    }
  }
  if (negative) r.push_back('-');
  std::reverse(r.begin(), r.end());
  return r;
}

absl::StatusOr<KubeFedConfig> ParseKubeFedConfig(const Value& object) {
  KubeFedConfig config;
  const Value* spec = json::Find(object, "spec");
  if (spec != nullptr && !spec->IsNull()) {
    if (!spec->IsObject()) return FieldError("spec", "must be an object");
    std::string scope;
    RETURN_IF_ERROR(ReadString(*spec, "scope", "spec", &scope));
    if (scope == kNamespacedScope) {
      config.namespaced_scope = true;
    } else if (!scope.empty() && scope != kClusterScope) {
      return FieldError("spec.scope",
                        absl::StrCat("Unsupported value: \"", scope,
                                     "\": supported values: \"Cluster\", \"Namespaced\""));
    }

    ASSIGN_OR_RETURN(const Value* durations, Section(*spec, "controllerDuration"));
    if (durations != nullptr) {
      const char* p = "spec.controllerDuration";
      RETURN_IF_ERROR(ReadDuration(*durations, "availableDelay", p, &config.available_delay));
      RETURN_IF_ERROR(ReadDuration(*durations, "unavailableDelay", p, &config.unavailable_delay));
      RETURN_IF_ERROR(ReadDuration(*durations, "cacheSyncTimeout", p, &config.cache_sync_timeout));
    }

    ASSIGN_OR_RETURN(const Value* elect, Section(*spec, "leaderElect"));
    if (elect != nullptr) {
      const char* p = "spec.leaderElect";
      RETURN_IF_ERROR(ReadDuration(*elect, "leaseDuration", p, &config.lease_duration));
      RETURN_IF_ERROR(ReadDuration(*elect, "renewDeadline", p, &config.renew_deadline));
      RETURN_IF_ERROR(ReadDuration(*elect, "retryPeriod", p, &config.retry_period));
      RETURN_IF_ERROR(ReadString(*elect, "resourceLock", p, &config.resource_lock));
    }

    const Value* gates = json::Find(*spec, "featureGates");
    if (gates != nullptr && !gates->IsNull()) {
      if (!gates->IsArray()) return FieldError("spec.featureGates", "must be an array");
      for (rapidjson::SizeType i = 0; i < gates->Size(); ++i) {
        const std::string path = absl::StrCat("spec.featureGates[", i, "]");
        const Value& g = (*gates)[i];
        if (!g.IsObject()) return FieldError(path, "must be an object");
        FeatureGate gate;
        RETURN_IF_ERROR(ReadString(g, "name", path, &gate.name));
        std::string configuration;
        RETURN_IF_ERROR(ReadString(g, "configuration", path, &configuration));
        if (configuration == kEnabled) {
          gate.enabled = true;
        } else if (configuration == kDisabled) {
          gate.enabled = false;
        } else {
          return FieldError(absl::StrCat(path, ".configuration"),
                            absl::StrCat("Unsupported value: \"", configuration,
                                         "\": supported values: \"Enabled\", \"Disabled\""));
        }
        config.feature_gates.push_back(std::move(gate));
      }
    }

    ASSIGN_OR_RETURN(const Value* health, Section(*spec, "clusterHealthCheck"));
    if (health != nullptr) {
      const char* p = "spec.clusterHealthCheck";
      RETURN_IF_ERROR(ReadDuration(*health, "period", p, &config.health_check_period));
      RETURN_IF_ERROR(
          ReadInt(*health, "failureThreshold", p, &config.health_check_failure_threshold));
      RETURN_IF_ERROR(
          ReadInt(*health, "successThreshold", p, &config.health_check_success_threshold));
      RETURN_IF_ERROR(ReadDuration(*health, "timeout", p, &config.health_check_timeout));
    }

    ASSIGN_OR_RETURN(const Value* sync, Section(*spec, "syncController"));
    if (sync != nullptr) {
      const char* p = "spec.syncController";
      RETURN_IF_ERROR(
          ReadInt(*sync, "maxConcurrentReconciles", p, &config.sync_max_concurrent_reconciles));
      RETURN_IF_ERROR(ReadEnabled(*sync, "adoptResources", p, &config.adopt_resources));
    }

    ASSIGN_OR_RETURN(const Value* status, Section(*spec, "statusController"));
    if (status != nullptr) {
      RETURN_IF_ERROR(ReadInt(*status, "maxConcurrentReconciles", "spec.statusController",
                              &config.status_max_concurrent_reconciles));
    }
  }
  // Validate the names the user gave before defaults are added.
  std::set<std::string> seen;
  for (const FeatureGate& gate : config.feature_gates) {
    if (!seen.insert(gate.name).second) {
      return FieldError("spec.featureGates.name",
                        absl::StrCat("Duplicate value: \"", gate.name, "\""));
    }
  }
  SetDefaultFeatureGates(&config.feature_gates);
  RETURN_IF_ERROR(ValidateKubeFedConfig(config));
  return config;
}

absl::Status ValidateKubeFedConfig(const KubeFedConfig& c) {
  RETURN_IF_ERROR(Positive(c.available_delay, "spec.controllerDuration.availableDelay"));
  RETURN_IF_ERROR(Positive(c.unavailable_delay, "spec.controllerDuration.unavailableDelay"));
  RETURN_IF_ERROR(Positive(c.cache_sync_timeout, "spec.controllerDuration.cacheSyncTimeout"));
  RETURN_IF_ERROR(Positive(c.lease_duration, "spec.leaderElect.leaseDuration"));
  RETURN_IF_ERROR(Positive(c.renew_deadline, "spec.leaderElect.renewDeadline"));
  RETURN_IF_ERROR(Positive(c.retry_period, "spec.leaderElect.retryPeriod"));
  if (c.lease_duration <= c.renew_deadline) {
    return FieldError("spec.leaderElect.leaseDuration",
                      "leaseDuration must be greater than renewDeadline");
  }
  // client-go's leaderelection.JitterFactor is 1.2.
  if (c.renew_deadline <= c.retry_period * 1.2) {
    return FieldError("spec.leaderElect.renewDeadline",
                      "renewDeadline must be greater than retryPeriod*JitterFactor(1.2)");
  }
  if (std::find(std::begin(kResourceLocks), std::end(kResourceLocks), c.resource_lock) ==
      std::end(kResourceLocks)) {
    return FieldError(
        "spec.leaderElect.resourceLock",
        absl::StrCat("Unsupported value: \"", c.resource_lock, "\": supported values: \"",
                     absl::StrJoin(kResourceLocks, "\", \""), "\""));
  }
  std::set<std::string> seen;
  for (const FeatureGate& gate : c.feature_gates) {
    bool known = std::any_of(std::begin(kDefaultGates), std::end(kDefaultGates),
                             [&](const DefaultGate& d) { return d.name == gate.name; });
    if (!known) {
      return FieldError("spec.featureGates.name",
                        absl::StrCat("Unsupported value: \"", gate.name,
                                     "\": supported values: \"PushReconciler\", "
                                     "\"RawResourceStatusCollection\", \"SchedulerPreferences\""));
    }
    if (!seen.insert(gate.name).second) {
      return FieldError("spec.featureGates.name",
                        absl::StrCat("Duplicate value: \"", gate.name, "\""));
    }
  }
  RETURN_IF_ERROR(Positive(c.health_check_period, "spec.clusterHealthCheck.period"));
  RETURN_IF_ERROR(
      Positive(c.health_check_failure_threshold, "spec.clusterHealthCheck.failureThreshold"));
  RETURN_IF_ERROR(
      Positive(c.health_check_success_threshold, "spec.clusterHealthCheck.successThreshold"));
  RETURN_IF_ERROR(Positive(c.health_check_timeout, "spec.clusterHealthCheck.timeout"));
  RETURN_IF_ERROR(
      Positive(c.sync_max_concurrent_reconciles, "spec.syncController.maxConcurrentReconciles"));
  RETURN_IF_ERROR(Positive(c.status_max_concurrent_reconciles,
                           "spec.statusController.maxConcurrentReconciles"));
  return absl::OkStatus();
}

rapidjson::Document KubeFedConfigToJson(const KubeFedConfig& c,
                                        absl::string_view kubefed_namespace) {
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  json::SetString(doc, "apiVersion", kCoreV1Beta1, a);
  json::SetString(doc, "kind", kKubeFedConfigKind, a);
  Value& meta = json::EnsureObject(doc, "metadata", a);
  json::SetString(meta, "name", kKubeFedConfigName, a);
  json::SetString(meta, "namespace", kubefed_namespace, a);
  Value& spec = json::EnsureObject(doc, "spec", a);
  json::SetString(spec, "scope", c.namespaced_scope ? kNamespacedScope : kClusterScope, a);

  Value& durations = json::EnsureObject(spec, "controllerDuration", a);
  json::SetString(durations, "availableDelay", FormatGoDuration(c.available_delay), a);
  json::SetString(durations, "unavailableDelay", FormatGoDuration(c.unavailable_delay), a);
  json::SetString(durations, "cacheSyncTimeout", FormatGoDuration(c.cache_sync_timeout), a);

  Value& elect = json::EnsureObject(spec, "leaderElect", a);
  json::SetString(elect, "leaseDuration", FormatGoDuration(c.lease_duration), a);
  json::SetString(elect, "renewDeadline", FormatGoDuration(c.renew_deadline), a);
  json::SetString(elect, "retryPeriod", FormatGoDuration(c.retry_period), a);
  json::SetString(elect, "resourceLock", c.resource_lock, a);

  Value gates(rapidjson::kArrayType);
  for (const FeatureGate& gate : c.feature_gates) {
    Value g(rapidjson::kObjectType);
    json::SetString(g, "name", gate.name, a);
    json::SetString(g, "configuration", gate.enabled ? kEnabled : kDisabled, a);
    gates.PushBack(g, a);
  }
  spec.AddMember("featureGates", gates, a);

  Value& health = json::EnsureObject(spec, "clusterHealthCheck", a);
  json::SetString(health, "period", FormatGoDuration(c.health_check_period), a);
  health.AddMember("failureThreshold", Value(c.health_check_failure_threshold), a);
  health.AddMember("successThreshold", Value(c.health_check_success_threshold), a);
  json::SetString(health, "timeout", FormatGoDuration(c.health_check_timeout), a);

  Value& sync = json::EnsureObject(spec, "syncController", a);
  sync.AddMember("maxConcurrentReconciles", Value(c.sync_max_concurrent_reconciles), a);
  json::SetString(sync, "adoptResources", c.adopt_resources ? kEnabled : kDisabled, a);

  Value& status = json::EnsureObject(spec, "statusController", a);
  status.AddMember("maxConcurrentReconciles", Value(c.status_max_concurrent_reconciles), a);
  return doc;
}

}  // namespace kfed::federated_types
