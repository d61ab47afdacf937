#include "status/http_api.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/json.h"
#include "google/protobuf/util/json_util.h"
#include "status/dashboard_assets.h"

namespace kfed::status {

namespace {

HttpReply Error(int status, absl::string_view message) {
  rapidjson::Document doc(rapidjson::kObjectType);
  json::SetString(doc, "error", message, doc.GetAllocator());
  return HttpReply{status, "application/json", json::Serialize(doc), {}};
}

HttpReply Json(const google::protobuf::Message& message) {
  return HttpReply{200, "application/json", ToJson(message), {}};
}

std::string Param(const std::map<std::string, std::string>& params, const std::string& name) {
  auto it = params.find(name);
  return it == params.end() ? "" : it->second;
}

}  // namespace

std::string ToJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = false;
  std::string out;
  // Only fails for malformed Any or non-UTF-8 strings; status strings come from JSON.
  (void)google::protobuf::util::MessageToJsonString(message, &out, options);
  return out;
}

HttpReply AccessErrorReply(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kUnauthenticated: {
      HttpReply reply = Error(401, status.message());
      reply.headers["WWW-Authenticate"] = "Bearer realm=\"kfed\"";
      return reply;
    }
    case absl::StatusCode::kPermissionDenied:
      return Error(403, status.message());
    case absl::StatusCode::kUnavailable:
      return Error(503, status.message());
    default:
      return Error(500, status.message());
  }
}

HttpApi::HttpApi(StatusStore& store, AccessControl& access, std::string version)
    : store_(store), access_(access), version_(std::move(version)) {}

HttpReply HttpApi::Get(absl::string_view path, const std::map<std::string, std::string>& params,
                       absl::string_view authorization) const {
  if (absl::StartsWith(path, "/api/")) {
    absl::StatusOr<Caller> caller = access_.Authenticate(authorization);
    if (!caller.ok()) return AccessErrorReply(caller.status());
    return Api(path, params, *caller);
  }
  const Asset* asset = FindDashboardAsset(path == "/" ? "/index.html" : path);
  if (asset == nullptr) return Error(404, absl::StrCat("no dashboard file ", path));
  return HttpReply{200, std::string(asset->content_type), std::string(asset->data), {}};
}

HttpReply HttpApi::Api(absl::string_view path, const std::map<std::string, std::string>& params,
                       const Caller& caller) const {
  if (path == "/api/v1/version") {
    v1::GetVersionResponse response;
    response.set_version(version_);
    return Json(response);
  }
  if (path == "/api/v1/whoami") {
    rapidjson::Document doc(rapidjson::kObjectType);
    auto& allocator = doc.GetAllocator();
    json::SetString(doc, "username", caller.username, allocator);
    rapidjson::Value groups(rapidjson::kArrayType);
    for (const std::string& g : caller.groups) {
      groups.PushBack(rapidjson::Value(g.c_str(), allocator), allocator);
    }
    doc.AddMember("groups", groups, allocator);
    return HttpReply{200, "application/json", json::Serialize(doc), {}};
  }
  if (path == "/api/v1/clusters") {
    absl::Status allowed = access_.MayListClusters(caller);
    if (!allowed.ok()) return AccessErrorReply(allowed);
    return Json(store_.ListClusters());
  }
  if (path == "/api/v1/objects") {
    v1::ListObjectsRequest request;
    request.set_type(Param(params, "type"));
    request.set_namespace_(Param(params, "namespace"));
    request.set_state(Param(params, "state"));
    if (!request.state().empty() && !IsClusterState(request.state())) {
      return Error(400, absl::StrCat("state \"", request.state(),
                                     "\": want Propagated, Pending, Error or Deleting"));
    }
    v1::ListObjectsResponse all = store_.ListObjects(request);
    v1::ListObjectsResponse visible;
    visible.set_revision(all.revision());
    for (v1::FederatedObject& o : *all.mutable_objects()) {
      absl::StatusOr<bool> seen = access_.MaySeeObject(caller, o.ref());
      if (!seen.ok()) return AccessErrorReply(seen.status());
      if (*seen) *visible.add_objects() = std::move(o);
    }
    return Json(visible);
  }
  if (path == "/api/v1/schedulingpreferences") {
    v1::ListSchedulingPreferencesRequest request;
    request.set_namespace_(Param(params, "namespace"));
    absl::StatusOr<v1::ListSchedulingPreferencesResponse> visible =
        VisibleSchedulingPreferences(store_, access_, caller, request);
    if (!visible.ok()) return AccessErrorReply(visible.status());
    return Json(*visible);
  }
  if (path == "/api/v1/multiclusterservices") {
    v1::ListMultiClusterServicesRequest request;
    request.set_namespace_(Param(params, "namespace"));
    absl::StatusOr<v1::ListMultiClusterServicesResponse> visible =
        VisibleMultiClusterServices(store_, access_, caller, request);
    if (!visible.ok()) return AccessErrorReply(visible.status());
    return Json(*visible);
  }
  if (path == "/api/v1/object") return Object(params, caller);
  if (path == "/api/v1/watch") return Watch(params, caller);
  return Error(404, absl::StrCat("no API at ", path));
}

