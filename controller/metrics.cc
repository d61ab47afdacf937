#include "controller/metrics.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "glog/logging.h"

namespace kfed::controller {
namespace {

std::string EscapeLabelValue(const std::string& v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string FormatValue(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  if (v == std::floor(v) && std::fabs(v) < 1e15) return absl::StrFormat("%.0f", v);
  return absl::StrFormat("%.9g", v);
}

const char* TypeName(MetricFamily::Type t) {
  switch (t) {
    case MetricFamily::Type::kCounter:
      return "counter";
    case MetricFamily::Type::kGauge:
      return "gauge";
    case MetricFamily::Type::kHistogram:
      return "histogram";
  }
  return "untyped";
}

}  // namespace

MetricFamily::MetricFamily(std::string name, std::string help, Type type,
                           std::vector<std::string> label_names, std::vector<double> buckets)
    : name_(std::move(name)),
      help_(std::move(help)),
      type_(type),
      label_names_(std::move(label_names)),
      buckets_(std::move(buckets)) {}

MetricFamily::Series& MetricFamily::SeriesLocked(const LabelValues& labels) {
  CHECK_EQ(labels.size(), label_names_.size()) << "metric " << name_ << ": wrong number of labels";
  Series& s = series_[labels];
  if (type_ == Type::kHistogram && s.bucket_counts.empty()) s.bucket_counts.resize(buckets_.size());
  return s;
}

void MetricFamily::Add(const LabelValues& labels, double v) {
  CHECK(type_ != Type::kHistogram) << name_;
  absl::MutexLock lock(&mu_);
  SeriesLocked(labels).value += v;
}

void MetricFamily::Set(const LabelValues& labels, double v) {
  CHECK(type_ == Type::kGauge) << name_;
  absl::MutexLock lock(&mu_);
  SeriesLocked(labels).value = v;
}

void MetricFamily::Observe(const LabelValues& labels, double v) {
  CHECK(type_ == Type::kHistogram) << name_;
  absl::MutexLock lock(&mu_);
  Series& s = SeriesLocked(labels);
  s.value += v;
  ++s.count;
  auto it = std::lower_bound(buckets_.begin(), buckets_.end(), v);
  if (it != buckets_.end()) ++s.bucket_counts[it - buckets_.begin()];
}

void MetricFamily::Remove(const LabelValues& labels) {
  absl::MutexLock lock(&mu_);
  series_.erase(labels);
}

double MetricFamily::Value(const LabelValues& labels) const {
  absl::MutexLock lock(&mu_);
  auto it = series_.find(labels);
  if (it == series_.end()) return 0;
  return type_ == Type::kHistogram ? static_cast<double>(it->second.count) : it->second.value;
}

std::string MetricFamily::LabelString(const LabelValues& labels, const std::string& extra) const {
  std::string out;
  for (size_t i = 0; i < labels.size(); ++i) {
    absl::StrAppend(&out, out.empty() ? "" : ",", label_names_[i], "=\"",
                    EscapeLabelValue(labels[i]), "\"");
  }
  if (!extra.empty()) absl::StrAppend(&out, out.empty() ? "" : ",", extra);
  return out.empty() ? "" : absl::StrCat("{", out, "}");
}

void MetricFamily::Render(std::string* out) const {
  absl::StrAppend(out, "# HELP ", name_, " ", help_, "\n# TYPE ", name_, " ", TypeName(type_),
                  "\n");
  absl::MutexLock lock(&mu_);
  for (const auto& [labels, s] : series_) {
    if (type_ != Type::kHistogram) {
      absl::StrAppend(out, name_, LabelString(labels), " ", FormatValue(s.value), "\n");
      continue;
    }
    uint64_t cumulative = 0;
    for (size_t i = 0; i < buckets_.size(); ++i) {
      cumulative += s.bucket_counts[i];
      absl::StrAppend(out, name_, "_bucket",
                      LabelString(labels, absl::StrCat("le=\"", FormatValue(buckets_[i]), "\"")),
                      " ", cumulative, "\n");
    }
    absl::StrAppend(out, name_, "_bucket", LabelString(labels, "le=\"+Inf\""), " ", s.count, "\n");
    absl::StrAppend(out, name_, "_sum", LabelString(labels), " ", FormatValue(s.value), "\n");
    absl::StrAppend(out, name_, "_count", LabelString(labels), " ", s.count, "\n");
  }
}

MetricFamily* MetricsRegistry::GetOrAdd(const std::string& name, const std::string& help,
                                        MetricFamily::Type type,
                                        std::vector<std::string> label_names,
                                        std::vector<double> buckets) {
  absl::MutexLock lock(&mu_);
  auto& slot = families_[name];
  if (slot == nullptr) {
    std::sort(buckets.begin(), buckets.end());
    slot = std::make_unique<MetricFamily>(name, help, type, std::move(label_names),
                                          std::move(buckets));
  }
  return slot.get();
}

MetricFamily* MetricsRegistry::Counter(const std::string& name, const std::string& help,
                                       std::vector<std::string> label_names) {
  return GetOrAdd(name, help, MetricFamily::Type::kCounter, std::move(label_names), {});
}

MetricFamily* MetricsRegistry::Gauge(const std::string& name, const std::string& help,
                                     std::vector<std::string> label_names) {
  return GetOrAdd(name, help, MetricFamily::Type::kGauge, std::move(label_names), {});
}

MetricFamily* MetricsRegistry::Histogram(const std::string& name, const std::string& help,
                                         std::vector<std::string> label_names,
                                         std::vector<double> buckets) {
  return GetOrAdd(name, help, MetricFamily::Type::kHistogram, std::move(label_names),
                  std::move(buckets));
}

std::string MetricsRegistry::Render() const {
  std::vector<const MetricFamily*> families;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [name, f] : families_) families.push_back(f.get());
  }
  std::string out;
  for (const MetricFamily* f : families) f->Render(&out);
  return out;
}

std::vector<double> MetricsRegistry::DefaultBuckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
}

}  // namespace kfed::controller
