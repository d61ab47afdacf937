#include "status/store.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/message_differencer.h"

namespace kfed::status {

namespace {

using ::google::protobuf::util::MessageDifferencer;

bool SameCluster(const v1::Cluster& a, const v1::Cluster& b) {
  return MessageDifferencer::Equals(a, b);
}

absl::Status TooOld(int64_t revision, int64_t floor, int64_t current) {
  return absl::OutOfRangeError(absl::StrCat(
      "fell behind: revision ", revision, " is outside the history this server keeps (", floor,
      " to ", current, "); list again and watch from the list's revision"));
}

}  // namespace

bool IsClusterState(absl::string_view state) {
  return state == kStatePropagated || state == kStatePending || state == kStateError ||
         state == kStateDeleting;
}

// --- Watcher ------------------------------------------------------------------------------

Watcher::Watcher(size_t queue_size, int64_t revision, std::vector<EventPtr> initial,
                 std::function<void()> on_ready)
    : queue_size_(std::max<size_t>(1, queue_size)),
      on_ready_(std::move(on_ready)),
      queue_(initial.begin(), initial.end()),
      initial_left_(initial.size()),
      revision_(revision) {}

absl::StatusOr<EventPtr> Watcher::TryNext() {
  absl::MutexLock lock(&mu_);
  if (state_ == State::kFellBehind) return absl::OutOfRangeError(kFellBehindMessage);
  if (state_ == State::kClosed) return absl::CancelledError("the status server is shutting down");
  if (queue_.empty()) return EventPtr();
  EventPtr next = std::move(queue_.front());
  queue_.pop_front();
  if (initial_left_ > 0) --initial_left_;
  return next;
}

int64_t Watcher::CaughtUpRevision() const {
  absl::MutexLock lock(&mu_);
  return queue_.empty() ? revision_ : -1;
}

size_t Watcher::Queued() const {
  absl::MutexLock lock(&mu_);
  return queue_.size();
}

bool Watcher::Push(const EventPtr& event) {
  absl::MutexLock lock(&mu_);
  if (state_ != State::kOpen) return false;
  if (queue_.size() - initial_left_ >= queue_size_) {
    // Dropped: free what it held at once; the client re-lists.
    state_ = State::kFellBehind;
    std::deque<EventPtr>().swap(queue_);
    initial_left_ = 0;
    return false;
  }
  queue_.push_back(event);
  revision_ = event->revision();
  return true;
}

void Watcher::Close() {
  absl::MutexLock lock(&mu_);
  if (state_ == State::kOpen) state_ = State::kClosed;
  std::deque<EventPtr>().swap(queue_);
  initial_left_ = 0;
}

void Watcher::NotifyReady() const {
  if (on_ready_) on_ready_();
}

// --- StatusStore --------------------------------------------------------------------------

StatusStore::StatusStore(StoreOptions options, Clock& clock)
    : options_(options),
      clock_(clock),
      revision_(options.initial_revision >= 0 ? options.initial_revision
                                              : absl::ToUnixMicros(clock.Now())) {}

StatusStore::~StatusStore() { Close(); }

int64_t StatusStore::NowMs() const { return absl::ToUnixMillis(clock_.Now()); }

void StatusStore::Notify(const std::vector<std::shared_ptr<Watcher>>& watchers) {
  for (const auto& w : watchers) w->NotifyReady();
}

std::vector<std::shared_ptr<Watcher>> StatusStore::PublishLocked(
    v1::WatchEvent::Type type, const v1::Cluster* cluster, const v1::FederatedObject* object) {
  auto event = std::make_shared<v1::WatchEvent>();
  event->set_type(type);
  event->set_revision(++revision_);
  if (cluster != nullptr) *event->mutable_cluster() = *cluster;
  if (object != nullptr) {
    *event->mutable_object() = *object;
    event->mutable_object()->set_revision(revision_);
  }
  EventPtr shared = std::move(event);
  // Kept serialized: a parsed event with its object took ~4x the bytes, for 4,096 events
  // that only a resuming watcher reads (docs/benchmarks.md, memory).
  history_.push_back(shared->SerializeAsString());
  while (history_.size() > std::max<size_t>(1, options_.history_size)) history_.pop_front();

  std::vector<std::shared_ptr<Watcher>> notify;
  notify.reserve(watchers_.size());
  std::vector<std::shared_ptr<Watcher>> kept;
  kept.reserve(watchers_.size());
  for (std::shared_ptr<Watcher>& w : watchers_) {
    if (w->Push(shared)) kept.push_back(w);
    notify.push_back(std::move(w));  // a dropped watcher is told too, so its stream ends
  }
  watchers_ = std::move(kept);
  return notify;
}

void StatusStore::UpsertCluster(v1::Cluster cluster) {
  std::vector<std::shared_ptr<Watcher>> notify;
  {
    absl::MutexLock lock(&mu_);
    if (closed_) return;
    auto it = clusters_.find(cluster.name());
    const v1::Cluster* old = it == clusters_.end() ? nullptr : it->second.get();
    if (cluster.last_transition_unix_ms() == 0) {
      const bool same =
          old != nullptr && old->health() == cluster.health() && old->reason() == cluster.reason();
      cluster.set_last_transition_unix_ms(same ? old->last_transition_unix_ms() : NowMs());
    }
    if (old != nullptr && SameCluster(*old, cluster)) return;
    auto stored = std::make_shared<const v1::Cluster>(std::move(cluster));
    notify = PublishLocked(old == nullptr ? v1::WatchEvent::ADDED : v1::WatchEvent::MODIFIED,
                           stored.get(), nullptr);
    clusters_[stored->name()] = std::move(stored);
  }
  Notify(notify);
}

void StatusStore::RemoveCluster(absl::string_view name) {
  std::vector<std::shared_ptr<Watcher>> notify;
  {
    absl::MutexLock lock(&mu_);
    if (closed_) return;
    auto it = clusters_.find(std::string(name));
    if (it == clusters_.end()) return;
    notify = PublishLocked(v1::WatchEvent::DELETED, it->second.get(), nullptr);
    clusters_.erase(it);
  }
  Notify(notify);
}

StatusStore::StoredObject StatusStore::Store(const v1::FederatedObject& object) {
  StoredObject stored;
  stored.revision = object.revision();
  v1::FederatedObject copy = object;
  copy.set_revision(0);
  copy.SerializeToString(&stored.bytes);
  stored.bytes.shrink_to_fit();
  return stored;
}

v1::FederatedObject StatusStore::Load(const StoredObject& stored) {
  v1::FederatedObject object;
  // Bytes this store serialized: they parse.
  (void)object.ParseFromString(stored.bytes);
  object.set_revision(stored.revision);
  return object;
}

void StatusStore::UpsertObject(v1::FederatedObject object) {
  std::sort(object.mutable_clusters()->begin(), object.mutable_clusters()->end(),
            [](const v1::ClusterState& a, const v1::ClusterState& b) {
              return a.cluster() < b.cluster();
            });
  const ObjectKey key{object.ref().type(), object.ref().namespace_(), object.ref().name()};
  std::vector<std::shared_ptr<Watcher>> notify;
  {
    absl::MutexLock lock(&mu_);
    if (closed_) return;
    auto it = objects_.find(key);
    std::optional<v1::FederatedObject> old;
    if (it != objects_.end()) old = Load(it->second);
    const int64_t now_ms = NowMs();
    for (v1::ClusterState& c : *object.mutable_clusters()) {
      if (c.last_transition_unix_ms() != 0) continue;
      const v1::ClusterState* before = nullptr;
      if (old.has_value()) {
        for (const v1::ClusterState& o : old->clusters()) {
          if (o.cluster() == c.cluster()) before = &o;
        }
      }
      const bool same =
          before != nullptr && before->state() == c.state() && before->reason() == c.reason();
      c.set_last_transition_unix_ms(same ? before->last_transition_unix_ms() : now_ms);
    }
    // Equal apart from the revision (which the store assigns): the same bytes.
    StoredObject stored = Store(object);
    if (it != objects_.end() && it->second.bytes == stored.bytes) return;
    object.set_revision(revision_ + 1);
    stored.revision = revision_ + 1;
    notify = PublishLocked(!old.has_value() ? v1::WatchEvent::ADDED : v1::WatchEvent::MODIFIED,
                           nullptr, &object);
    objects_[key] = std::move(stored);
  }
  Notify(notify);
}

void StatusStore::RemoveObject(const v1::ObjectRef& ref) {
  std::vector<std::shared_ptr<Watcher>> notify;
  {
    absl::MutexLock lock(&mu_);
    if (closed_) return;
    auto it = objects_.find(ObjectKey{ref.type(), ref.namespace_(), ref.name()});
    if (it == objects_.end()) return;
    const v1::FederatedObject last = Load(it->second);
    notify = PublishLocked(v1::WatchEvent::DELETED, nullptr, &last);
    objects_.erase(it);
  }
  Notify(notify);
}

void StatusStore::RemoveType(absl::string_view type) {
  std::vector<std::shared_ptr<Watcher>> notify;
  {
    absl::MutexLock lock(&mu_);
    if (closed_) return;
    for (auto it = objects_.lower_bound(ObjectKey{std::string(type), "", ""});
         it != objects_.end() && std::get<0>(it->first) == type;) {
      const v1::FederatedObject last = Load(it->second);
      for (auto& w : PublishLocked(v1::WatchEvent::DELETED, nullptr, &last)) {
        notify.push_back(std::move(w));
      }
      it = objects_.erase(it);
    }
  }
  // A watcher may appear several times; waking it twice is harmless.
  Notify(notify);
}

void StatusStore::SetRenderer(absl::string_view type, TypeInfo info, Renderer renderer) {
  auto slot = std::make_shared<RendererSlot>();
  slot->sensitivity = info.sensitivity;
  {
    absl::MutexLock slot_lock(&slot->mu);
    slot->renderer = std::move(renderer);
  }
  std::shared_ptr<RendererSlot> old;
  {
    absl::MutexLock lock(&mu_);
    types_[std::string(type)] = std::move(info);
    std::shared_ptr<RendererSlot>& entry = renderers_[std::string(type)];
    old = std::move(entry);
    entry = std::move(slot);
  }
  if (old != nullptr) {
    absl::MutexLock slot_lock(&old->mu);  // waits for running calls of the old renderer
    old->renderer = nullptr;
  }
}

std::optional<TypeInfo> StatusStore::FindType(absl::string_view type) const {
  absl::MutexLock lock(&mu_);
  auto it = types_.find(type);
  if (it == types_.end()) return std::nullopt;
  return it->second;
}

void StatusStore::RemoveRenderer(absl::string_view type) {
  std::shared_ptr<RendererSlot> old;
  {
    absl::MutexLock lock(&mu_);
    auto it = renderers_.find(std::string(type));
    if (it == renderers_.end()) return;
    old = std::move(it->second);
    renderers_.erase(it);
  }
  absl::MutexLock slot_lock(&old->mu);  // waits for running calls
  old->renderer = nullptr;
}

int64_t StatusStore::Revision() const {
  absl::MutexLock lock(&mu_);
  return revision_;
}

v1::ListClustersResponse StatusStore::ListClusters() const {
  std::vector<std::shared_ptr<const v1::Cluster>> clusters;
  v1::ListClustersResponse response;
  {
    absl::MutexLock lock(&mu_);
    clusters.reserve(clusters_.size());
    for (const auto& [name, c] : clusters_) clusters.push_back(c);
    response.set_revision(revision_);
  }
  for (const auto& c : clusters) *response.add_clusters() = *c;
  return response;
}

void StatusStore::UpsertSchedulingPreference(v1::SchedulingPreference preference) {
  std::sort(preference.mutable_clusters()->begin(), preference.mutable_clusters()->end(),
            [](const v1::ReplicaDistribution& a, const v1::ReplicaDistribution& b) {
              return a.cluster() < b.cluster();
            });
  auto stored = std::make_shared<const v1::SchedulingPreference>(std::move(preference));
  absl::MutexLock lock(&mu_);
  if (closed_) return;
  preferences_[{stored->namespace_(), stored->name()}] = std::move(stored);
}

void StatusStore::RemoveSchedulingPreference(absl::string_view ns, absl::string_view name) {
  absl::MutexLock lock(&mu_);
  preferences_.erase({std::string(ns), std::string(name)});
}

v1::ListSchedulingPreferencesResponse StatusStore::ListSchedulingPreferences(
    const v1::ListSchedulingPreferencesRequest& request) const {
  std::vector<std::shared_ptr<const v1::SchedulingPreference>> found;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [key, p] : preferences_) {
      if (request.namespace_().empty() || key.first == request.namespace_()) found.push_back(p);
    }
  }
  v1::ListSchedulingPreferencesResponse response;
  for (const auto& p : found) *response.add_preferences() = *p;
  return response;
}

