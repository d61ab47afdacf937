#include "kube/request_metrics.h"

#include <map>

#include "absl/base/thread_annotations.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

namespace kfed::kube {
namespace {

struct Observers {
  // Reporting threads hold it shared while they call the observers, so removing one (held
  // exclusively) waits for the calls in progress; reporters never wait on each other.
  absl::Mutex mu;
  std::map<int, RequestResultObserver> observers ABSL_GUARDED_BY(mu);
  int next_id ABSL_GUARDED_BY(mu) = 0;
};

Observers& Get() {
  static Observers* observers = new Observers();  // never destroyed: used until exit
  return *observers;
}

}  // namespace

int AddRequestResultObserver(RequestResultObserver observer) {
  Observers& o = Get();
  absl::MutexLock lock(&o.mu);
  const int id = o.next_id++;
  o.observers[id] = std::move(observer);
  return id;
}

void RemoveRequestResultObserver(int id) {
  Observers& o = Get();
  absl::MutexLock lock(&o.mu);
  o.observers.erase(id);
}

void ReportRequestResult(int http_status, absl::string_view method, absl::string_view host) {
  Observers& o = Get();
  absl::ReaderMutexLock lock(&o.mu);
  if (o.observers.empty()) return;
  const std::string code = http_status > 0 ? absl::StrCat(http_status) : "<error>";
  for (const auto& [id, observer] : o.observers) observer(code, method, host);
}

std::string RequestHost(absl::string_view server_url) {
  absl::string_view rest = server_url;
  const size_t scheme = rest.find("://");
  if (scheme != absl::string_view::npos) rest.remove_prefix(scheme + 3);
  const size_t path = rest.find_first_of("/?#");
  if (path != absl::string_view::npos) rest = rest.substr(0, path);
  // userinfo@host: not part of Go's URL.Host
  const size_t at = rest.rfind('@');
  if (at != absl::string_view::npos) rest.remove_prefix(at + 1);
  return std::string(rest);
}

}  // namespace kfed::kube
