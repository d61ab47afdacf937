// process_* from /proc/self and rest_client_requests_total from real requests, as a scrape
// of the registry shows them (the series KubeFed v0.10 exposes through controller-runtime).
#include "controller/process_metrics.h"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "controller/client_metrics.h"
#include "controller/metrics.h"
#include "kube/fake_apiserver.h"
#include "kube/request_metrics.h"
#include "kube/transport.h"

namespace kfed::controller {
namespace {

TEST(ProcessStatsTest, ReadsThisProcess) {
  absl::StatusOr<ProcessStats> before = ReadProcessStats();
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_GT(before->resident_bytes, 0);
  EXPECT_GE(before->virtual_bytes, before->resident_bytes);
  EXPECT_GE(before->cpu_seconds, 0);
  EXPECT_GT(before->max_fds, 0);
  EXPECT_GE(before->open_fds, 3);  // stdin, stdout, stderr at least
  const double now = static_cast<double>(absl::ToUnixSeconds(absl::Now()));
  EXPECT_LE(before->start_time_seconds, now + 1);
  EXPECT_GT(before->start_time_seconds, now - 24 * 3600);  // started within the day

  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  absl::StatusOr<ProcessStats> after = ReadProcessStats();
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->open_fds, before->open_fds + 2);
  close(fds[0]);
  close(fds[1]);
}

TEST(ProcessStatsTest, MissingProcFilesAreNamedErrors) {
  absl::StatusOr<ProcessStats> stats = ReadProcessStats("/nonexistent/proc");
  ASSERT_FALSE(stats.ok());
  EXPECT_TRUE(absl::StrContains(stats.status().message(), "/nonexistent/proc/stat"))
      << stats.status();
}

// Every series, in the text format a scrape returns.
TEST(KubeFedSeriesTest, ScrapeShowsProcessAndRestClientSeries) {
  MetricsRegistry metrics;
  ProcessMetrics process(metrics);
  RestClientMetrics rest(metrics);

  kube::testing::FakeApiServer server;
  server.http().Get("/version", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"gitVersion":"v1.36.3"})", "application/json");
  });
  server.Start();
  kube::RestConfig config = server.Config();
  absl::StatusOr<std::unique_ptr<kube::Transport>> transport = kube::Transport::Create(config);
  ASSERT_TRUE(transport.ok()) << transport.status();
  kube::HttpRequest get;
  get.path = "/version";
  for (int i = 0; i < 2; ++i) ASSERT_TRUE((*transport)->Do(get).ok());
  kube::HttpRequest missing;
  missing.path = "/nope";
  ASSERT_TRUE((*transport)->Do(missing).ok());

  const std::string text = metrics.Render();
  const std::string host = kube::RequestHost(config.server);
  for (const std::string& line :
       {absl::StrCat("rest_client_requests_total{code=\"200\",host=\"", host,
                     "\",method=\"GET\"} 2"),
        absl::StrCat("rest_client_requests_total{code=\"404\",host=\"", host,
                     "\",method=\"GET\"} 1"),
        std::string("# TYPE rest_client_requests_total counter"),
        std::string("# TYPE process_cpu_seconds_total counter"),
        std::string("# TYPE process_resident_memory_bytes gauge"),
        std::string("# TYPE process_virtual_memory_bytes gauge"),
        std::string("# TYPE process_virtual_memory_max_bytes gauge"),
        std::string("# TYPE process_open_fds gauge"),
        std::string("# TYPE process_max_fds gauge"),
        std::string("# TYPE process_start_time_seconds gauge")}) {
    EXPECT_TRUE(absl::StrContains(text, line)) << "missing: " << line << "\n" << text;
  }
  // Sampled at the scrape, not at construction: a descriptor opened now is counted.
  const double fds_before = metrics.Gauge("process_open_fds", "")->Value({});
  int fd = open("/dev/null", O_RDONLY);
  ASSERT_GE(fd, 0);
  metrics.Render();
  EXPECT_EQ(metrics.Gauge("process_open_fds", "")->Value({}), fds_before + 1);
  close(fd);
}

}  // namespace
}  // namespace kfed::controller