v1::ListObjectsResponse StatusStore::ListObjects(const v1::ListObjectsRequest& request) const {
  std::vector<StoredObject> objects;
  v1::ListObjectsResponse response;
  {
    absl::MutexLock lock(&mu_);
    objects.reserve(objects_.size());
    for (const auto& [key, o] : objects_) {
      if (!request.type().empty() && std::get<0>(key) != request.type()) continue;
      if (!request.namespace_().empty() && std::get<1>(key) != request.namespace_()) continue;
      objects.push_back(o);
    }
    response.set_revision(revision_);
  }
  // Parsed without the lock held.
  for (const StoredObject& stored : objects) {
    v1::FederatedObject o = Load(stored);
    if (!request.state().empty()) {
      bool match = false;
      for (const v1::ClusterState& c : o.clusters()) match = match || c.state() == request.state();
      if (!match) continue;
    }
    *response.add_objects() = std::move(o);
  }
  return response;
}

absl::StatusOr<v1::GetObjectResponse> StatusStore::GetObject(
    const v1::GetObjectRequest& request) const {
  const v1::ObjectRef& ref = request.ref();
  std::optional<StoredObject> object;
  std::shared_ptr<RendererSlot> slot;
  {
    absl::MutexLock lock(&mu_);
    auto it = objects_.find(ObjectKey{ref.type(), ref.namespace_(), ref.name()});
    if (it != objects_.end()) object = it->second;
    auto r = renderers_.find(ref.type());
    if (r != renderers_.end()) slot = r->second;
  }
  if (!object.has_value()) {
    return absl::NotFoundError(absl::StrCat("no federated object ", ref.type(), " ",
                                            ref.namespace_().empty() ? "" : ref.namespace_() + "/",
                                            ref.name()));
  }
  v1::GetObjectResponse response;
  *response.mutable_object() = Load(*object);
  if (request.cluster().empty()) return response;
  if (slot == nullptr) {
    response.set_render_error(
        absl::StrCat("type ", ref.type(), " has no running sync controller to render it"));
    return response;
  }
  absl::StatusOr<RenderResult> rendered = absl::UnavailableError("renderer removed");
  {
    absl::ReaderMutexLock slot_lock(&slot->mu);
    if (slot->renderer) rendered = slot->renderer(ref.namespace_(), ref.name(), request.cluster());
  }
  if (!rendered.ok()) {
    if (absl::IsNotFound(rendered.status())) return rendered.status();
    response.set_render_error(std::string(rendered.status().message()));
    return response;
  }
  response.set_rendered_json(RedactObjectJson(slot->sensitivity, rendered->rendered_json));
  response.set_overrides_json(
      RedactOverridesJson(slot->sensitivity, rendered->overrides_json));
  response.set_render_error(std::move(rendered->render_error));
  return response;
}

