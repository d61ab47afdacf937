// The dashboard's HTTP API over the status store, plus the dashboard's embedded assets. The
// controller manager serves it on its metrics server (controller/http_server.h); it is kept
// here, free of any HTTP library, so it is tested without sockets.
//
// JSON is protobuf's JSON mapping of status.proto's messages (lowerCamelCase field names,
// every field printed even when empty or zero, enums by name). int64 fields (revisions,
// generations, timestamps in ms) are JSON strings, as the mapping says; double fields are
// numbers.
//
// Every /api/v1 call needs "Authorization: Bearer <token>" and sees only what the host's RBAC
// lets the token's user see (status/access.h): 401 (with WWW-Authenticate) without a valid
// token, 403 when RBAC forbids, 503 when the host cannot be asked. Lists and watches leave
// out what the caller may not see; the dashboard's files are served to anyone (they hold no
// data: the page asks for a token and calls the API with it).
//
//   GET /api/v1/version                     GetVersionResponse
//   GET /api/v1/whoami                      {"username":"...","groups":[...]}
//   GET /api/v1/clusters                    ListClustersResponse (403 without `list` on
//                                           kubefedclusters in the federation namespace)
//   GET /api/v1/objects?type=&namespace=&state=
//                                           ListObjectsResponse
//   GET /api/v1/object?type=&namespace=&name=&cluster=
//                                           GetObjectResponse; 404 {"error":...} when unknown
//   GET /api/v1/watch?resume_from=N&timeout_seconds=T
//       long poll (T default 25, at most 60): {"events":[WatchEvent...],"revision":"R"} as soon
//       as a change after N exists, or at the timeout with no events and the current revision.
//       resume_from=0 (or absent) returns the current state as ADDED events and a BOOKMARK at
//       once. Pass the returned revision as the next resume_from. 410 {"error":...} when N is
//       older than the history (or from an earlier process): list again.
//   GET /                                   the dashboard (index.html)
//   GET /<file>                             any other dashboard asset; 404 when unknown
// Errors are {"error":"..."} with 400 (bad parameters), 401, 403, 404, 410 or 503.
#ifndef KFED_STATUS_HTTP_API_H_
#define KFED_STATUS_HTTP_API_H_

#include <map>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "status/access.h"
#include "status/store.h"

namespace kfed::status {

struct HttpReply {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::map<std::string, std::string> headers;  // besides Content-Type
};

// An absl::Status from AccessControl as an HTTP error reply (401 with WWW-Authenticate,
// 403, 503; 500 for anything else).
HttpReply AccessErrorReply(const absl::Status& status);

class HttpApi {
 public:
  // `store` and `access` must outlive the API. `version` is GetVersion's answer.
  HttpApi(StatusStore& store, AccessControl& access, std::string version);

  // Answers GET `path` (without the query) with the decoded query parameters and the
  // request's Authorization header ("" when absent). Blocks in /api/v1/watch for at most
  // its timeout (or until the store closes), and while the host reviews a token or access.
  HttpReply Get(absl::string_view path, const std::map<std::string, std::string>& params,
                absl::string_view authorization) const;

  // Long-poll limits of /api/v1/watch.
  static constexpr absl::Duration kDefaultWatchTimeout = absl::Seconds(25);
  static constexpr absl::Duration kMaxWatchTimeout = absl::Seconds(60);

 private:
  HttpReply Api(absl::string_view path, const std::map<std::string, std::string>& params,
                const Caller& caller) const;
  HttpReply Watch(const std::map<std::string, std::string>& params, const Caller& caller) const;
  HttpReply Object(const std::map<std::string, std::string>& params, const Caller& caller) const;

  StatusStore& store_;
  AccessControl& access_;
  const std::string version_;
};

// Protobuf's JSON mapping as the API uses it (lowerCamelCase, every field printed).
std::string ToJson(const google::protobuf::Message& message);

}  // namespace kfed::status

#endif  // KFED_STATUS_HTTP_API_H_
