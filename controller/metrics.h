// A small Prometheus registry: counter, gauge and histogram families with labels, rendered in
// the text exposition format (version 0.0.4) for /metrics. Thread-safe; recording takes one
// short mutex hold and never does I/O.
#ifndef KFED_CONTROLLER_METRICS_H_
#define KFED_CONTROLLER_METRICS_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace kfed::controller {

using LabelValues = std::vector<std::string>;

class MetricFamily {
 public:
  enum class Type { kCounter, kGauge, kHistogram };
  MetricFamily(std::string name, std::string help, Type type, std::vector<std::string> label_names,
               std::vector<double> buckets = {});

  // Counter: adds `v` (>= 0). Gauge: adds `v`. Label values must match the label names.
  void Add(const LabelValues& labels, double v = 1) ABSL_LOCKS_EXCLUDED(mu_);
  // Gauge only.
  void Set(const LabelValues& labels, double v) ABSL_LOCKS_EXCLUDED(mu_);
  // Histogram only.
  void Observe(const LabelValues& labels, double v) ABSL_LOCKS_EXCLUDED(mu_);
  // Drops one series (e.g. a cluster that left).
  void Remove(const LabelValues& labels) ABSL_LOCKS_EXCLUDED(mu_);
  // The value of a counter/gauge series, or a histogram's count; 0 when absent.
  double Value(const LabelValues& labels) const ABSL_LOCKS_EXCLUDED(mu_);

  void Render(std::string* out) const ABSL_LOCKS_EXCLUDED(mu_);
  const std::string& name() const { return name_; }

 private:
  struct Series {
    double value = 0;                     // counter/gauge value, or histogram sum
    uint64_t count = 0;                   // histogram observations
    std::vector<uint64_t> bucket_counts;  // histogram, per upper bound (not cumulative)
  };
  Series& SeriesLocked(const LabelValues& labels) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string LabelString(const LabelValues& labels, const std::string& extra = "") const;

  const std::string name_;
  const std::string help_;
  const Type type_;
  const std::vector<std::string> label_names_;
  const std::vector<double> buckets_;
  mutable absl::Mutex mu_;
  std::map<LabelValues, Series> series_ ABSL_GUARDED_BY(mu_);
};

class MetricsRegistry {
 public:
  // Each returns the family, creating it on first call; later calls with the same name return
  // the same family. The registry owns the families for its lifetime.
  MetricFamily* Counter(const std::string& name, const std::string& help,
                        std::vector<std::string> label_names = {}) ABSL_LOCKS_EXCLUDED(mu_);
  MetricFamily* Gauge(const std::string& name, const std::string& help,
                      std::vector<std::string> label_names = {}) ABSL_LOCKS_EXCLUDED(mu_);
  MetricFamily* Histogram(const std::string& name, const std::string& help,
                          std::vector<std::string> label_names,
                          std::vector<double> buckets = DefaultBuckets()) ABSL_LOCKS_EXCLUDED(mu_);

  // All families, sorted by name, in the Prometheus text format.
  std::string Render() const ABSL_LOCKS_EXCLUDED(mu_);

  // Latency buckets in seconds, 1 ms to 60 s.
  static std::vector<double> DefaultBuckets();

 private:
  MetricFamily* GetOrAdd(const std::string& name, const std::string& help, MetricFamily::Type type,
                         std::vector<std::string> label_names, std::vector<double> buckets)
      ABSL_LOCKS_EXCLUDED(mu_);
  mutable absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<MetricFamily>> families_ ABSL_GUARDED_BY(mu_);
};

}  // namespace kfed::controller

#endif  // KFED_CONTROLLER_METRICS_H_
