#include "kube/informer.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "base/logging.h"
#include "kube/errors.h"
#include "kube/backoff.h"
#include "kube/watch.h"

namespace kfed::kube {

IndexFunc LabelIndex(std::string key) {
  return [key = std::move(key)](const rapidjson::Value& o) -> std::vector<std::string> {
    const rapidjson::Value* v = Label(o, key);
    if (v == nullptr || !v->IsString()) return {};
    return {std::string(v->GetString(), v->GetStringLength())};
  };
}

Informer::Informer(Client& client, InformerOptions options, Clock& clock)
    : client_(client), options_(std::move(options)), clock_(clock) {
  absl::MutexLock lock(&mu_);
  indexers_[kNamespaceIndex] = [](const rapidjson::Value& o) -> std::vector<std::string> {
    return {Namespace(o)};
  };
}

Informer::~Informer() { Stop(); }

void Informer::AddEventHandler(EventHandlers handlers) {
  CHECK(!started_) << "AddEventHandler after Start";
  handlers_.push_back(std::move(handlers));
}

void Informer::AddSyncedCallback(std::function<void()> callback) {
  CHECK(!started_) << "AddSyncedCallback after Start";
  if (callback) synced_callbacks_.push_back(std::move(callback));
}

void Informer::AddIndexer(const std::string& name, IndexFunc func) {
  CHECK(!started_) << "AddIndexer after Start";
  absl::MutexLock lock(&mu_);
  indexers_[name] = std::move(func);
}

void Informer::Start() {
  CHECK(!started_);
  started_ = true;
  reflector_ = std::thread([this] { ReflectorLoop(); });
  dispatcher_ = std::thread([this] { DispatcherLoop(); });
}

void Informer::Stop() {
  if (!started_) return;
  stop_.Cancel();
  {
    absl::MutexLock lock(&mu_);
    stopped_ = true;
  }
  if (reflector_.joinable()) reflector_.join();
  if (dispatcher_.joinable()) dispatcher_.join();
}

bool Informer::HasSynced() const {
  absl::MutexLock lock(&mu_);
  return synced_;
}

bool Informer::WaitForSync(absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto done = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return synced_ || stopped_; };
  mu_.AwaitWithTimeout(absl::Condition(&done), timeout);
  return synced_;
}

bool Informer::WaitForSync(Clock& clock, absl::Time deadline,
                           const CancellationToken& cancel) const {
  // Stop() cancels stop_, which ends the wait as `cancel` does.
  return AwaitUnlessCancelled(
      clock, mu_, [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return synced_; }, deadline,
      {&cancel, &stop_});
}

ObjectPtr Informer::Get(absl::string_view ns, absl::string_view name) const {
  std::string key = ns.empty() ? std::string(name) : absl::StrCat(ns, "/", name);
  absl::MutexLock lock(&mu_);
  auto it = items_.find(key);
  return it == items_.end() ? nullptr : it->second;
}

std::vector<ObjectPtr> Informer::List(absl::string_view ns) const {
  if (!ns.empty()) return ByIndex(kNamespaceIndex, ns);
  absl::MutexLock lock(&mu_);
  std::vector<ObjectPtr> out;
  out.reserve(items_.size());
  for (const auto& [key, obj] : items_) out.push_back(obj);
  return out;
}

std::vector<ObjectPtr> Informer::ByIndex(absl::string_view index, absl::string_view value) const {
  absl::MutexLock lock(&mu_);
  std::vector<ObjectPtr> out;
  auto idx = indices_.find(index);
  if (idx == indices_.end()) return out;
  auto keys = idx->second.find(value);
  if (keys == idx->second.end()) return out;
  for (const std::string& key : keys->second) {
    auto it = items_.find(key);
    if (it != items_.end()) out.push_back(it->second);
  }
  return out;
}

size_t Informer::Size() const {
  absl::MutexLock lock(&mu_);
  return items_.size();
}

std::string Informer::LastResourceVersion() const {
  absl::MutexLock lock(&mu_);
  return resource_version_;
}

absl::Status Informer::LastListError() const {
  absl::MutexLock lock(&mu_);
  return last_list_error_;
}

int Informer::Lists() const {
  absl::MutexLock lock(&mu_);
  return lists_;
}

