#include "controller/process_metrics.h"

#include <dirent.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "glog/logging.h"

namespace kfed::controller {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::UnavailableError(absl::StrCat("cannot read ", path));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A soft limit from /proc/<pid>/limits ("Max open files  1024  4096  files"): the first
// number after the name; "unlimited" is 2^64-1, as client_golang (procfs) reports it.
absl::StatusOr<double> SoftLimit(const std::string& limits, absl::string_view name,
                                 const std::string& path) {
  for (absl::string_view line : absl::StrSplit(limits, '\n')) {
    if (!absl::ConsumePrefix(&line, name)) continue;
    std::vector<absl::string_view> fields = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (fields.empty()) break;
    if (fields[0] == "unlimited") return 18446744073709551615.0;
    double v = 0;
    if (absl::SimpleAtod(fields[0], &v)) return v;
    break;
  }
  return absl::InternalError(absl::StrCat(path, ": no \"", name, "\" limit"));
}

}  // namespace

absl::StatusOr<ProcessStats> ReadProcessStats(const std::string& proc,
                                              const std::string& stat_file) {
  ProcessStats out;
  const long ticks = sysconf(_SC_CLK_TCK);
  const long page = sysconf(_SC_PAGESIZE);
  const std::string stat_path = proc + "/stat";
  absl::StatusOr<std::string> stat = ReadFile(stat_path);
  if (!stat.ok()) return stat.status();
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses; fields restart after
  // the last ')'. Field 3 (state) is after[0], so field N is after[N - 3].
  const size_t paren = stat->rfind(')');
  if (paren == std::string::npos) {
    return absl::InternalError(absl::StrCat(stat_path, ": no command field"));
  }
  std::vector<absl::string_view> after =
      absl::StrSplit(absl::string_view(*stat).substr(paren + 1), ' ', absl::SkipWhitespace());
  double utime = 0, stime = 0, start = 0, vsize = 0, rss = 0;
  if (after.size() < 22 || !absl::SimpleAtod(after[14 - 3], &utime) ||
      !absl::SimpleAtod(after[15 - 3], &stime) || !absl::SimpleAtod(after[22 - 3], &start) ||
      !absl::SimpleAtod(after[23 - 3], &vsize) || !absl::SimpleAtod(after[24 - 3], &rss)) {
    return absl::InternalError(absl::StrCat(stat_path, ": cannot parse"));
  }
  out.cpu_seconds = (utime + stime) / static_cast<double>(ticks);
  out.virtual_bytes = vsize;
  out.resident_bytes = rss * static_cast<double>(page);

  absl::StatusOr<std::string> system = ReadFile(stat_file);
  if (!system.ok()) return system.status();
  double boot = -1;
  for (absl::string_view line : absl::StrSplit(*system, '\n')) {
    if (absl::ConsumePrefix(&line, "btime ") && absl::SimpleAtod(line, &boot)) break;
  }
  if (boot < 0) return absl::InternalError(absl::StrCat(stat_file, ": no btime"));
  out.start_time_seconds = boot + start / static_cast<double>(ticks);

  const std::string limits_path = proc + "/limits";
  absl::StatusOr<std::string> limits = ReadFile(limits_path);
  if (!limits.ok()) return limits.status();
  absl::StatusOr<double> max_fds = SoftLimit(*limits, "Max open files", limits_path);
  if (!max_fds.ok()) return max_fds.status();
  out.max_fds = *max_fds;
  absl::StatusOr<double> max_as = SoftLimit(*limits, "Max address space", limits_path);
  if (!max_as.ok()) return max_as.status();
  out.virtual_max_bytes = *max_as;

  const std::string fd_path = proc + "/fd";
  DIR* dir = opendir(fd_path.c_str());
  if (dir == nullptr) return absl::UnavailableError(absl::StrCat("cannot read ", fd_path));
  int fds = 0;
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] != '.') ++fds;
  }
  closedir(dir);
  // The directory stream's own descriptor is counted when reading our own /proc/self/fd.
  if (fd_path == "/proc/self/fd" && fds > 0) --fds;
  out.open_fds = fds;
  return out;
}

ProcessMetrics::ProcessMetrics(MetricsRegistry& metrics)
    : metrics_(metrics),
      cpu_(metrics.Counter("process_cpu_seconds_total",
                           "Total user and system CPU time spent in seconds.")),
      resident_(metrics.Gauge("process_resident_memory_bytes", "Resident memory size in bytes.")),
      virtual_(metrics.Gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.")),
      virtual_max_(metrics.Gauge("process_virtual_memory_max_bytes",
                                 "Maximum amount of virtual memory available in bytes.")),
      open_fds_(metrics.Gauge("process_open_fds", "Number of open file descriptors.")),
      max_fds_(metrics.Gauge("process_max_fds", "Maximum number of open file descriptors.")),
      start_time_(metrics.Gauge("process_start_time_seconds",
                                "Start time of the process since unix epoch in seconds.")) {
  Sample();
  hook_ = metrics_.AddScrapeHook([this] { Sample(); });
}

ProcessMetrics::~ProcessMetrics() { metrics_.RemoveScrapeHook(hook_); }

void ProcessMetrics::Sample() {
  absl::StatusOr<ProcessStats> stats = ReadProcessStats();
  if (!stats.ok()) {
    // The last values stay; a scrape never fails for this.
    LOG_EVERY_N(WARNING, 100) << "process metrics: " << stats.status();
    return;
  }
  {
    absl::MutexLock lock(&mu_);
    if (stats->cpu_seconds > cpu_reported_) {
      cpu_->Add({}, stats->cpu_seconds - cpu_reported_);
      cpu_reported_ = stats->cpu_seconds;
    } else if (cpu_reported_ == 0) {
      cpu_->Add({}, 0);  // the series exists from the start
    }
  }
  resident_->Set({}, stats->resident_bytes);
  virtual_->Set({}, stats->virtual_bytes);
  virtual_max_->Set({}, stats->virtual_max_bytes);
  open_fds_->Set({}, stats->open_fds);
  max_fds_->Set({}, stats->max_fds);
  start_time_->Set({}, stats->start_time_seconds);
}

}  // namespace kfed::controller
