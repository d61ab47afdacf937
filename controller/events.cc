#include "controller/events.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
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
                             size_t max_queued)
    : host_(host), component_(std::move(component)), clock_(clock), max_queued_(max_queued) {
  thread_ = std::thread([this] { Loop(); });
}

EventRecorder::~EventRecorder() { Stop(); }

void EventRecorder::Record(const rapidjson::Value& object, bool warning, const std::string& reason,
                           const std::string& message) {
  const rapidjson::Value* metadata = json::Find(object, "metadata");
  if (metadata == nullptr) return;
  const std::string ns = json::GetString(*metadata, "namespace", "default");
  const std::string name = json::GetString(*metadata, "name");
  const std::string now = FormatKubeTime(clock_.Now());
  static std::atomic<uint64_t> counter{0};

  rapidjson::Document event;
  event.SetObject();
  auto& a = event.GetAllocator();
  json::SetString(event, "apiVersion", "v1", a);
  json::SetString(event, "kind", "Event", a);
  rapidjson::Value& meta = json::EnsureObject(event, "metadata", a);
  json::SetString(meta, "name",
                  absl::StrFormat("%s.%x%x", name, absl::ToUnixNanos(clock_.Now()),
                                  counter.fetch_add(1) + static_cast<uint64_t>(getpid())),
                  a);
  json::SetString(meta, "namespace", ns, a);
  rapidjson::Value& involved = json::EnsureObject(event, "involvedObject", a);
  json::SetString(involved, "apiVersion", json::GetString(object, "apiVersion"), a);
  json::SetString(involved, "kind", json::GetString(object, "kind"), a);
  json::SetString(involved, "name", name, a);
  if (metadata->HasMember("namespace")) json::SetString(involved, "namespace", ns, a);
  json::SetString(involved, "uid", json::GetString(*metadata, "uid"), a);
  json::SetString(involved, "resourceVersion", json::GetString(*metadata, "resourceVersion"), a);
  json::SetString(event, "reason", reason, a);
  json::SetString(event, "message", message, a);
  json::SetString(event, "type", warning ? "Warning" : "Normal", a);
  json::SetString(json::EnsureObject(event, "source", a), "component", component_, a);
  json::SetString(event, "firstTimestamp", now, a);
  json::SetString(event, "lastTimestamp", now, a);
  json::Set(event, "count", rapidjson::Value(1), a);
  json::SetString(event, "reportingComponent", component_, a);

  absl::MutexLock lock(&mu_);
  if (stopped_) return;
  if (queue_.size() >= max_queued_) {
    ++dropped_;
    return;
  }
  queue_.push_back(std::move(event));
}

void EventRecorder::Loop() {
  while (true) {
    rapidjson::Document event;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]()
                       ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopped_ || !queue_.empty(); };
      mu_.Await(absl::Condition(&ready));
      if (stopped_) return;
      event = std::move(queue_.front());
      queue_.pop_front();
    }
    const std::string ns = json::GetString(event["metadata"], "namespace");
    absl::StatusOr<kube::ObjectPtr> created =
        host_.Create(EventsResource(), ns, event, {component_});
    absl::MutexLock lock(&mu_);
    if (created.ok()) {
      ++written_;
    } else {
      ++dropped_;
      VLOG(2) << "event " << json::GetString(event, "reason")
              << " not written: " << created.status();
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

uint64_t EventRecorder::written() const {
  absl::MutexLock lock(&mu_);
  return written_;
}

}  // namespace kfed::controller