int64_t StatusStore::HistoryFirstLocked() const {
  // Every change publishes one event with the next revision: the history holds the last
  // history_.size() revisions (revision_ + 1 when empty).
  return revision_ - static_cast<int64_t>(history_.size()) + 1;
}

absl::Status StatusStore::CheckResumeLocked(int64_t revision) const {
  // The history holds consecutive revisions; resuming needs every change after `revision`.
  const int64_t floor = HistoryFirstLocked() - 1;
  if (revision < floor || revision > revision_) return TooOld(revision, floor, revision_);
  return absl::OkStatus();
}

std::vector<EventPtr> StatusStore::EventsAfterLocked(int64_t revision) const {
  std::vector<EventPtr> events;
  if (revision == 0) {
    events.reserve(clusters_.size() + objects_.size() + 1);
    for (const auto& [name, c] : clusters_) {
      auto e = std::make_shared<v1::WatchEvent>();
      e->set_type(v1::WatchEvent::ADDED);
      e->set_revision(revision_);
      *e->mutable_cluster() = *c;
      events.push_back(std::move(e));
    }
    for (const auto& [key, o] : objects_) {
      auto e = std::make_shared<v1::WatchEvent>();
      e->set_type(v1::WatchEvent::ADDED);
      e->set_revision(revision_);
      *e->mutable_object() = Load(o);
      events.push_back(std::move(e));
    }
  } else {
    // Revisions are consecutive: the first wanted event sits at a known offset.
    const int64_t first = HistoryFirstLocked();
    size_t start = revision + 1 > first ? static_cast<size_t>(revision + 1 - first) : 0;
    for (size_t i = start; i < history_.size(); ++i) {
      auto e = std::make_shared<v1::WatchEvent>();
      (void)e->ParseFromString(history_[i]);  // bytes this store serialized: they parse
      events.push_back(std::move(e));
    }
  }
  auto bookmark = std::make_shared<v1::WatchEvent>();
  bookmark->set_type(v1::WatchEvent::BOOKMARK);
  bookmark->set_revision(revision_);
  events.push_back(std::move(bookmark));
  return events;
}