void Informer::IndexLocked(const std::string& key, const rapidjson::Value& object, bool add) {
  for (const auto& [name, func] : indexers_) {
    auto& index = indices_[name];
    for (const std::string& value : func(object)) {
      if (add) {
        index[value].insert(key);
      } else {
        auto it = index.find(value);
        if (it == index.end()) continue;
        it->second.erase(key);
        if (it->second.empty()) index.erase(it);
      }
    }
  }
}

void Informer::StoreLocked(const std::string& key, ObjectPtr object) {
  auto it = items_.find(key);
  if (it != items_.end()) {
    IndexLocked(key, *it->second, /*add=*/false);
    it->second = std::move(object);
    IndexLocked(key, *it->second, /*add=*/true);
  } else {
    IndexLocked(key, *object, /*add=*/true);
    items_.emplace(key, std::move(object));
  }
}

void Informer::EraseLocked(const std::string& key) {
  auto it = items_.find(key);
  if (it == items_.end()) return;
  IndexLocked(key, *it->second, /*add=*/false);
  items_.erase(it);
}

void Informer::ReplaceLocked(const ObjectList& list) {
  absl::flat_hash_set<std::string> seen;
  seen.reserve(list.items.size());
  for (const ObjectPtr& obj : list.items) {
    std::string key = ObjectKeyOf(*obj);
    seen.insert(key);
    auto it = items_.find(key);
    if (it == items_.end()) {
      StoreLocked(key, obj);
      queue_.push_back({Kind::kAdd, nullptr, obj});
    } else if (ResourceVersion(*it->second) != ResourceVersion(*obj)) {
      ObjectPtr old = it->second;
      StoreLocked(key, obj);
      queue_.push_back({Kind::kUpdate, std::move(old), obj});
    }
  }
  // Objects that vanished while we were not watching.
  std::vector<std::string> gone;
  for (const auto& [key, obj] : items_) {
    if (!seen.contains(key)) gone.push_back(key);
  }
  for (const std::string& key : gone) {
    ObjectPtr last = items_[key];
    EraseLocked(key);
    queue_.push_back({Kind::kDelete, nullptr, std::move(last)});
  }
  resource_version_ = list.resource_version;
  ++lists_;
  if (!synced_) queue_.push_back({Kind::kSynced, nullptr, nullptr});
}

void Informer::ApplyLocked(const WatchEvent& event) {
  const ObjectPtr& obj = event.object;
  std::string key = ObjectKeyOf(*obj);
  std::string rv = ResourceVersion(*obj);
  if (!rv.empty()) resource_version_ = rv;
  auto it = items_.find(key);
  switch (event.type) {
    case WatchEventType::kAdded:
    case WatchEventType::kModified:
      if (it == items_.end()) {
        StoreLocked(key, obj);
        queue_.push_back({Kind::kAdd, nullptr, obj});
      } else {
        ObjectPtr old = it->second;
        StoreLocked(key, obj);
        queue_.push_back({Kind::kUpdate, std::move(old), obj});
      }
      break;
    case WatchEventType::kDeleted:
      EraseLocked(key);
      queue_.push_back({Kind::kDelete, nullptr, obj});
      break;
    default:
      break;
  }
}

absl::StatusOr<ObjectList> Informer::ListAll() {
  ListOptions o;
  o.label_selector = options_.label_selector;
  o.field_selector = options_.field_selector;
  o.limit = options_.page_size;
  ObjectList all;
  for (;;) {
    absl::StatusOr<ObjectList> page = client_.List(options_.gvr, options_.ns, o);
    if (!page.ok()) {
      if (kube::IsGone(page.status()) && !o.continue_token.empty()) {
        // The continue token expired mid-way: fall back to one unpaged list.
        VLOG(1) << "informer " << options_.gvr.String() << ": continue token expired; full list";
        o.continue_token.clear();
        o.limit = 0;
        all.items.clear();
        continue;
      }
      return page.status();
    }
    for (ObjectPtr& item : page->items) all.items.push_back(std::move(item));
    all.resource_version = page->resource_version;
    if (page->continue_token.empty()) return all;
    o.continue_token = page->continue_token;
  }
}

