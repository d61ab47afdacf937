#include "kube/errors.h"

#include <curl/curl.h>

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "base/logging.h"

namespace kfed::kube {
namespace {

constexpr size_t kMaxBodyInMessage = 256;

std::string ReasonForCode(int http_code) {
  switch (http_code) {
    case 400: return "BadRequest";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "NotFound";
    case 405: return "MethodNotAllowed";
    case 406: return "NotAcceptable";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 415: return "UnsupportedMediaType";
    case 422: return "Invalid";
    case 429: return "TooManyRequests";
    case 500: return "InternalError";
    case 503: return "ServiceUnavailable";
    case 504: return "Timeout";
    default: return "";
  }
}

absl::Status Make(absl::StatusCode code, std::string message, absl::string_view reason,
                  int http_code) {
  absl::Status status(code, message);
  if (!reason.empty()) status.SetPayload(kReasonPayloadUrl, absl::Cord(reason));
  if (http_code != 0) status.SetPayload(kHttpCodePayloadUrl, absl::Cord(absl::StrCat(http_code)));
  return status;
}

}  // namespace

absl::StatusCode CodeFor(int http_code, absl::string_view reason) {
  if (reason == "NotFound") return absl::StatusCode::kNotFound;
  if (reason == "AlreadyExists") return absl::StatusCode::kAlreadyExists;
  if (reason == "Conflict") return absl::StatusCode::kAborted;
  if (reason == "Gone" || reason == "Expired") return absl::StatusCode::kOutOfRange;
  if (reason == "Invalid" || reason == "BadRequest") return absl::StatusCode::kInvalidArgument;
  if (reason == "Unauthorized") return absl::StatusCode::kUnauthenticated;
  if (reason == "Forbidden") return absl::StatusCode::kPermissionDenied;
  if (reason == "TooManyRequests") return absl::StatusCode::kResourceExhausted;
  if (reason == "Timeout" || reason == "ServerTimeout") return absl::StatusCode::kDeadlineExceeded;
  if (reason == "ServiceUnavailable") return absl::StatusCode::kUnavailable;
  if (reason == "MethodNotAllowed") return absl::StatusCode::kUnimplemented;
  switch (http_code) {
    case 400: case 406: case 415: case 422: return absl::StatusCode::kInvalidArgument;
    case 401: return absl::StatusCode::kUnauthenticated;
    case 403: return absl::StatusCode::kPermissionDenied;
    case 404: return absl::StatusCode::kNotFound;
    case 405: return absl::StatusCode::kUnimplemented;
    case 408: case 504: return absl::StatusCode::kDeadlineExceeded;
    case 409: return absl::StatusCode::kAborted;
    case 410: return absl::StatusCode::kOutOfRange;
    case 429: return absl::StatusCode::kResourceExhausted;
    case 500: return absl::StatusCode::kInternal;
    default: break;
  }
  if (http_code >= 500) return absl::StatusCode::kUnavailable;
  if (http_code >= 400) return absl::StatusCode::kFailedPrecondition;
  return absl::StatusCode::kUnknown;
}

absl::Status StatusFromKubeStatus(const rapidjson::Value& status, absl::string_view context) {
  std::string reason = json::GetString(status, "reason");
  std::string message = json::GetString(status, "message");
  int code = 0;
  if (const rapidjson::Value* c = json::Find(status, "code"); c != nullptr && c->IsInt()) {
    code = c->GetInt();
  }
  if (reason.empty()) reason = ReasonForCode(code);
  if (message.empty()) message = reason.empty() ? "unknown error" : reason;
  std::string text = context.empty() ? message : absl::StrCat(context, ": ", message);
  if (code != 0 && (reason.empty() || reason == ReasonForCode(code))) {
    absl::StrAppend(&text, " (HTTP ", code, ")");
  } else if (code != 0) {
    absl::StrAppend(&text, " (HTTP ", code, " ", reason, ")");
  }
  return Make(CodeFor(code, reason), std::move(text), reason, code);
}

absl::Status StatusFromHttp(int http_code, absl::string_view body, absl::string_view context) {
  if (http_code >= 200 && http_code < 300) return absl::OkStatus();
  absl::StatusOr<rapidjson::Document> doc = json::Parse(body);
  if (doc.ok() && doc->IsObject() && json::GetString(*doc, "kind") == "Status") {
    if (const rapidjson::Value* c = json::Find(*doc, "code"); c == nullptr || !c->IsInt()) {
      doc->AddMember("code", http_code, doc->GetAllocator());
    }
    return StatusFromKubeStatus(*doc, context);
  }
  std::string reason = ReasonForCode(http_code);
  std::string snippet(body.substr(0, kMaxBodyInMessage));
  absl::StripAsciiWhitespace(&snippet);
  std::string text = absl::StrCat(context, ": HTTP ", http_code,
                                   reason.empty() ? "" : absl::StrCat(" ", reason));
  if (!snippet.empty()) {
    absl::StrAppend(&text, ": ", snippet, body.size() > kMaxBodyInMessage ? "..." : "");
  }
  return Make(CodeFor(http_code, reason), std::move(text), reason, http_code);
}

absl::Status StatusFromCurl(int curl_code, absl::string_view detail, absl::string_view context) {
  auto code = static_cast<CURLcode>(curl_code);
  std::string text = absl::StrCat(context, ": ",
                                  detail.empty() ? curl_easy_strerror(code) : detail);
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return absl::DeadlineExceededError(text);
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
      return absl::FailedPreconditionError(text);
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return absl::InvalidArgumentError(text);
    case CURLE_ABORTED_BY_CALLBACK:
      return absl::CancelledError(text);
    default:
      return absl::UnavailableError(text);
  }
}

