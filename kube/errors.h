// The one place where Kubernetes API failures become absl::Status values.
//
// Mapping (HTTP code, or the `reason` of a metav1.Status body when present):
//   404 NotFound                       -> kNotFound
//   409 AlreadyExists                  -> kAlreadyExists
//   409 Conflict (and other 409s)      -> kAborted          (optimistic-concurrency conflict)
//   410 Gone / reason Expired          -> kOutOfRange       (resourceVersion too old: relist)
//   400 BadRequest                     -> kInvalidArgument
//   422 Invalid                        -> kInvalidArgument
//   401 Unauthorized                   -> kUnauthenticated
//   403 Forbidden                      -> kPermissionDenied
//   405 MethodNotAllowed               -> kUnimplemented
//   406/415 NotAcceptable/Unsupported  -> kInvalidArgument
//   429 TooManyRequests                -> kResourceExhausted
//   500 InternalError                  -> kInternal
//   502/503 ServiceUnavailable         -> kUnavailable
//   504 / reason Timeout, ServerTimeout-> kDeadlineExceeded
//   client-side timeouts               -> kDeadlineExceeded
//   connection/TLS failures            -> kUnavailable
// The Kubernetes `reason` ("NotFound", "Conflict", ...) travels as a payload under
// kReasonPayloadUrl and the HTTP code under kHttpCodePayloadUrl; the message is the
// server's message prefixed with the request context. Messages never contain credentials.
#ifndef KFED_KUBE_ERRORS_H_
#define KFED_KUBE_ERRORS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "rapidjson/document.h"

namespace kfed::kube {

inline constexpr absl::string_view kReasonPayloadUrl = "kfed.io/kube/reason";
inline constexpr absl::string_view kHttpCodePayloadUrl = "kfed.io/kube/http-code";

// Builds the status for an HTTP response. `body` may be a metav1.Status JSON (its reason,
// message and code are used) or anything else (truncated into the message). `context`
// names the request, e.g. `GET /api/v1/namespaces/x/pods/y`.
absl::Status StatusFromHttp(int http_code, absl::string_view body, absl::string_view context);

// Builds the status for a metav1.Status object (e.g. a watch ERROR event).
absl::Status StatusFromKubeStatus(const rapidjson::Value& status, absl::string_view context);

// Builds the status for a libcurl failure (`curl_code` is a CURLcode; `detail` is curl's
// error buffer, which holds no credentials). Timeouts -> kDeadlineExceeded; TLS
// verification failures (bad CA, expired or misnamed certificate) -> kFailedPrecondition
// (not retried); other connection failures -> kUnavailable.
absl::Status StatusFromCurl(int curl_code, absl::string_view detail, absl::string_view context);

// The absl code for an HTTP code and optional Kubernetes reason.
absl::StatusCode CodeFor(int http_code, absl::string_view reason);

// The Kubernetes reason carried by `status` ("" when none).
std::string Reason(const absl::Status& status);
// The HTTP code carried by `status` (0 when none).
int HttpCode(const absl::Status& status);

// Returns `status` with every occurrence of `secret` in its message replaced by
// "<redacted>" (kfed::Redact), keeping code and payloads. Used on errors that quote a
// server's response body, in case a proxy echoes the request's credentials.
absl::Status RedactStatus(const absl::Status& status, const std::string& secret);

// Returns `status` with a Kubernetes reason attached (for the fake client and tests).
absl::Status WithReason(absl::Status status, absl::string_view reason, int http_code);

// Constructors in Kubernetes terms, used by the fake client.
absl::Status NotFoundError(absl::string_view resource, absl::string_view name);
absl::Status AlreadyExistsError(absl::string_view resource, absl::string_view name);
absl::Status ConflictError(absl::string_view message);
absl::Status GoneError(absl::string_view message);
absl::Status InvalidError(absl::string_view message);

// Call these qualified (`kube::IsNotFound(s)`): absl has same-named predicates that
// argument-dependent lookup would otherwise also find.
bool IsNotFound(const absl::Status& status);
bool IsAlreadyExists(const absl::Status& status);
// An optimistic-concurrency conflict (409 Conflict): re-read and retry.
bool IsConflict(const absl::Status& status);
// The requested resourceVersion is too old (410 Gone / Expired): relist.
bool IsGone(const absl::Status& status);
bool IsInvalid(const absl::Status& status);
bool IsForbidden(const absl::Status& status);
bool IsUnauthorized(const absl::Status& status);
bool IsTooManyRequests(const absl::Status& status);
bool IsTimeout(const absl::Status& status);
// Transient: worth retrying later (429, 5xx, timeouts, connection failures).
bool IsRetryable(const absl::Status& status);

}  // namespace kfed::kube

#endif  // KFED_KUBE_ERRORS_H_