void Informer::ReflectorLoop() {
  Backoff backoff(options_.initial_backoff, options_.max_backoff);
  while (!stop_.IsCancelled()) {
    absl::StatusOr<ObjectList> list = ListAll();
    if (!list.ok()) {
      if (stop_.IsCancelled()) return;
      {
        absl::MutexLock lock(&mu_);
        last_list_error_ = list.status();
      }
      absl::Duration delay = backoff.Next();
      LOG(WARNING) << "informer " << options_.gvr.String() << " ns=\"" << options_.ns
                   << "\": list failed: " << list.status() << "; retrying in " << delay;
      if (!SleepUnlessCancelled(clock_, delay, &stop_)) return;
      continue;
    }
    if (!options_.keep_managed_fields) {
      for (ObjectPtr& item : list->items) item = WithoutManagedFields(item);
    }
    {
      absl::MutexLock lock(&mu_);
      last_list_error_ = absl::OkStatus();
      ReplaceLocked(*list);
    }
    ResumingWatchOptions wo;
    wo.watch.resource_version = list->resource_version;
    wo.watch.label_selector = options_.label_selector;
    wo.watch.field_selector = options_.field_selector;
    wo.watch.timeout_seconds = absl::ToInt64Seconds(options_.watch_timeout);
    wo.initial_backoff = options_.initial_backoff;
    wo.max_backoff = options_.max_backoff;
    ResumingWatch watch(client_, options_.gvr, options_.ns, wo, clock_);
    absl::Status s = watch.Run([this](const WatchEvent& e) {
      if (options_.keep_managed_fields) {
        absl::MutexLock lock(&mu_);
        ApplyLocked(e);
        return true;
      }
      WatchEvent stripped{e.type, WithoutManagedFields(e.object)};
      absl::MutexLock lock(&mu_);
      ApplyLocked(stripped);
      return true;
    }, &stop_);
    if (stop_.IsCancelled()) return;
    if (kube::IsGone(s)) {
      VLOG(1) << "informer " << options_.gvr.String() << ": " << s << "; relisting";
      backoff.Reset();
      continue;
    }
    absl::Duration delay = backoff.Next();
    LOG(WARNING) << "informer " << options_.gvr.String() << " ns=\"" << options_.ns
                 << "\": watch failed: " << s << "; relisting in " << delay;
    if (!SleepUnlessCancelled(clock_, delay, &stop_)) return;
  }
}

void Informer::Dispatch(const Notification& n) {
  for (const EventHandlers& h : handlers_) {
    switch (n.kind) {
      case Kind::kAdd:
        if (h.on_add) h.on_add(n.object);
        break;
      case Kind::kUpdate:
        if (h.on_update) h.on_update(n.old_object, n.object);
        break;
      case Kind::kDelete:
        if (h.on_delete) h.on_delete(n.object);
        break;
      case Kind::kSynced:
        break;
    }
  }
}

void Informer::DispatcherLoop() {
  const bool resync = options_.resync_period > absl::ZeroDuration();
  absl::Time next_resync = clock_.Now() + options_.resync_period;
  std::vector<Notification> batch;
  for (;;) {
    batch.clear();
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return !queue_.empty() || stopped_;
      };
      // Only an event or Stop() (both signal mu_) or, with resync, the resync deadline on the
      // clock wakes us: an idle informer costs no CPU.
      clock_.AwaitWithDeadline(mu_, absl::Condition(&ready),
                               resync ? next_resync : absl::InfiniteFuture());
      if (stopped_) return;
      while (!queue_.empty()) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    for (const Notification& n : batch) {
      if (n.kind == Kind::kSynced) {
        bool first;
        {
          absl::MutexLock lock(&mu_);
          first = !synced_;
          synced_ = true;
        }
        // A relist before this point queued a second kSynced: callbacks run once.
        if (first) {
          for (const std::function<void()>& callback : synced_callbacks_) callback();
        }
        continue;
      }
      Dispatch(n);
    }
    if (resync && clock_.Now() >= next_resync) {
      next_resync = clock_.Now() + options_.resync_period;
      if (!HasSynced()) continue;
      for (const ObjectPtr& obj : List()) Dispatch({Kind::kUpdate, obj, obj});
    }
  }
}

}  // namespace kfed::kube
