// Prometheus metrics for /metrics: a thin typed facade over prometheus-cpp (Debian's
// libprometheus-cpp-core 1.0.1). Callers pass label values positionally, in the order of the
// family's label names; prometheus-cpp holds the families and series and renders the text
// exposition format (version 0.0.4). Thread-safe; recording never does I/O.
#ifndef KFED_CONTROLLER_METRICS_H_
#define KFED_CONTROLLER_METRICS_H_

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/labels.h>
#include <prometheus/registry.h>

#include <functional>
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
  // Registers the family in `registry`, which must outlive it (MetricsRegistry makes families).
  // The name and label names must be valid Prometheus names, distinct, and no histogram label
  // may be called "le" (CHECKed: prometheus-cpp would throw); `buckets` sorted ascending.
  MetricFamily(prometheus::Registry& registry, std::string name, const std::string& help, Type type,
               std::vector<std::string> label_names, std::vector<double> buckets = {});

  // Counter: adds `v` (>= 0; prometheus-cpp ignores a negative one). Gauge: adds `v`.
  // Label values must match the label names, in order.
  void Add(const LabelValues& labels, double v = 1) ABSL_LOCKS_EXCLUDED(mu_);
  // Gauge only.
  void Set(const LabelValues& labels, double v) ABSL_LOCKS_EXCLUDED(mu_);
  // Histogram only.
  void Observe(const LabelValues& labels, double v) ABSL_LOCKS_EXCLUDED(mu_);
  // The series of `labels` (created at zero if absent), to record through on a hot path
  // without the label lookup. The reference stays valid until Remove(labels) on this family:
  // use it for series nobody removes (the workqueue counters and histograms).
  prometheus::Counter& CounterSeries(const LabelValues& labels) ABSL_LOCKS_EXCLUDED(mu_);
  prometheus::Histogram& HistogramSeries(const LabelValues& labels) ABSL_LOCKS_EXCLUDED(mu_);
  // Drops one series (e.g. a cluster that left); nothing when absent.
  void Remove(const LabelValues& labels) ABSL_LOCKS_EXCLUDED(mu_);
  // The value of a counter/gauge series, or a histogram's count; 0 when absent.
  double Value(const LabelValues& labels) const ABSL_LOCKS_EXCLUDED(mu_);

  // Appends this family in the text format, series sorted by label values; nothing while the
  // family has no series.
  void Render(std::string* out) const;
  const std::string& name() const { return name_; }

 private:
  prometheus::Labels LabelMap(const LabelValues& values) const;

  const std::string name_;
  const Type type_;
  const std::vector<std::string> label_names_;
  const prometheus::Histogram::BucketBoundaries buckets_;
  // Only the one matching type_ is set. Owned by the prometheus::Registry; thread-safe.
  prometheus::Family<prometheus::Counter>* counters_ = nullptr;
  prometheus::Family<prometheus::Gauge>* gauges_ = nullptr;
  prometheus::Family<prometheus::Histogram>* histograms_ = nullptr;
  // Guards the lifetime of the series, not a field: prometheus-cpp's Family::Add returns a
  // reference to a series that Family::Remove frees. Add/Set/Observe/Value hold mu_ shared while
  // they look a series up and use it; Remove holds it exclusively, so it never frees a series
  // another thread is still using. Recording threads never wait on each other here.
  mutable absl::Mutex mu_;
};

class MetricsRegistry {
 public:
  // Each returns the family, creating it on first call; later calls with the same name return
  // the same family (whatever the help, labels or type they pass). The registry owns the
  // families for its lifetime.
  MetricFamily* Counter(const std::string& name, const std::string& help,
                        std::vector<std::string> label_names = {}) ABSL_LOCKS_EXCLUDED(mu_);
  MetricFamily* Gauge(const std::string& name, const std::string& help,
                      std::vector<std::string> label_names = {}) ABSL_LOCKS_EXCLUDED(mu_);
  MetricFamily* Histogram(const std::string& name, const std::string& help,
                          std::vector<std::string> label_names,
                          std::vector<double> buckets = DefaultBuckets()) ABSL_LOCKS_EXCLUDED(mu_);

  // Every family with at least one series, sorted by name (series by label values), in the
  // Prometheus text format 0.0.4, as prometheus-cpp's TextSerializer writes it. Runs the
  // scrape hooks first.
  std::string Render() const ABSL_LOCKS_EXCLUDED(hooks_mu_);

  // `hook` runs at the start of every Render(), on the scraping thread with no lock of the
  // registry held, to sample values that are read rather than recorded (process_*, from
  // /proc). Returns an id for RemoveScrapeHook. Hooks run one Render() at a time.
  int AddScrapeHook(std::function<void()> hook) ABSL_LOCKS_EXCLUDED(hooks_mu_);
  // When it returns, the hook is not running and never will.
  void RemoveScrapeHook(int id) ABSL_LOCKS_EXCLUDED(hooks_mu_);

  // Latency buckets in seconds, 1 ms to 60 s.
  static std::vector<double> DefaultBuckets();

 private:
  MetricFamily* GetOrAdd(const std::string& name, const std::string& help, MetricFamily::Type type,
                         std::vector<std::string> label_names, std::vector<double> buckets)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Thread-safe itself; declared first so that it outlives the facades below.
  prometheus::Registry registry_;
  mutable absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<MetricFamily>> families_ ABSL_GUARDED_BY(mu_);
  // Held while hooks run (scrapes are rare and hooks short), so removal waits for them.
  mutable absl::Mutex hooks_mu_;
  std::map<int, std::function<void()>> hooks_ ABSL_GUARDED_BY(hooks_mu_);
  int next_hook_ ABSL_GUARDED_BY(hooks_mu_) = 0;
};

}  // namespace kfed::controller

#endif  // KFED_CONTROLLER_METRICS_H_
