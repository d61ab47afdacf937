// The standard `process_*` series (Prometheus client_golang's process collector, which
// KubeFed v0.10 exposes through controller-runtime), sampled from /proc/self at each scrape:
//
//   process_cpu_seconds_total          counter  user + system CPU time
//   process_resident_memory_bytes      gauge    resident set size
//   process_virtual_memory_bytes       gauge    virtual memory size
//   process_virtual_memory_max_bytes   gauge    RLIMIT_AS (soft), 2^64-1 when unlimited
//   process_open_fds                   gauge    entries of /proc/self/fd
//   process_max_fds                    gauge    RLIMIT_NOFILE (soft)
//   process_start_time_seconds         gauge    since the Unix epoch
//
// Names and help texts are client_golang's, so KubeFed-era dashboards and alerts
// (e.g. on process_open_fds / process_max_fds) keep working.
#ifndef KFED_CONTROLLER_PROCESS_METRICS_H_
#define KFED_CONTROLLER_PROCESS_METRICS_H_

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "controller/metrics.h"

namespace kfed::controller {

// One reading of /proc/self.
struct ProcessStats {
  double cpu_seconds = 0;
  double resident_bytes = 0;
  double virtual_bytes = 0;
  double virtual_max_bytes = 0;
  double open_fds = 0;
  double max_fds = 0;
  double start_time_seconds = 0;
};

// Reads `proc` ("/proc/self" in production; a test's copy otherwise) and `stat_file`
// ("/proc/stat", for the boot time). An error names the file that could not be read/parsed.
absl::StatusOr<ProcessStats> ReadProcessStats(const std::string& proc = "/proc/self",
                                              const std::string& stat_file = "/proc/stat");

// Registers the families in `metrics` and a scrape hook that refreshes them; removes the
// hook when destroyed (before `metrics` goes).
class ProcessMetrics {
 public:
  explicit ProcessMetrics(MetricsRegistry& metrics);
  ~ProcessMetrics();
  ProcessMetrics(const ProcessMetrics&) = delete;
  ProcessMetrics& operator=(const ProcessMetrics&) = delete;

  // What a scrape does; public for tests.
  void Sample() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  MetricsRegistry& metrics_;
  MetricFamily* cpu_;
  MetricFamily* resident_;
  MetricFamily* virtual_;
  MetricFamily* virtual_max_;
  MetricFamily* open_fds_;
  MetricFamily* max_fds_;
  MetricFamily* start_time_;
  int hook_ = -1;
  absl::Mutex mu_;
  // The counter only adds: what it was last set to.
  double cpu_reported_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace kfed::controller

#endif  // KFED_CONTROLLER_PROCESS_METRICS_H_