absl::StatusOr<EventBatch> StatusStore::EventsAfter(int64_t revision) const {
  absl::MutexLock lock(&mu_);
  if (revision != 0) {
    absl::Status ok = CheckResumeLocked(revision);
    if (!ok.ok()) return ok;
  }
  EventBatch batch;
  batch.events = EventsAfterLocked(revision);
  // A resume gets only changes; the trailing BOOKMARK is for watches.
  if (revision != 0) batch.events.pop_back();
  batch.revision = revision_;
  return batch;
}

bool StatusStore::AwaitRevisionAfter(int64_t revision, absl::Duration timeout) const {
  struct Args {
    const StatusStore* store;
    int64_t revision;
  } args{this, revision};
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(
                           +[](Args* a) ABSL_NO_THREAD_SAFETY_ANALYSIS {
                             return a->store->closed_ || a->store->revision_ > a->revision;
                           },
                           &args),
                       timeout);
  return revision_ > revision;
}

absl::StatusOr<std::shared_ptr<Watcher>> StatusStore::Watch(int64_t resume_from,
                                                            std::function<void()> on_ready) {
  absl::MutexLock lock(&mu_);
  if (closed_) return absl::CancelledError("the status server is shutting down");
  if (resume_from != 0) {
    absl::Status ok = CheckResumeLocked(resume_from);
    if (!ok.ok()) return ok;
  }
  auto watcher = std::make_shared<Watcher>(options_.watcher_queue_size, revision_,
                                           EventsAfterLocked(resume_from), std::move(on_ready));
  watchers_.push_back(watcher);
  return watcher;
}

void StatusStore::Unwatch(const Watcher* watcher) {
  std::shared_ptr<Watcher> removed;
  absl::MutexLock lock(&mu_);
  for (auto it = watchers_.begin(); it != watchers_.end(); ++it) {
    if (it->get() == watcher) {
      removed = std::move(*it);
      watchers_.erase(it);
      break;
    }
  }
}

size_t StatusStore::WatcherCount() const {
  absl::MutexLock lock(&mu_);
  return watchers_.size();
}

size_t StatusStore::HistorySize() const {
  absl::MutexLock lock(&mu_);
  return history_.size();
}

void StatusStore::Close() {
  std::vector<std::shared_ptr<Watcher>> watchers;
  {
    absl::MutexLock lock(&mu_);
    closed_ = true;
    watchers.swap(watchers_);
  }
  for (const auto& w : watchers) w->Close();
  Notify(watchers);
}

}  // namespace kfed::status
