#include "controller/metrics.h"

#include <prometheus/check_names.h>
#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <set>
#include <utility>

#include "glog/logging.h"

namespace kfed::controller {
namespace {

// prometheus-cpp 1.0.1 writes HELP verbatim; the text format wants `\` and newlines escaped.
std::string EscapeHelp(const std::string& help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// prometheus-cpp keeps families in registration order per type and series in a hash map;
// sorting makes /metrics stable from one scrape to the next and readable.
void SortForExposition(std::vector<prometheus::MetricFamily>* families) {
  for (prometheus::MetricFamily& f : *families) {
    std::sort(f.metric.begin(), f.metric.end(),
              [](const prometheus::ClientMetric& a, const prometheus::ClientMetric& b) {
                return a.label < b.label;  // each sorted by label name; compares the values
              });
  }
  std::sort(families->begin(), families->end(),
            [](const prometheus::MetricFamily& a, const prometheus::MetricFamily& b) {
              return a.name < b.name;
            });
}

// The series of `family` with `labels`, or nullptr. prometheus-cpp has no lookup: Add returns
// the existing series (and drops the one it built from `args`). The caller holds the facade's
// mutex, so no Remove runs between Has and Add.
template <typename T, typename... Args>
T* Existing(prometheus::Family<T>& family, const prometheus::Labels& labels, const Args&... args) {
  if (!family.Has(labels)) return nullptr;
  return &family.Add(labels, args...);
}

}  // namespace

MetricFamily::MetricFamily(prometheus::Registry& registry, std::string name,
                           const std::string& help, Type type, std::vector<std::string> label_names,
                           std::vector<double> buckets)
    : name_(std::move(name)),
      type_(type),
      label_names_(std::move(label_names)),
      buckets_(std::move(buckets)) {
  // prometheus-cpp throws std::invalid_argument on these; a bad name is a programming error.
  CHECK(prometheus::CheckMetricName(name_)) << "invalid metric name " << name_;
  CHECK_EQ(std::set<std::string>(label_names_.begin(), label_names_.end()).size(),
           label_names_.size())
      << "metric " << name_ << ": duplicate label names";
  for (const std::string& label : label_names_) {
    CHECK(prometheus::CheckLabelName(label)) << "metric " << name_ << ": invalid label " << label;
    CHECK(type_ != Type::kHistogram || label != "le") << "histogram " << name_ << ": label le";
  }
  CHECK(std::is_sorted(buckets_.begin(), buckets_.end())) << name_;
  switch (type_) {
    case Type::kCounter:
      counters_ = &prometheus::BuildCounter().Name(name_).Help(EscapeHelp(help)).Register(registry);
      break;
    case Type::kGauge:
      gauges_ = &prometheus::BuildGauge().Name(name_).Help(EscapeHelp(help)).Register(registry);
      break;
    case Type::kHistogram:
      histograms_ =
          &prometheus::BuildHistogram().Name(name_).Help(EscapeHelp(help)).Register(registry);
      break;
  }
}

prometheus::Labels MetricFamily::LabelMap(const LabelValues& values) const {
  CHECK_EQ(values.size(), label_names_.size()) << "metric " << name_ << ": wrong number of labels";
  prometheus::Labels labels;
  for (size_t i = 0; i < values.size(); ++i) labels.emplace(label_names_[i], values[i]);
  return labels;
}

void MetricFamily::Add(const LabelValues& labels, double v) {
  CHECK(type_ != Type::kHistogram) << name_;
  const prometheus::Labels l = LabelMap(labels);
  absl::ReaderMutexLock lock(&mu_);
  if (type_ == Type::kCounter) {
    counters_->Add(l).Increment(v);
  } else {
    gauges_->Add(l).Increment(v);
  }
}

void MetricFamily::Set(const LabelValues& labels, double v) {
  CHECK(type_ == Type::kGauge) << name_;
  const prometheus::Labels l = LabelMap(labels);
  absl::ReaderMutexLock lock(&mu_);
  gauges_->Add(l).Set(v);
}

void MetricFamily::Observe(const LabelValues& labels, double v) {
  CHECK(type_ == Type::kHistogram) << name_;
  const prometheus::Labels l = LabelMap(labels);
  absl::ReaderMutexLock lock(&mu_);
  histograms_->Add(l, buckets_).Observe(v);
}

prometheus::Counter& MetricFamily::CounterSeries(const LabelValues& labels) {
  CHECK(type_ == Type::kCounter) << name_;
  const prometheus::Labels l = LabelMap(labels);
  absl::ReaderMutexLock lock(&mu_);
  return counters_->Add(l);
}

prometheus::Histogram& MetricFamily::HistogramSeries(const LabelValues& labels) {
  CHECK(type_ == Type::kHistogram) << name_;
  const prometheus::Labels l = LabelMap(labels);
  absl::ReaderMutexLock lock(&mu_);
  return histograms_->Add(l, buckets_);
}

void MetricFamily::Remove(const LabelValues& labels) {
  const prometheus::Labels l = LabelMap(labels);
  absl::MutexLock lock(&mu_);
  switch (type_) {
    case Type::kCounter:
      if (prometheus::Counter* c = Existing(*counters_, l)) counters_->Remove(c);
      break;
    case Type::kGauge:
      if (prometheus::Gauge* g = Existing(*gauges_, l)) gauges_->Remove(g);
      break;
    case Type::kHistogram:
      if (prometheus::Histogram* h = Existing(*histograms_, l, buckets_)) histograms_->Remove(h);
      break;
  }
}

double MetricFamily::Value(const LabelValues& labels) const {
  const prometheus::Labels l = LabelMap(labels);
  absl::ReaderMutexLock lock(&mu_);
  switch (type_) {
    case Type::kCounter: {
      const prometheus::Counter* c = Existing(*counters_, l);
      return c == nullptr ? 0 : c->Value();
    }
    case Type::kGauge: {
      const prometheus::Gauge* g = Existing(*gauges_, l);
      return g == nullptr ? 0 : g->Value();
    }
    case Type::kHistogram: {
      const prometheus::Histogram* h = Existing(*histograms_, l, buckets_);
      return h == nullptr ? 0 : static_cast<double>(h->Collect().histogram.sample_count);
    }
  }
  return 0;
}

void MetricFamily::Render(std::string* out) const {
  std::vector<prometheus::MetricFamily> collected;
  switch (type_) {
    case Type::kCounter:
      collected = counters_->Collect();
      break;
    case Type::kGauge:
      collected = gauges_->Collect();
      break;
    case Type::kHistogram:
      collected = histograms_->Collect();
      break;
  }
  SortForExposition(&collected);
  out->append(prometheus::TextSerializer().Serialize(collected));
}

MetricFamily* MetricsRegistry::GetOrAdd(const std::string& name, const std::string& help,
                                        MetricFamily::Type type,
                                        std::vector<std::string> label_names,
                                        std::vector<double> buckets) {
  absl::MutexLock lock(&mu_);
  auto& slot = families_[name];
  if (slot == nullptr) {
    std::sort(buckets.begin(), buckets.end());
    slot = std::make_unique<MetricFamily>(registry_, name, help, type, std::move(label_names),
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

int MetricsRegistry::AddScrapeHook(std::function<void()> hook) {
  absl::MutexLock lock(&hooks_mu_);
  const int id = next_hook_++;
  hooks_[id] = std::move(hook);
  return id;
}

void MetricsRegistry::RemoveScrapeHook(int id) {
  absl::MutexLock lock(&hooks_mu_);
  hooks_.erase(id);
}

std::string MetricsRegistry::Render() const {
  {
    absl::MutexLock lock(&hooks_mu_);
    for (const auto& [id, hook] : hooks_) hook();
  }
  std::vector<prometheus::MetricFamily> collected = registry_.Collect();
  SortForExposition(&collected);
  return prometheus::TextSerializer().Serialize(collected);
}

std::vector<double> MetricsRegistry::DefaultBuckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
}

}  // namespace kfed::controller
