#include "kube/client_fake.h"

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "base/json.h"
#include "base/json_patch.h"
#include "base/status_macros.h"
#include "kube/errors.h"
#include "kube/labels.h"

namespace kfed::kube {
namespace {

std::string ResourceKey(const GroupVersionResource& gvr) {
  return absl::StrCat(gvr.group, "/", gvr.resource);
}

rapidjson::Value& Meta(rapidjson::Document& doc) {
  return json::EnsureObject(doc, "metadata", doc.GetAllocator());
}

bool ContentEqual(const rapidjson::Value& a, const rapidjson::Value& b, const char* member) {
  const rapidjson::Value* x = json::Find(a, member);
  const rapidjson::Value* y = json::Find(b, member);
  if (x == nullptr || y == nullptr) return x == y;
  return *x == *y;
}

bool HasFinalizers(const rapidjson::Value& o) {
  const rapidjson::Value* f = json::FindPath(o, {"metadata", "finalizers"});
  return f != nullptr && f->IsArray() && !f->Empty();
}

std::string RandomSuffix(int64_t n) {
  static constexpr char kChars[] = "bcdfghjklmnpqrstvwxz2456789";
  std::string out;
  uint64_t x = static_cast<uint64_t>(n) * 2654435761u + 12345;
  for (int i = 0; i < 5; ++i) {
    out.push_back(kChars[x % 27]);
    x /= 27;
  }
  return out;
}

}  // namespace

FakeClient::FakeClient(Clock& clock) : clock_(clock) {}

std::string FakeClient::Timestamp() const {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", clock_.Now(), absl::UTCTimeZone());
}

void FakeClient::InjectError(absl::string_view verb, absl::string_view resource,
                             absl::Status status, int count) {
  absl::MutexLock lock(&mu_);
  injected_.push_back({std::string(verb), std::string(resource), std::move(status), count});
}

absl::Status FakeClient::TakeInjectedLocked(absl::string_view verb,
                                            const GroupVersionResource& gvr) {
  for (auto it = injected_.begin(); it != injected_.end(); ++it) {
    if (it->verb == verb && (it->resource.empty() || it->resource == gvr.resource)) {
      absl::Status s = it->status;
      if (--it->count <= 0) injected_.erase(it);
      return s;
    }
  }
  return absl::OkStatus();
}

void FakeClient::ClearInjectedErrors() {
  absl::MutexLock lock(&mu_);
  injected_.clear();
}

void FakeClient::SetRaw(absl::string_view path, absl::string_view body) {
  absl::MutexLock lock(&mu_);
  raw_[path] = std::string(body);
}

void FakeClient::Compact() {
  absl::MutexLock lock(&mu_);
  compacted_rv_ = rv_;
}

void FakeClient::CloseWatches() {
  absl::MutexLock lock(&mu_);
  ++watch_generation_;
}

void FakeClient::SendBookmarks() {
  absl::MutexLock lock(&mu_);
  ++bookmark_generation_;
}

int FakeClient::ActiveWatches() const {
  absl::MutexLock lock(&mu_);
  return active_watches_;
}

int64_t FakeClient::CurrentResourceVersion() const {
  absl::MutexLock lock(&mu_);
  return rv_;
}

ObjectPtr FakeClient::CommitLocked(const Key& key, rapidjson::Document& doc, WatchEventType type) {
  ++rv_;
  json::SetString(Meta(doc), "resourceVersion", absl::StrCat(rv_), doc.GetAllocator());
  ObjectPtr snapshot = CopyObject(doc);
  if (type == WatchEventType::kDeleted) {
    objects_.erase(key);
  } else {
    objects_[key] = snapshot;
  }
  events_.push_back({rv_, key.resource, type, snapshot});
  return snapshot;
}

absl::StatusOr<ObjectPtr> FakeClient::Get(const GroupVersionResource& gvr, absl::string_view ns,
                                          absl::string_view name) {
  absl::MutexLock lock(&mu_);
  RETURN_IF_ERROR(TakeInjectedLocked("get", gvr));
  auto it = objects_.find({ResourceKey(gvr), gvr.namespaced ? std::string(ns) : "", std::string(name)});
  if (it == objects_.end()) return NotFoundError(gvr.resource, name);
  return it->second;
}

absl::StatusOr<ObjectList> FakeClient::List(const GroupVersionResource& gvr, absl::string_view ns,
                                            const ListOptions& options) {
  ASSIGN_OR_RETURN(k8s::LabelSelector labels, k8s::ParseSelectorString(options.label_selector));
  ASSIGN_OR_RETURN(FieldSelector fields, FieldSelector::Parse(options.field_selector));
  absl::MutexLock lock(&mu_);
  RETURN_IF_ERROR(TakeInjectedLocked("list", gvr));
  ObjectList out;
  out.resource_version = absl::StrCat(rv_);
  std::string resource = ResourceKey(gvr);
  Key start{resource, "", ""};
  if (!options.continue_token.empty()) {
    std::string decoded;
    if (!absl::WebSafeBase64Unescape(options.continue_token, &decoded) ||
        decoded.find('\x1f') == std::string::npos) {
      return WithReason(absl::InvalidArgumentError("invalid continue token"), "BadRequest", 400);
    }
    size_t sep = decoded.find('\x1f');
    start.ns = decoded.substr(0, sep);
    start.name = decoded.substr(sep + 1) + std::string(1, '\0');  // strictly after
  }
  for (auto it = objects_.lower_bound(start); it != objects_.end() && it->first.resource == resource;
       ++it) {
    if (gvr.namespaced && !ns.empty() && it->first.ns != ns) continue;
    if (!SelectorMatchesObject(labels, *it->second) || !fields.Matches(*it->second)) continue;
    if (options.limit > 0 && static_cast<int64_t>(out.items.size()) == options.limit) {
      const rapidjson::Value& l = *out.items.back();
      out.continue_token = absl::WebSafeBase64Escape(
          absl::StrCat(gvr.namespaced ? Namespace(l) : "", "\x1f", Name(l)));
      break;
    }
    out.items.push_back(it->second);
  }
  return out;
}

absl::StatusOr<ObjectPtr> FakeClient::CreateLocked(const GroupVersionResource& gvr,
                                                   absl::string_view ns,
                                                   const rapidjson::Value& object) {
  if (!object.IsObject()) return InvalidError("object must be a JSON object");
  rapidjson::Document doc;
  doc.CopyFrom(object, doc.GetAllocator());
  auto& a = doc.GetAllocator();
  rapidjson::Value& meta = Meta(doc);
  std::string name = json::GetString(meta, "name");
  if (name.empty()) {
    std::string generate = json::GetString(meta, "generateName");
    if (generate.empty()) return InvalidError(absl::StrCat(gvr.resource, ": metadata.name: Required value"));
    name = absl::StrCat(generate, RandomSuffix(uid_counter_ + 1));
    json::SetString(meta, "name", name, a);
  }
  std::string n = ns.empty() ? json::GetString(meta, "namespace") : std::string(ns);
  if (gvr.namespaced) {
    if (n.empty()) return InvalidError(absl::StrCat(gvr.resource, " \"", name, "\": metadata.namespace: Required value"));
    json::SetString(meta, "namespace", n, a);
  } else {
    n.clear();
    json::Remove(meta, "namespace");
  }
  Key key{ResourceKey(gvr), n, name};
  if (objects_.count(key) > 0) return AlreadyExistsError(gvr.resource, name);
  ++uid_counter_;
  json::SetString(meta, "uid", absl::StrCat("00000000-0000-4000-8000-", absl::StrFormat("%012d", uid_counter_)), a);
  json::SetString(meta, "creationTimestamp", Timestamp(), a);
  json::Remove(meta, "generation");
  meta.AddMember("generation", int64_t{1}, a);
  if (!doc.HasMember("apiVersion")) json::SetString(doc, "apiVersion", gvr.ApiVersion(), a);
  if (!doc.HasMember("kind") && !gvr.kind.empty()) json::SetString(doc, "kind", gvr.kind, a);
  return CommitLocked(key, doc, WatchEventType::kAdded);
}

absl::StatusOr<ObjectPtr> FakeClient::Create(const GroupVersionResource& gvr, absl::string_view ns,
                                             const rapidjson::Value& object,
                                             const WriteOptions& options) {
  absl::MutexLock lock(&mu_);
  RETURN_IF_ERROR(TakeInjectedLocked("create", gvr));
  if (options.dry_run) return CopyObject(object);
  return CreateLocked(gvr, ns, object);
}

absl::StatusOr<ObjectPtr> FakeClient::ReplaceLocked(const GroupVersionResource& gvr,
                                                    const Key& key,
                                                    const rapidjson::Value& object,
                                                    bool status_only, bool check_rv) {
  auto it = objects_.find(key);
  if (it == objects_.end()) return NotFoundError(gvr.resource, key.name);
  const rapidjson::Value& old = *it->second;
  std::string rv = ResourceVersion(object);
  if (check_rv && !rv.empty() && rv != ResourceVersion(old)) {
    return ConflictError(absl::StrCat("Operation cannot be fulfilled on ", gvr.resource, " \"",
                                      key.name,
                                      "\": the object has been modified; please apply your "
                                      "changes to the latest version and try again"));
  }
  rapidjson::Document doc;
  auto& a = doc.GetAllocator();
  if (status_only) {
    doc.CopyFrom(old, a);
    const rapidjson::Value* status = json::Find(object, "status");
    if (status != nullptr) {
      json::Set(doc, "status", *status, a);
    } else {
      json::Remove(doc, "status");
    }
  } else {
    doc.CopyFrom(object, a);
    const rapidjson::Value* old_status = json::Find(old, "status");
    if (old_status != nullptr) {
      json::Set(doc, "status", *old_status, a);
    } else {
      json::Remove(doc, "status");
    }
    rapidjson::Value& meta = Meta(doc);
    const rapidjson::Value& old_meta = *json::Find(old, "metadata");
    for (const char* f : {"uid", "creationTimestamp", "deletionTimestamp", "namespace", "name"}) {
      if (const rapidjson::Value* v = json::Find(old_meta, f)) {
        json::Set(meta, f, *v, a);
      } else {
        json::Remove(meta, f);
      }
    }
    int64_t generation = 1;
    if (const rapidjson::Value* g = json::Find(old_meta, "generation"); g && g->IsInt64()) {
      generation = g->GetInt64();
    }
    if (!ContentEqual(old, doc, "spec") ||
        (json::Find(old, "spec") == nullptr && !ContentEqual(old, doc, "data"))) {
      ++generation;
    }
    json::Remove(meta, "generation");
    meta.AddMember("generation", generation, a);
  }
  if (!doc.HasMember("apiVersion")) json::SetString(doc, "apiVersion", gvr.ApiVersion(), a);
  if (const rapidjson::Value* k = json::Find(old, "kind"); k && !doc.HasMember("kind")) {
    json::Set(doc, "kind", *k, a);
  }
  // A no-op write does not bump the resourceVersion (like the API server).
  json::SetString(Meta(doc), "resourceVersion", ResourceVersion(old), a);
  if (doc == old) return it->second;
  if (json::FindPath(doc, {"metadata", "deletionTimestamp"}) != nullptr && !HasFinalizers(doc)) {
    return CommitLocked(key, doc, WatchEventType::kDeleted);
  }
  return CommitLocked(key, doc, WatchEventType::kModified);
}

absl::StatusOr<ObjectPtr> FakeClient::Update(const GroupVersionResource& gvr, absl::string_view ns,
                                             const rapidjson::Value& object,
                                             const WriteOptions& options) {
  absl::MutexLock lock(&mu_);
  RETURN_IF_ERROR(TakeInjectedLocked("update", gvr));
  std::string n = gvr.namespaced ? (ns.empty() ? Namespace(object) : std::string(ns)) : "";
  if (options.dry_run) return CopyObject(object);
  return ReplaceLocked(gvr, {ResourceKey(gvr), n, Name(object)}, object, false, true);
}

absl::StatusOr<ObjectPtr> FakeClient::UpdateStatus(const GroupVersionResource& gvr,
                                                   absl::string_view ns,
                                                   const rapidjson::Value& object,
                                                   const WriteOptions& options) {
  absl::MutexLock lock(&mu_);
  RETURN_IF_ERROR(TakeInjectedLocked("updatestatus", gvr));
  std::string n = gvr.namespaced ? (ns.empty() ? Namespace(object) : std::string(ns)) : "";
  if (options.dry_run) return CopyObject(object);
  return ReplaceLocked(gvr, {ResourceKey(gvr), n, Name(object)}, object, true, true);
}

absl::StatusOr<ObjectPtr> FakeClient::Patch(const GroupVersionResource& gvr, absl::string_view ns,
                                            absl::string_view name, PatchType type,
                                            absl::string_view patch, const PatchOptions& options,
                                            absl::string_view subresource) {
  absl::StatusOr<rapidjson::Document> p = json::Parse(patch);
  if (!p.ok()) {
    return WithReason(absl::InvalidArgumentError(absl::StrCat("patch: ", p.status().message(),
                                                              " (the fake client takes JSON only)")),
                      "BadRequest", 400);
  }
  if (type == PatchType::kApply && options.field_manager.empty()) {
    return absl::InvalidArgumentError("server-side apply needs a field manager");
  }
  absl::MutexLock lock(&mu_);
  RETURN_IF_ERROR(TakeInjectedLocked("patch", gvr));
  Key key{ResourceKey(gvr), gvr.namespaced ? std::string(ns) : "", std::string(name)};
  auto it = objects_.find(key);
  if (it == objects_.end()) {
    if (type != PatchType::kApply) return NotFoundError(gvr.resource, name);
    rapidjson::Document doc;
    doc.CopyFrom(*p, doc.GetAllocator());
    json::SetString(Meta(doc), "name", name, doc.GetAllocator());
    return CreateLocked(gvr, ns, doc);
  }
  rapidjson::Document doc;
  doc.CopyFrom(*it->second, doc.GetAllocator());
  if (type == PatchType::kJson) {
    // The API server answers 422 Invalid for a patch that does not apply (a failed "test"
    // included).
    absl::Status s = json::ApplyJsonPatch(*p, &doc);
    if (!s.ok()) {
      return WithReason(absl::InvalidArgumentError(absl::StrCat("json patch: ", s.message())),
                        "Invalid", 422);
    }
  } else {
    if (!p->IsObject()) return InvalidError("merge patch must be a JSON object");
    RETURN_IF_ERROR(json::ApplyMergePatch(*p, &doc));
  }
  if (options.dry_run) return CopyObject(doc);
  return ReplaceLocked(gvr, key, doc, subresource == "status", true);
}

absl::Status FakeClient::DeleteLocked(const GroupVersionResource& gvr, const Key& key,
                                      const DeleteOptions& options) {
  auto it = objects_.find(key);
  if (it == objects_.end()) return NotFoundError(gvr.resource, key.name);
  const rapidjson::Value& old = *it->second;
  if (!options.precondition_uid.empty() && options.precondition_uid != Uid(old)) {
    return ConflictError(absl::StrCat("Precondition failed: UID in precondition: ",
                                      options.precondition_uid, ", UID in object meta: ", Uid(old)));
  }
  if (!options.precondition_resource_version.empty() &&
      options.precondition_resource_version != ResourceVersion(old)) {
    return ConflictError(absl::StrCat("Precondition failed: ResourceVersion in precondition: ",
                                      options.precondition_resource_version,
                                      ", ResourceVersion in object meta: ", ResourceVersion(old)));
  }
  if (options.dry_run) return absl::OkStatus();
  rapidjson::Document doc;
  doc.CopyFrom(old, doc.GetAllocator());
  if (HasFinalizers(old)) {
    if (json::FindPath(old, {"metadata", "deletionTimestamp"}) != nullptr) return absl::OkStatus();
    json::SetString(Meta(doc), "deletionTimestamp", Timestamp(), doc.GetAllocator());
    CommitLocked(key, doc, WatchEventType::kModified);
    return absl::OkStatus();
  }
  CommitLocked(key, doc, WatchEventType::kDeleted);
  return absl::OkStatus();
}

absl::Status FakeClient::Delete(const GroupVersionResource& gvr, absl::string_view ns,
                                absl::string_view name, const DeleteOptions& options) {
  absl::MutexLock lock(&mu_);
  RETURN_IF_ERROR(TakeInjectedLocked("delete", gvr));
  return DeleteLocked(gvr, {ResourceKey(gvr), gvr.namespaced ? std::string(ns) : "", std::string(name)},
                      options);
}

absl::Status FakeClient::DeleteCollection(const GroupVersionResource& gvr, absl::string_view ns,
                                          const DeleteOptions& options,
                                          const ListOptions& list_options) {
  {
    absl::MutexLock lock(&mu_);
    RETURN_IF_ERROR(TakeInjectedLocked("deletecollection", gvr));
  }
  ListOptions lo = list_options;
  lo.limit = 0;
  ASSIGN_OR_RETURN(ObjectList list, List(gvr, ns, lo));
  absl::MutexLock lock(&mu_);
  for (const ObjectPtr& o : list.items) {
    absl::Status s = DeleteLocked(gvr, {ResourceKey(gvr), Namespace(*o), Name(*o)}, options);
    if (!s.ok() && !kube::IsNotFound(s)) return s;
  }
  return absl::OkStatus();
}

absl::Status FakeClient::Watch(const GroupVersionResource& gvr, absl::string_view ns,
                               const WatchOptions& options, const WatchHandler& handler,
                               const CancellationToken* stop) {
  ASSIGN_OR_RETURN(k8s::LabelSelector labels, k8s::ParseSelectorString(options.label_selector));
  ASSIGN_OR_RETURN(FieldSelector fields, FieldSelector::Parse(options.field_selector));
  const std::string resource = ResourceKey(gvr);
  auto matches = [&](const rapidjson::Value& o) {
    return (!gvr.namespaced || ns.empty() || Namespace(o) == ns) && SelectorMatchesObject(labels, o) &&
           fields.Matches(o);
  };
  std::vector<WatchEvent> batch;
  size_t cursor = 0;
  int64_t generation, bookmarks;
  {
    absl::MutexLock lock(&mu_);
    RETURN_IF_ERROR(TakeInjectedLocked("watch", gvr));
    const std::string& rv = options.resource_version;
    int64_t start = rv_;
    if (rv.empty() || rv == "0") {
      for (const auto& [key, obj] : objects_) {
        if (key.resource == resource && matches(*obj)) batch.push_back({WatchEventType::kAdded, obj});
      }
    } else if (!absl::SimpleAtoi(rv, &start)) {
      return WithReason(absl::InvalidArgumentError(absl::StrCat("invalid resourceVersion \"", rv, "\"")),
                        "BadRequest", 400);
    } else if (start < compacted_rv_) {
      auto status = ParseObject(absl::StrCat(
          R"({"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Expired","code":410,"message":"too old resource version: )",
          start, " (", compacted_rv_, ")\"}"));
      batch.push_back({WatchEventType::kError, *status});
      start = -1;
    }
    if (start < 0) {
      cursor = events_.size();
      generation = -1;
    } else {
      cursor = std::upper_bound(events_.begin(), events_.end(), start,
                                [](int64_t v, const Event& e) { return v < e.rv; }) -
               events_.begin();
      generation = watch_generation_;
    }
    bookmarks = bookmark_generation_;
    ++active_watches_;
  }
  struct Leave {
    FakeClient* self;
    ~Leave() {
      absl::MutexLock lock(&self->mu_);
      --self->active_watches_;
    }
  } leave{this};
  // Cancelling releases mu_, so the wait below re-checks the token.
  ScopedCancellationCallback on_cancel(stop, [this] { absl::MutexLock lock(&mu_); });
  for (const WatchEvent& e : batch) {
    if (!handler(e)) return absl::OkStatus();
  }
  if (generation < 0) return absl::OkStatus();  // ended after the 410
  for (;;) {
    batch.clear();
    bool closed = false;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return events_.size() > cursor || watch_generation_ != generation ||
               bookmark_generation_ != bookmarks || (stop != nullptr && stop->IsCancelled());
      };
      mu_.Await(absl::Condition(&ready));
      for (; cursor < events_.size(); ++cursor) {
        const Event& e = events_[cursor];
        if (e.resource == resource && matches(*e.object)) batch.push_back({e.type, e.object});
      }
      if (bookmark_generation_ != bookmarks) {
        bookmarks = bookmark_generation_;
        auto bm = ParseObject(absl::StrCat(R"({"kind":")", gvr.kind, R"(","apiVersion":")",
                                           gvr.ApiVersion(), R"(","metadata":{"resourceVersion":")",
                                           rv_, "\"}}"));
        batch.push_back({WatchEventType::kBookmark, *bm});
      }
      closed = watch_generation_ != generation;
    }
    for (const WatchEvent& e : batch) {
      if (!handler(e)) return absl::OkStatus();
    }
    if (closed) return absl::OkStatus();
    if (stop != nullptr && stop->IsCancelled()) return absl::CancelledError("watch stopped");
  }
}

void FakeClient::SetRawHandler(absl::string_view path, RawHandler handler) {
  absl::MutexLock lock(&mu_);
  if (handler == nullptr) {
    raw_handlers_.erase(path);
  } else {
    raw_handlers_[path] = std::make_shared<const RawHandler>(std::move(handler));
  }
}

absl::StatusOr<std::string> FakeClient::GetRaw(absl::string_view path) {
  std::shared_ptr<const RawHandler> handler;
  {
    absl::MutexLock lock(&mu_);
    auto h = raw_handlers_.find(path);
    if (h != raw_handlers_.end()) handler = h->second;
  }
  if (handler != nullptr) return (*handler)();
  absl::MutexLock lock(&mu_);
  auto it = raw_.find(path);
  if (it == raw_.end()) {
    return StatusFromHttp(404, "404 page not found", absl::StrCat("GET ", path));
  }
  return it->second;
}

}  // namespace kfed::kube