HttpReply HttpApi::Object(const std::map<std::string, std::string>& params,
                          const Caller& caller) const {
  v1::GetObjectRequest request;
  request.mutable_ref()->set_type(Param(params, "type"));
  request.mutable_ref()->set_namespace_(Param(params, "namespace"));
  request.mutable_ref()->set_name(Param(params, "name"));
  request.set_cluster(Param(params, "cluster"));
  if (request.ref().type().empty() || request.ref().name().empty()) {
    return Error(400, "type and name are required (namespace and cluster are optional)");
  }
  absl::Status allowed = access_.MayGetObject(caller, request.ref());
  if (!allowed.ok()) return AccessErrorReply(allowed);
  absl::StatusOr<v1::GetObjectResponse> response = store_.GetObject(request);
  if (!response.ok()) {
    return Error(absl::IsNotFound(response.status()) ? 404 : 500, response.status().message());
  }
  return Json(*response);
}

HttpReply HttpApi::Watch(const std::map<std::string, std::string>& params,
                         const Caller& caller) const {
  int64_t resume_from = 0;
  const std::string resume = Param(params, "resume_from");
  if (!resume.empty() && (!absl::SimpleAtoi(resume, &resume_from) || resume_from < 0)) {
    return Error(400, absl::StrCat("resume_from \"", resume, "\" is not a revision"));
  }
  absl::Duration timeout = kDefaultWatchTimeout;
  const std::string t = Param(params, "timeout_seconds");
  if (!t.empty()) {
    double seconds = 0;
    if (!absl::SimpleAtod(t, &seconds) || !(seconds >= 0)) {
      return Error(400, absl::StrCat("timeout_seconds \"", t, "\" is not a number of seconds"));
    }
    timeout = std::min(absl::Seconds(seconds), kMaxWatchTimeout);
  }
  absl::StatusOr<EventBatch> batch = store_.EventsAfter(resume_from);
  if (batch.ok() && batch->events.empty() && timeout > absl::ZeroDuration()) {
    store_.AwaitRevisionAfter(resume_from, timeout);
    batch = store_.EventsAfter(resume_from);
  }
  if (!batch.ok()) return Error(410, batch.status().message());
  // Cluster events only for callers who may list clusters; objects as in /api/v1/objects.
  // The revision still moves past what was left out, so the next poll resumes after it.
  std::optional<bool> clusters;
  std::vector<std::string> events;
  events.reserve(batch->events.size());
  for (const EventPtr& e : batch->events) {
    if (e->has_cluster()) {
      if (!clusters.has_value()) {
        absl::Status allowed = access_.MayListClusters(caller);
        if (!allowed.ok() && !absl::IsPermissionDenied(allowed)) return AccessErrorReply(allowed);
        clusters = allowed.ok();
      }
      if (!*clusters) continue;
    } else if (e->has_object()) {
      absl::StatusOr<bool> seen = access_.MaySeeObject(caller, e->object().ref());
      if (!seen.ok()) return AccessErrorReply(seen.status());
      if (!*seen) continue;
    }
    events.push_back(ToJson(*e));
  }
  return HttpReply{200, "application/json",
                   absl::StrCat("{\"events\":[", absl::StrJoin(events, ","), "],\"revision\":\"",
                                batch->revision, "\"}"),
                   {}};
}

}  // namespace kfed::status
