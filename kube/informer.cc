#include "kube/informer.h"

#include <algorithm>
#include <optional>

#include "absl/strings/match.h"
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

namespace {
TextCodec::Options CodecOptions(const InformerOptions& o) {
  TextCodec::Options c;
  c.samples = o.compression_samples;
  return c;
}
}  // namespace

Informer::Informer(Client& client, InformerOptions options, Clock& clock)
    : client_(client), options_(std::move(options)), clock_(clock), codec_(CodecOptions(options_)) {
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

ObjectPtr Informer::Snapshot(absl::string_view encoded) const {
  absl::StatusOr<std::string> text = codec_.Decode(encoded);
  if (!text.ok()) {
    LOG(DFATAL) << "informer " << options_.gvr.String() << ": cached entry does not decode: "
                << text.status();
    return nullptr;
  }
  absl::StatusOr<ObjectPtr> parsed = ParseObject(*text);
  if (!parsed.ok()) {
    LOG(DFATAL) << "informer " << options_.gvr.String() << ": cached text does not parse: "
                << parsed.status();
    return nullptr;
  }
  return *std::move(parsed);
}

std::vector<ObjectPtr> Informer::Snapshots(const std::vector<std::string>& encoded) const {
  std::vector<ObjectPtr> out;
  out.reserve(encoded.size());
  for (const std::string& e : encoded) {
    if (ObjectPtr o = Snapshot(e)) out.push_back(std::move(o));
  }
  return out;
}

ObjectPtr Informer::Get(absl::string_view ns, absl::string_view name) const {
  std::string key = ns.empty() ? std::string(name) : absl::StrCat(ns, "/", name);
  std::string text;
  {
    absl::MutexLock lock(&mu_);
    std::optional<absl::string_view> found = items_.Find(key);
    if (!found.has_value()) return nullptr;
    text = std::string(*found);
  }
  // Decoded and parsed outside the lock: other readers and the reflector do not wait for it.
  return Snapshot(text);
}

namespace {

// Whether `key` ("namespace/name", or "name" when cluster-scoped) is in namespace `ns` ("":
// every key is).
bool InNamespace(absl::string_view key, absl::string_view ns) {
  return ns.empty() ||
         (key.size() > ns.size() && key[ns.size()] == '/' && absl::StartsWith(key, ns));
}

}  // namespace

// No namespace index is kept: it held a second copy of every key (~80 bytes per cached
// object), for lists by namespace that are rare (a namespace's events) or of small caches.
// Such a list scans the keys instead (a prefix compare per key, no parsing).
std::vector<ObjectPtr> Informer::List(absl::string_view ns) const {
  std::vector<std::string> texts;
  {
    absl::MutexLock lock(&mu_);
    if (ns.empty()) texts.reserve(items_.size());
    items_.ForEach([&](absl::string_view key, absl::string_view encoded) {
      if (InNamespace(key, ns)) texts.emplace_back(encoded);
    });
  }
  return Snapshots(texts);
}

std::vector<ObjectPtr> Informer::ByIndex(absl::string_view index, absl::string_view value) const {
  if (index == kNamespaceIndex) return List(value);
  std::vector<std::string> texts;
  {
    absl::MutexLock lock(&mu_);
    auto idx = indices_.find(index);
    if (idx == indices_.end()) return {};
    auto keys = idx->second.find(value);
    if (keys == idx->second.end()) return {};
    texts.reserve(keys->second.size());
    for (const std::string& key : keys->second) {
      std::optional<absl::string_view> found = items_.Find(key);
      if (found.has_value()) texts.emplace_back(*found);
    }
  }
  return Snapshots(texts);
}

std::vector<std::string> Informer::Keys(absl::string_view ns) const {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> out;
  if (ns.empty()) out.reserve(items_.size());
  items_.ForEach([&](absl::string_view key, absl::string_view) {
    if (InNamespace(key, ns)) out.emplace_back(key);
  });
  return out;
}

size_t Informer::CachedBytes() const {
  absl::MutexLock lock(&mu_);
  // The map's slots and entries (key and encoding in one block each) and the compression
  // dictionary.
  return items_.HeapBytes() + codec_.DictionaryBytes();
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

Informer::Prepared Informer::Prepare(ObjectPtr object) const {
  Prepared p;
  if (!options_.keep_managed_fields && HasManagedFields(*object)) {
    // The handlers' snapshot is the text's parse, without managedFields as well.
    p.text = CompactJson(*object, /*drop_managed_fields=*/true);
    absl::StatusOr<ObjectPtr> stripped = ParseObject(p.text);
    if (stripped.ok()) {
      p.object = *std::move(stripped);
      p.encoded = codec_.Encode(p.text);
      return p;
    }
  }
  p.text = CompactJson(*object);
  p.object = std::move(object);
  p.encoded = codec_.Encode(p.text);
  return p;
}

void Informer::LearnLocked(const std::string& text) {
  if (!codec_.Learn(text)) return;
  // The dictionary exists from now on: compress what was stored raw before it.
  items_.Transform([this](absl::string_view, absl::string_view encoded) {
    absl::StatusOr<std::string> plain = codec_.Decode(encoded);
    return plain.ok() ? codec_.Encode(*plain) : std::string(encoded);
  });
}

ObjectPtr Informer::StoreLocked(const std::string& key, Prepared object) {
  if (!codec_.HasDictionary()) {
    LearnLocked(object.text);
    // Encoded raw before the dictionary existed (a list's items are prepared together).
    if (codec_.HasDictionary()) object.encoded = codec_.Encode(object.text);
  }
  std::optional<absl::string_view> stored = items_.Find(key);
  if (!stored.has_value()) {
    IndexLocked(key, *object.object, /*add=*/true);
    items_.Set(key, object.encoded);
    return nullptr;
  }
  ObjectPtr old = Snapshot(*stored);
  if (old != nullptr) IndexLocked(key, *old, /*add=*/false);
  items_.Set(key, object.encoded);
  IndexLocked(key, *object.object, /*add=*/true);
  return old;
}

ObjectPtr Informer::EraseLocked(const std::string& key) {
  std::optional<absl::string_view> stored = items_.Find(key);
  if (!stored.has_value()) return nullptr;
  ObjectPtr last = Snapshot(*stored);
  if (last != nullptr) IndexLocked(key, *last, /*add=*/false);
  items_.Erase(key);
  return last;
}

void Informer::ReplaceLocked(std::vector<Prepared> list, const std::string& resource_version) {
  absl::flat_hash_set<std::string> seen;
  seen.reserve(list.size());
  for (Prepared& p : list) {
    std::string key = ObjectKeyOf(*p.object);
    seen.insert(key);
    std::optional<absl::string_view> stored = items_.Find(key);
    if (!stored.has_value()) {
      ObjectPtr obj = p.object;
      StoreLocked(key, std::move(p));
      queue_.push_back({Kind::kAdd, nullptr, std::move(obj)});
      continue;
    }
    if (*stored == p.encoded) continue;  // unchanged (same resourceVersion, same bytes)
    ObjectPtr cached = Snapshot(*stored);
    if (cached != nullptr && ResourceVersion(*cached) == ResourceVersion(*p.object)) continue;
    ObjectPtr obj = p.object;
    ObjectPtr old = StoreLocked(key, std::move(p));
    queue_.push_back({Kind::kUpdate, std::move(old), std::move(obj)});
  }
  // Objects that vanished while we were not watching.
  std::vector<std::string> gone;
  items_.ForEach([&](absl::string_view key, absl::string_view) {
    if (!seen.contains(key)) gone.emplace_back(key);
  });
  for (const std::string& key : gone) {
    ObjectPtr last = EraseLocked(key);
    if (last != nullptr) queue_.push_back({Kind::kDelete, nullptr, std::move(last)});
  }
  resource_version_ = resource_version;
  ++lists_;
  if (!synced_) queue_.push_back({Kind::kSynced, nullptr, nullptr});
}

void Informer::ApplyLocked(WatchEventType type, Prepared object) {
  std::string key = ObjectKeyOf(*object.object);
  std::string rv = ResourceVersion(*object.object);
  if (!rv.empty()) resource_version_ = rv;
  switch (type) {
    case WatchEventType::kAdded:
    case WatchEventType::kModified: {
      ObjectPtr obj = object.object;
      ObjectPtr old = StoreLocked(key, std::move(object));
      if (old == nullptr) {
        queue_.push_back({Kind::kAdd, nullptr, std::move(obj)});
      } else {
        queue_.push_back({Kind::kUpdate, std::move(old), std::move(obj)});
      }
      break;
    }
    case WatchEventType::kDeleted:
      EraseLocked(key);
      queue_.push_back({Kind::kDelete, nullptr, std::move(object.object)});
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
    // Serialized (and managedFields dropped) before the lock is taken.
    std::vector<Prepared> prepared;
    prepared.reserve(list->items.size());
    for (ObjectPtr& item : list->items) prepared.push_back(Prepare(std::move(item)));
    list->items.clear();
    {
      absl::MutexLock lock(&mu_);
      last_list_error_ = absl::OkStatus();
      ReplaceLocked(std::move(prepared), list->resource_version);
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
      if (e.object == nullptr) return true;
      Prepared p = Prepare(e.object);
      absl::MutexLock lock(&mu_);
      ApplyLocked(e.type, std::move(p));
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
