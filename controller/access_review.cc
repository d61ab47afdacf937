#include "controller/access_review.h"

#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "kube/errors.h"

namespace kfed::controller {
namespace {

// A failure to ask, with what an operator can do about it.
absl::Status CannotAsk(const absl::Status& status, absl::string_view resource) {
  if (kube::IsForbidden(status) || absl::IsUnauthenticated(status)) {
    return absl::UnavailableError(
        absl::StrCat("kfed's host credentials may not create ", resource, " (",
                     status.message(), "); apply config/rbac/host/cluster.yaml"));
  }
  return absl::UnavailableError(absl::StrCat("creating a ", resource, ": ", status.message()));
}

rapidjson::Value Strings(const std::vector<std::string>& values,
                         rapidjson::Document::AllocatorType& a) {
  rapidjson::Value array(rapidjson::kArrayType);
  for (const std::string& v : values) array.PushBack(rapidjson::Value(v.c_str(), a), a);
  return array;
}

}  // namespace

kube::GroupVersionResource TokenReviewsResource() {
  return {"authentication.k8s.io", "v1", "tokenreviews", false, "TokenReview"};
}

kube::GroupVersionResource SubjectAccessReviewsResource() {
  return {"authorization.k8s.io", "v1", "subjectaccessreviews", false, "SubjectAccessReview"};
}

absl::StatusOr<status::Caller> HostAccessReviewer::ReviewToken(const std::string& token) {
  rapidjson::Document review(rapidjson::kObjectType);
  auto& a = review.GetAllocator();
  json::SetString(review, "apiVersion", "authentication.k8s.io/v1", a);
  json::SetString(review, "kind", "TokenReview", a);
  json::SetString(json::EnsureObject(review, "spec", a), "token", token, a);
  absl::StatusOr<kube::ObjectPtr> done =
      host_.Create(TokenReviewsResource(), "", review, kube::WriteOptions{});
  if (!done.ok()) return CannotAsk(done.status(), "tokenreviews.authentication.k8s.io");
  const rapidjson::Value* status = json::Find(**done, "status");
  const rapidjson::Value* authenticated =
      status == nullptr ? nullptr : json::Find(*status, "authenticated");
  if (authenticated == nullptr || !authenticated->IsBool() || !authenticated->GetBool()) {
    std::string why = status == nullptr ? "" : json::GetString(*status, "error");
    return absl::UnauthenticatedError(
        why.empty() ? "invalid bearer token" : absl::StrCat("invalid bearer token: ", why));
  }
  status::Caller caller;
  if (const rapidjson::Value* user = json::Find(*status, "user");
      user != nullptr && user->IsObject()) {
    caller.username = json::GetString(*user, "username");
    caller.uid = json::GetString(*user, "uid");
    if (const rapidjson::Value* groups = json::Find(*user, "groups");
        groups != nullptr && groups->IsArray()) {
      for (const rapidjson::Value& g : groups->GetArray()) {
        if (g.IsString()) caller.groups.emplace_back(g.GetString(), g.GetStringLength());
      }
    }
    if (const rapidjson::Value* extra = json::Find(*user, "extra");
        extra != nullptr && extra->IsObject()) {
      for (const auto& m : extra->GetObject()) {
        std::vector<std::string>& values = caller.extra[m.name.GetString()];
        if (!m.value.IsArray()) continue;
        for (const rapidjson::Value& v : m.value.GetArray()) {
          if (v.IsString()) values.emplace_back(v.GetString(), v.GetStringLength());
        }
      }
    }
  }
  if (caller.username.empty()) {
    return absl::UnauthenticatedError("the host authenticated the token but named no user");
  }
  return caller;
}

absl::StatusOr<bool> HostAccessReviewer::ReviewAccess(const status::Caller& caller,
                                                      const status::AccessAttributes& attributes) {
  rapidjson::Document review(rapidjson::kObjectType);
  auto& a = review.GetAllocator();
  json::SetString(review, "apiVersion", "authorization.k8s.io/v1", a);
  json::SetString(review, "kind", "SubjectAccessReview", a);
  rapidjson::Value& spec = json::EnsureObject(review, "spec", a);
  json::SetString(spec, "user", caller.username, a);
  if (!caller.uid.empty()) json::SetString(spec, "uid", caller.uid, a);
  spec.AddMember("groups", Strings(caller.groups, a), a);
  if (!caller.extra.empty()) {
    rapidjson::Value extra(rapidjson::kObjectType);
    for (const auto& [name, values] : caller.extra) {
      extra.AddMember(rapidjson::Value(name.c_str(), a), Strings(values, a), a);
    }
    spec.AddMember("extra", extra, a);
  }
  if (!attributes.path.empty()) {
    rapidjson::Value& n = json::EnsureObject(spec, "nonResourceAttributes", a);
    json::SetString(n, "path", attributes.path, a);
    json::SetString(n, "verb", attributes.verb, a);
  } else {
    rapidjson::Value& r = json::EnsureObject(spec, "resourceAttributes", a);
    json::SetString(r, "verb", attributes.verb, a);
    json::SetString(r, "group", attributes.group, a);
    json::SetString(r, "resource", attributes.resource, a);
    if (!attributes.ns.empty()) json::SetString(r, "namespace", attributes.ns, a);
    if (!attributes.name.empty()) json::SetString(r, "name", attributes.name, a);
  }
  absl::StatusOr<kube::ObjectPtr> done =
      host_.Create(SubjectAccessReviewsResource(), "", review, kube::WriteOptions{});
  if (!done.ok()) return CannotAsk(done.status(), "subjectaccessreviews.authorization.k8s.io");
  const rapidjson::Value* allowed = json::FindPath(**done, {"status", "allowed"});
  return allowed != nullptr && allowed->IsBool() && allowed->GetBool();
}

}  // namespace kfed::controller
