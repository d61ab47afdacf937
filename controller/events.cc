#include "controller/events.h"

#include <unistd.h>

#include <atomic>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "base/json.h"
#include "controller/status.h"
#include "glog/logging.h"

namespace kfed::controller {
namespace {

const kube::GroupVersionResource& EventsResource() {
  static const kube::GroupVersionResource* gvr =
      new kube::GroupVersionResource{"", "v1", "events", true, "Event"};
  return *gvr;
}

}  // namespace

EventRecorder::EventRecorder(kube::Client& host, std::string component, Clock& clock,
                             EventRecorderOptions options)
    : host_(host),
      component_(std::move(component)),
      clock_(clock),
      options_(options),
      limiter_(options.qps, options.burst, clock) {
  thread_ = std::thread([this] { Loop(); });
}

EventRecorder::~EventRecorder() { Stop(); }

std::unique_ptr<EventRecorder::Pending> EventRecorder::NewPending(const rapidjson::Value& object,
                                                                  bool warning,
                                                                  const std::string& reason) {
  const rapidjson::Value* metadata = json::Find(object, "metadata");
  if (metadata == nullptr) return nullptr;
  auto p = std::make_unique<Pending>();
  p->ns = json::GetString(*metadata, "namespace", "default");
  p->name = json::GetString(*metadata, "name");
  p->warning = warning;
  p->reason = reason;
  p->first = clock_.Now();
  rapidjson::Document& involved = p->involved;
  involved.SetObject();
  auto& a = involved.GetAllocator();
  json::SetString(involved, "apiVersion", json::GetString(object, "apiVersion"), a);
  json::SetString(involved, "kind", json::GetString(object, "kind"), a);
  json::SetString(involved, "name", p->name, a);
  if (metadata->HasMember("namespace")) json::SetString(involved, "namespace", p->ns, a);
  json::SetString(involved, "uid", json::GetString(*metadata, "uid"), a);
  json::SetString(involved, "resourceVersion", json::GetString(*metadata, "resourceVersion"), a);
  return p;
}

void EventRecorder::Record(const rapidjson::Value& object, bool warning, const std::string& reason,
                           const std::string& message) {
  std::unique_ptr<Pending> p = NewPending(object, warning, reason);
  if (p == nullptr) return;
  p->message = message;
  absl::MutexLock lock(&mu_);
  Enqueue(std::move(p));
}

void EventRecorder::RecordForCluster(const rapidjson::Value& object, bool warning,
                                     const std::string& reason, const std::string& what,
                                     const std::string& cluster, const std::string& detail) {
  std::unique_ptr<Pending> p = NewPending(object, warning, reason);
  if (p == nullptr) return;
  p->what = what;
  p->clusters.push_back(cluster);
  p->details.push_back(detail);
  const std::string uid = json::GetString(p->involved, "uid");
  if (!uid.empty()) {
    p->merge_key = absl::StrCat(uid, "/", reason, "/", warning ? "W" : "N", "/", what);
  }
  absl::MutexLock lock(&mu_);
  if (!p->merge_key.empty()) {
    auto it = mergeable_.find(p->merge_key);
    if (it != mergeable_.end()) {
      Pending& q = *it->second;
      q.clusters.push_back(cluster);
      q.details.push_back(detail);
      // The newest resourceVersion of the object, as a fresh event would carry.
      json::SetString(q.involved, "resourceVersion",
                      json::GetString(p->involved, "resourceVersion"),
                      q.involved.GetAllocator());
      ++merged_;
      return;
    }
  }
  Enqueue(std::move(p));
}

void EventRecorder::Enqueue(std::unique_ptr<Pending> p) {
  if (stopped_) return;
  if (queue_.size() >= options_.max_queued) {
    ++dropped_;
    return;
  }
  if (!p->merge_key.empty()) mergeable_[p->merge_key] = p.get();
  queue_.push_back(std::move(p));
}

std::string EventRecorder::MergedMessage(const std::string& what,
                                         const std::vector<std::string>& clusters,
                                         const std::vector<std::string>& details) {
  bool any_detail = false;
  for (const std::string& d : details) any_detail = any_detail || !d.empty();
  if (!any_detail) {
    return absl::StrCat(what, " in cluster", clusters.size() > 1 ? "s " : " ",
                        absl::StrJoin(clusters, ", "));
  }
  std::vector<std::string> parts;
  for (size_t i = 0; i < clusters.size(); ++i) {
    parts.push_back(absl::StrCat("cluster ", clusters[i], ": ",
                                 i < details.size() && !details[i].empty() ? details[i] : what));
  }
  return absl::StrJoin(parts, "; ");
}

rapidjson::Document EventRecorder::BuildEvent(const Pending& p) const {
  static std::atomic<uint64_t> counter{0};
  const std::string first = FormatKubeTime(p.first);
  const std::string now = FormatKubeTime(clock_.Now());
  rapidjson::Document event;
  event.SetObject();
  auto& a = event.GetAllocator();
  json::SetString(event, "apiVersion", "v1", a);
  json::SetString(event, "kind", "Event", a);
  rapidjson::Value& meta = json::EnsureObject(event, "metadata", a);
  json::SetString(meta, "name",
                  absl::StrFormat("%s.%x%x", p.name, absl::ToUnixNanos(clock_.Now()),
                                  counter.fetch_add(1) + static_cast<uint64_t>(getpid())),
                  a);
  json::SetString(meta, "namespace", p.ns, a);
  event.AddMember("involvedObject", rapidjson::Value(p.involved, a), a);
  json::SetString(event, "reason", p.reason, a);
  std::string message =
      p.clusters.empty() ? p.message : MergedMessage(p.what, p.clusters, p.details);
  // Event messages are capped by the API server (1 KiB for events.k8s.io); keep them short.
  constexpr size_t kMaxMessage = 1024;
  if (message.size() > kMaxMessage) message = absl::StrCat(message.substr(0, kMaxMessage - 3), "...");
  json::SetString(event, "message", message, a);
  json::SetString(event, "type", p.warning ? "Warning" : "Normal", a);
  json::SetString(json::EnsureObject(event, "source", a), "component", component_, a);
  json::SetString(event, "firstTimestamp", first, a);
  json::SetString(event, "lastTimestamp", now, a);
  json::Set(event, "count", rapidjson::Value(1), a);
  json::SetString(event, "reportingComponent", component_, a);
  return event;
}

void EventRecorder::Loop() {
  while (true) {
    // Wait for the limiter first: events queued meanwhile can still be merged.
    limiter_.Wait();
    std::unique_ptr<Pending> p;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]()
                       ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopped_ || !queue_.empty(); };
      mu_.Await(absl::Condition(&ready));
      if (stopped_) return;
      p = std::move(queue_.front());
      queue_.pop_front();
      if (!p->merge_key.empty()) mergeable_.erase(p->merge_key);
    }
    rapidjson::Document event = BuildEvent(*p);
    absl::StatusOr<kube::ObjectPtr> created = host_.Create(EventsResource(), p->ns, event, {component_});
    absl::MutexLock lock(&mu_);
    if (created.ok()) {
      ++written_;
    } else {
      ++dropped_;
      VLOG(2) << "event " << p->reason << " not written: " << created.status();
    }
  }
}

void EventRecorder::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopped_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

uint64_t EventRecorder::dropped() const {
  absl::MutexLock lock(&mu_);
  return dropped_;
}

uint64_t EventRecorder::merged() const {
  absl::MutexLock lock(&mu_);
  return merged_;
}

uint64_t EventRecorder::written() const {
  absl::MutexLock lock(&mu_);
  return written_;
}

}  // namespace kfed::controller
