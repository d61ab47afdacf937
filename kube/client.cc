#include "kube/client.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "base/json.h"
#include "base/logging.h"
#include "base/status_macros.h"
#include "kube/errors.h"

namespace kfed::kube {
namespace {

// Builds "?a=b&c=d", skipping empty values.
class Query {
 public:
  Query& Add(absl::string_view key, absl::string_view value) {
    if (value.empty()) return *this;
    absl::StrAppend(&q_, q_.empty() ? "?" : "&", key, "=", QueryEscape(value));
    return *this;
  }
  const std::string& str() const { return q_; }

 private:
  std::string q_;
};

absl::string_view PatchContentType(PatchType type) {
  switch (type) {
    case PatchType::kJson: return "application/json-patch+json";
    case PatchType::kMerge: return "application/merge-patch+json";
    case PatchType::kStrategicMerge: return "application/strategic-merge-patch+json";
    case PatchType::kApply: return "application/apply-patch+yaml";
  }
  return "";
}

std::string DeleteBody(const DeleteOptions& o) {
  rapidjson::Document d(rapidjson::kObjectType);
  auto& a = d.GetAllocator();
  json::SetString(d, "apiVersion", "v1", a);
  json::SetString(d, "kind", "DeleteOptions", a);
  if (!o.propagation_policy.empty()) json::SetString(d, "propagationPolicy", o.propagation_policy, a);
  if (o.grace_period_seconds.has_value()) {
    d.AddMember("gracePeriodSeconds", static_cast<int64_t>(*o.grace_period_seconds), a);
  }
  if (!o.precondition_uid.empty() || !o.precondition_resource_version.empty()) {
    rapidjson::Value& p = json::EnsureObject(d, "preconditions", a);
    if (!o.precondition_uid.empty()) json::SetString(p, "uid", o.precondition_uid, a);
    if (!o.precondition_resource_version.empty()) {
      json::SetString(p, "resourceVersion", o.precondition_resource_version, a);
    }
  }
  if (o.dry_run) {
    rapidjson::Value arr(rapidjson::kArrayType);
    arr.PushBack(rapidjson::Value("All", a), a);
    d.AddMember("dryRun", arr, a);
  }
  return json::Serialize(d);
}

std::string ListQuery(const ListOptions& o) {
  Query q;
  q.Add("labelSelector", o.label_selector).Add("fieldSelector", o.field_selector);
  if (o.limit > 0) q.Add("limit", absl::StrCat(o.limit));
  q.Add("continue", o.continue_token).Add("resourceVersion", o.resource_version);
  return q.str();
}

}  // namespace

absl::string_view WatchEventTypeName(WatchEventType type) {
  switch (type) {
    case WatchEventType::kAdded: return "ADDED";
    case WatchEventType::kModified: return "MODIFIED";
    case WatchEventType::kDeleted: return "DELETED";
    case WatchEventType::kBookmark: return "BOOKMARK";
    case WatchEventType::kError: return "ERROR";
  }
  return "?";
}

absl::StatusOr<WatchEvent> DecodeWatchEvent(absl::string_view line) {
  // RapidJSON needs about twice the text; one chunk avoids a second, mostly empty one.
  ObjectBuilder b(std::max<size_t>(512, line.size() * 2 + 256));
  rapidjson::Document& d = b.doc();
  if (absl::Status parsed = json::ParseInto(line, d); !parsed.ok()) {
    return absl::InternalError(absl::StrCat("malformed watch event ", parsed.message()));
  }
  if (!d.IsObject()) return absl::InternalError("malformed watch event: not an object");
  auto t = d.FindMember("type");
  auto o = d.FindMember("object");
  if (t == d.MemberEnd() || !t->value.IsString() || o == d.MemberEnd() || !o->value.IsObject()) {
    return absl::InternalError("malformed watch event: want {\"type\": string, \"object\": {...}}");
  }
  absl::string_view type(t->value.GetString(), t->value.GetStringLength());
  WatchEvent event;
  if (type == "ADDED") {
    event.type = WatchEventType::kAdded;
  } else if (type == "MODIFIED") {
    event.type = WatchEventType::kModified;
  } else if (type == "DELETED") {
    event.type = WatchEventType::kDeleted;
  } else if (type == "BOOKMARK") {
    event.type = WatchEventType::kBookmark;
  } else if (type == "ERROR") {
    event.type = WatchEventType::kError;
  } else {
    return absl::InternalError(absl::StrCat("malformed watch event: unknown type \"", type, "\""));
  }
  // Make the object the document's root; its memory already lives in the document's pool.
  rapidjson::Value object;
  object.Swap(o->value);
  static_cast<rapidjson::Value&>(d).Swap(object);
  event.object = std::move(b).Finish();
  return event;
}

absl::Status WatchDecoder::Feed(absl::string_view data, const WatchHandler& handler) {
  if (stopped_) return absl::OkStatus();
  buffer_.append(data.data(), data.size());
  size_t start = 0;
  for (;;) {
    size_t nl = buffer_.find('\n', start);
    if (nl == std::string::npos) break;
    absl::string_view line = absl::StripAsciiWhitespace(
        absl::string_view(buffer_).substr(start, nl - start));
    start = nl + 1;
    if (line.empty()) continue;
    absl::StatusOr<WatchEvent> event = DecodeWatchEvent(line);
    if (!event.ok()) {
      buffer_.clear();
      return event.status();
    }
    if (!handler(*event)) {
      stopped_ = true;
      buffer_.clear();
      return absl::OkStatus();
    }
  }
  buffer_.erase(0, start);
  return absl::OkStatus();
}

absl::StatusOr<ObjectList> DecodeList(absl::string_view body) {
  rapidjson::Document d;
  if (absl::Status parsed = json::ParseInto(body, d); !parsed.ok()) {
    return absl::InternalError(absl::StrCat("malformed list ", parsed.message()));
  }
  const rapidjson::Value* items = json::Find(d, "items");
  if (items == nullptr || !(items->IsArray() || items->IsNull())) {
    return absl::InternalError("malformed list: no items array");
  }
  ObjectList out;
  if (const rapidjson::Value* meta = json::Find(d, "metadata")) {
    out.resource_version = json::GetString(*meta, "resourceVersion");
    out.continue_token = json::GetString(*meta, "continue");
    if (const rapidjson::Value* r = json::Find(*meta, "remainingItemCount"); r && r->IsInt64()) {
      out.remaining_item_count = r->GetInt64();
    }
  }
  if (items->IsNull()) return out;
  // Items of built-in lists come without apiVersion/kind; fill them in like client-go's
  // dynamic client so every snapshot is self-describing.
  std::string api_version = json::GetString(d, "apiVersion");
  std::string kind = json::GetString(d, "kind");
  if (absl::EndsWith(kind, "List")) kind.resize(kind.size() - 4);
  out.items.reserve(items->Size());
  // Size each snapshot's pool for a typical item of this list: RapidJSON needs about twice
  // the JSON text; an item that needs more gets a second chunk.
  const size_t chunk = std::max<size_t>(512, body.size() / std::max<size_t>(1, items->Size()) * 2 + 256);
  for (auto& item : const_cast<rapidjson::Value*>(items)->GetArray()) {
    if (!item.IsObject()) return absl::InternalError("malformed list: an item is not an object");
    ObjectBuilder b(chunk);
    rapidjson::Document& doc = b.doc();
    // CopyFrom sizes every member array exactly (AddMember would start at 16 members).
    doc.CopyFrom(item, b.alloc());
    if (!doc.HasMember("apiVersion") && !api_version.empty()) {
      doc.AddMember("apiVersion", rapidjson::Value(api_version, b.alloc()), b.alloc());
    }
    if (!doc.HasMember("kind") && !kind.empty()) {
      doc.AddMember("kind", rapidjson::Value(kind, b.alloc()), b.alloc());
    }
    out.items.push_back(std::move(b).Finish());
  }
  return out;
}

absl::StatusOr<std::unique_ptr<RestClient>> RestClient::Create(RestConfig config, Clock& clock) {
  ASSIGN_OR_RETURN(std::unique_ptr<Transport> t, Transport::Create(std::move(config), clock));
  return std::make_unique<RestClient>(std::move(t));
}

RestClient::RestClient(std::unique_ptr<Transport> transport) : transport_(std::move(transport)) {}

absl::StatusOr<HttpResponse> RestClient::Call(HttpRequest request) {
  ASSIGN_OR_RETURN(HttpResponse r, transport_->Do(request));
  std::string context = absl::StrCat(request.method, " ", transport_->config().server, request.path);
  if (r.status < 200 || r.status >= 300) {
    return transport_->RedactCredentials(StatusFromHttp(r.status, r.body, context));
  }
  if (request.accept == "application/json" && !r.content_type.empty() &&
      !absl::StrContains(r.content_type, "json")) {
    return absl::InternalError(absl::StrCat(context, ": unexpected content type \"",
                                            r.content_type, "\" (want JSON)"));
  }
  return r;
}

absl::StatusOr<ObjectPtr> RestClient::CallForObject(HttpRequest request) {
  std::string context = absl::StrCat(request.method, " ", transport_->config().server, request.path);
  ASSIGN_OR_RETURN(HttpResponse r, Call(std::move(request)));
  absl::StatusOr<ObjectPtr> obj = ParseObject(r.body);
  if (!obj.ok()) {
    return absl::InternalError(absl::StrCat(context, ": ", obj.status().message()));
  }
  return obj;
}

absl::StatusOr<ObjectPtr> RestClient::Get(const GroupVersionResource& gvr, absl::string_view ns,
                                          absl::string_view name) {
  HttpRequest r;
  r.path = gvr.ObjectPath(ns, name);
  return CallForObject(std::move(r));
}

absl::StatusOr<ObjectList> RestClient::List(const GroupVersionResource& gvr, absl::string_view ns,
                                            const ListOptions& options) {
  HttpRequest r;
  r.path = absl::StrCat(gvr.CollectionPath(ns), ListQuery(options));
  std::string context = absl::StrCat("GET ", transport_->config().server, r.path);
  ASSIGN_OR_RETURN(HttpResponse resp, Call(std::move(r)));
  absl::StatusOr<ObjectList> list = DecodeList(resp.body);
  if (!list.ok()) return absl::InternalError(absl::StrCat(context, ": ", list.status().message()));
  return list;
}

absl::StatusOr<ObjectPtr> RestClient::Create(const GroupVersionResource& gvr, absl::string_view ns,
                                             const rapidjson::Value& object,
                                             const WriteOptions& options) {
  std::string n = ns.empty() ? Namespace(object) : std::string(ns);
  HttpRequest r;
  r.method = "POST";
  r.path = absl::StrCat(gvr.CollectionPath(n), Query()
                                                   .Add("fieldManager", options.field_manager)
                                                   .Add("dryRun", options.dry_run ? "All" : "")
                                                   .str());
  r.body = json::Serialize(object);
  r.content_type = "application/json";
  r.priority = options.priority;
  return CallForObject(std::move(r));
}

absl::StatusOr<ObjectPtr> RestClient::Put(const GroupVersionResource& gvr, absl::string_view ns,
                                          const rapidjson::Value& object,
                                          const WriteOptions& options,
                                          absl::string_view subresource) {
  std::string n = ns.empty() ? Namespace(object) : std::string(ns);
  std::string name = Name(object);
  if (name.empty()) return absl::InvalidArgumentError("update: object has no metadata.name");
  HttpRequest r;
  r.method = "PUT";
  r.path = absl::StrCat(gvr.ObjectPath(n, name, subresource),
                        Query()
                            .Add("fieldManager", options.field_manager)
                            .Add("dryRun", options.dry_run ? "All" : "")
                            .str());
  r.body = json::Serialize(object);
  r.content_type = "application/json";
  r.priority = options.priority;
  return CallForObject(std::move(r));
}

absl::StatusOr<ObjectPtr> RestClient::Update(const GroupVersionResource& gvr, absl::string_view ns,
                                             const rapidjson::Value& object,
                                             const WriteOptions& options) {
  return Put(gvr, ns, object, options, "");
}

absl::StatusOr<ObjectPtr> RestClient::UpdateStatus(const GroupVersionResource& gvr,
                                                   absl::string_view ns,
                                                   const rapidjson::Value& object,
                                                   const WriteOptions& options) {
  return Put(gvr, ns, object, options, "status");
}

absl::StatusOr<ObjectPtr> RestClient::Patch(const GroupVersionResource& gvr, absl::string_view ns,
                                            absl::string_view name, PatchType type,
                                            absl::string_view patch, const PatchOptions& options,
                                            absl::string_view subresource) {
  if (type == PatchType::kApply && options.field_manager.empty()) {
    return absl::InvalidArgumentError("server-side apply needs a field manager");
  }
  HttpRequest r;
  r.method = "PATCH";
  Query q;
  q.Add("fieldManager", options.field_manager).Add("dryRun", options.dry_run ? "All" : "");
  if (type == PatchType::kApply && options.force) q.Add("force", "true");
  r.path = absl::StrCat(gvr.ObjectPath(ns, name, subresource), q.str());
  r.body = std::string(patch);
  r.content_type = std::string(PatchContentType(type));
  return CallForObject(std::move(r));
}

absl::Status RestClient::Delete(const GroupVersionResource& gvr, absl::string_view ns,
                                absl::string_view name, const DeleteOptions& options) {
  HttpRequest r;
  r.method = "DELETE";
  r.path = gvr.ObjectPath(ns, name);
  r.body = DeleteBody(options);
  r.content_type = "application/json";
  return Call(std::move(r)).status();
}

absl::Status RestClient::DeleteCollection(const GroupVersionResource& gvr, absl::string_view ns,
                                          const DeleteOptions& options,
                                          const ListOptions& list_options) {
  HttpRequest r;
  r.method = "DELETE";
  r.path = absl::StrCat(gvr.CollectionPath(ns), ListQuery(list_options));
  r.body = DeleteBody(options);
  r.content_type = "application/json";
  return Call(std::move(r)).status();
}

absl::Status RestClient::Watch(const GroupVersionResource& gvr, absl::string_view ns,
                               const WatchOptions& options, const WatchHandler& handler,
                               const CancellationToken* stop) {
  Query q;
  q.Add("watch", "true")
      .Add("allowWatchBookmarks", options.allow_bookmarks ? "true" : "")
      .Add("resourceVersion", options.resource_version)
      .Add("labelSelector", options.label_selector)
      .Add("fieldSelector", options.field_selector);
  if (options.timeout_seconds > 0) q.Add("timeoutSeconds", absl::StrCat(options.timeout_seconds));
  HttpRequest r;
  r.path = absl::StrCat(gvr.CollectionPath(ns), q.str());
  // The server ends the watch after timeoutSeconds; the client gives up a little later so
  // that a silently dead connection cannot hang a watch forever.
  r.timeout = options.timeout_seconds > 0 ? absl::Seconds(options.timeout_seconds + 30)
                                          : absl::InfiniteDuration();
  std::string context = absl::StrCat("WATCH ", transport_->config().server, r.path);
  WatchDecoder decoder;
  absl::Status decode_error;
  absl::Status s = transport_->Stream(r, [&](absl::string_view data) {
    decode_error = decoder.Feed(data, handler);
    return decode_error.ok() && !decoder.stopped();
  }, stop);
  if (!decode_error.ok()) return absl::InternalError(absl::StrCat(context, ": ", decode_error.message()));
  if (!s.ok()) return s;
  if (!decoder.stopped() && decoder.buffered() > 0) {
    return absl::UnavailableError(absl::StrCat(context, ": stream ended in the middle of an event (",
                                               decoder.buffered(), " bytes)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> RestClient::GetRaw(absl::string_view path) {
  HttpRequest r;
  r.path = std::string(path);
  r.accept = "application/json, */*";
  ASSIGN_OR_RETURN(HttpResponse resp, Call(std::move(r)));
  return std::move(resp.body);
}

absl::StatusOr<std::string> RestClient::GetRawAs(absl::string_view path,
                                                 absl::string_view accept) {
  HttpRequest r;
  r.path = std::string(path);
  r.accept = std::string(accept);
  ASSIGN_OR_RETURN(HttpResponse resp, Call(std::move(r)));
  return std::move(resp.body);
}

}  // namespace kfed::kube
