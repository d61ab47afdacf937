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
  return HttpReply{status, "application/json", json::Serialize(doc)};
}

HttpReply Json(const google::protobuf::Message& message) {
  return HttpReply{200, "application/json", ToJson(message)};
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

HttpApi::HttpApi(StatusStore& store, std::string version)
    : store_(store), version_(std::move(version)) {}

HttpReply HttpApi::Get(absl::string_view path,
                       const std::map<std::string, std::string>& params) const {
  if (path == "/api/v1/version") {
    v1::GetVersionResponse response;
    response.set_version(version_);
    return Json(response);
  }
  if (path == "/api/v1/clusters") return Json(store_.ListClusters());
  if (path == "/api/v1/objects") {
    v1::ListObjectsRequest request;
    request.set_type(Param(params, "type"));
    request.set_namespace_(Param(params, "namespace"));
    request.set_state(Param(params, "state"));
    if (!request.state().empty() && !IsClusterState(request.state())) {
      return Error(400, absl::StrCat("state \"", request.state(),
                                     "\": want Propagated, Pending, Error or Deleting"));
    }
    return Json(store_.ListObjects(request));
  }
  if (path == "/api/v1/object") return Object(params);
  if (path == "/api/v1/watch") return Watch(params);
  if (absl::StartsWith(path, "/api/")) return Error(404, absl::StrCat("no API at ", path));

  const Asset* asset = FindDashboardAsset(path == "/" ? "/index.html" : path);
  if (asset == nullptr) return Error(404, absl::StrCat("no dashboard file ", path));
  return HttpReply{200, std::string(asset->content_type), std::string(asset->data)};
}

HttpReply HttpApi::Object(const std::map<std::string, std::string>& params) const {
  v1::GetObjectRequest request;
  request.mutable_ref()->set_type(Param(params, "type"));
  request.mutable_ref()->set_namespace_(Param(params, "namespace"));
  request.mutable_ref()->set_name(Param(params, "name"));
  request.set_cluster(Param(params, "cluster"));
  if (request.ref().type().empty() || request.ref().name().empty()) {
    return Error(400, "type and name are required (namespace and cluster are optional)");
  }
  absl::StatusOr<v1::GetObjectResponse> response = store_.GetObject(request);
  if (!response.ok()) {
    return Error(absl::IsNotFound(response.status()) ? 404 : 500, response.status().message());
  }
  return Json(*response);
}

HttpReply HttpApi::Watch(const std::map<std::string, std::string>& params) const {
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
  std::vector<std::string> events;
  events.reserve(batch->events.size());
  for (const EventPtr& e : batch->events) events.push_back(ToJson(*e));
  return HttpReply{200, "application/json",
                   absl::StrCat("{\"events\":[", absl::StrJoin(events, ","), "],\"revision\":\"",
                                batch->revision, "\"}")};
}

}  // namespace kfed::status