absl::Status RedactStatus(const absl::Status& status, const std::string& secret) {
  if (status.ok() || secret.empty()) return status;
  std::string message = Redact(std::string(status.message()), secret);
  if (message == status.message()) return status;
  absl::Status out(status.code(), message);
  status.ForEachPayload([&out](absl::string_view url, const absl::Cord& payload) {
    out.SetPayload(url, payload);
  });
  return out;
}

std::string Reason(const absl::Status& status) {
  absl::optional<absl::Cord> p = status.GetPayload(kReasonPayloadUrl);
  return p.has_value() ? std::string(*p) : "";
}

int HttpCode(const absl::Status& status) {
  absl::optional<absl::Cord> p = status.GetPayload(kHttpCodePayloadUrl);
  int code = 0;
  if (p.has_value() && absl::SimpleAtoi(std::string(*p), &code)) return code;
  return 0;
}

absl::Status WithReason(absl::Status status, absl::string_view reason, int http_code) {
  if (!reason.empty()) status.SetPayload(kReasonPayloadUrl, absl::Cord(reason));
  if (http_code != 0) status.SetPayload(kHttpCodePayloadUrl, absl::Cord(absl::StrCat(http_code)));
  return status;
}

absl::Status NotFoundError(absl::string_view resource, absl::string_view name) {
  return Make(absl::StatusCode::kNotFound, absl::StrCat(resource, " \"", name, "\" not found"),
              "NotFound", 404);
}
absl::Status AlreadyExistsError(absl::string_view resource, absl::string_view name) {
  return Make(absl::StatusCode::kAlreadyExists,
              absl::StrCat(resource, " \"", name, "\" already exists"), "AlreadyExists", 409);
}
absl::Status ConflictError(absl::string_view message) {
  return Make(absl::StatusCode::kAborted, std::string(message), "Conflict", 409);
}
absl::Status GoneError(absl::string_view message) {
  return Make(absl::StatusCode::kOutOfRange, std::string(message), "Expired", 410);
}
absl::Status InvalidError(absl::string_view message) {
  return Make(absl::StatusCode::kInvalidArgument, std::string(message), "Invalid", 422);
}

bool IsNotFound(const absl::Status& s) { return s.code() == absl::StatusCode::kNotFound; }
bool IsAlreadyExists(const absl::Status& s) {
  return s.code() == absl::StatusCode::kAlreadyExists;
}
bool IsConflict(const absl::Status& s) { return s.code() == absl::StatusCode::kAborted; }
bool IsGone(const absl::Status& s) { return s.code() == absl::StatusCode::kOutOfRange; }
bool IsInvalid(const absl::Status& s) { return s.code() == absl::StatusCode::kInvalidArgument; }
bool IsForbidden(const absl::Status& s) {
  return s.code() == absl::StatusCode::kPermissionDenied;
}
bool IsUnauthorized(const absl::Status& s) {
  return s.code() == absl::StatusCode::kUnauthenticated;
}
bool IsTooManyRequests(const absl::Status& s) {
  return s.code() == absl::StatusCode::kResourceExhausted;
}
bool IsTimeout(const absl::Status& s) { return s.code() == absl::StatusCode::kDeadlineExceeded; }
bool IsRetryable(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kDeadlineExceeded:
      return true;
    default:
      return false;
  }
}

}  // namespace kfed::kube
