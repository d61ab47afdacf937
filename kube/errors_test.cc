#include "kube/errors.h"

#include "gtest/gtest.h"

namespace kfed::kube {
namespace {

struct Case {
  int http;
  std::string body;
  absl::StatusCode code;
  std::string reason;
  std::string message;  // exact status message
};

TEST(ErrorsTest, MapsHttpAndStatusBodies) {
  const Case cases[] = {
      {404,
       R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"configmaps \"x\" not found","reason":"NotFound","code":404})",
       absl::StatusCode::kNotFound, "NotFound", "GET /x: configmaps \"x\" not found (HTTP 404)"},
      {409, R"({"kind":"Status","message":"exists","reason":"AlreadyExists","code":409})",
       absl::StatusCode::kAlreadyExists, "AlreadyExists", "GET /x: exists (HTTP 409 AlreadyExists)"},
      {409, R"({"kind":"Status","message":"modified","reason":"Conflict","code":409})",
       absl::StatusCode::kAborted, "Conflict", "GET /x: modified (HTTP 409)"},
      {410, R"({"kind":"Status","message":"too old","reason":"Expired","code":410})",
       absl::StatusCode::kOutOfRange, "Expired", "GET /x: too old (HTTP 410 Expired)"},
      {422, R"({"kind":"Status","message":"bad name","reason":"Invalid","code":422})",
       absl::StatusCode::kInvalidArgument, "Invalid", "GET /x: bad name (HTTP 422)"},
      {403, R"({"kind":"Status","message":"no","reason":"Forbidden"})",
       absl::StatusCode::kPermissionDenied, "Forbidden", "GET /x: no (HTTP 403)"},
      {401, "Unauthorized", absl::StatusCode::kUnauthenticated, "Unauthorized",
       "GET /x: HTTP 401 Unauthorized: Unauthorized"},
      {429, "", absl::StatusCode::kResourceExhausted, "TooManyRequests",
       "GET /x: HTTP 429 TooManyRequests"},
      {500, "boom", absl::StatusCode::kInternal, "InternalError",
       "GET /x: HTTP 500 InternalError: boom"},
      {503, "", absl::StatusCode::kUnavailable, "ServiceUnavailable",
       "GET /x: HTTP 503 ServiceUnavailable"},
      {502, "", absl::StatusCode::kUnavailable, "", "GET /x: HTTP 502"},
      {504, R"({"kind":"Status","message":"slow","reason":"Timeout","code":504})",
       absl::StatusCode::kDeadlineExceeded, "Timeout", "GET /x: slow (HTTP 504)"},
  };
  for (const Case& c : cases) {
    absl::Status s = StatusFromHttp(c.http, c.body, "GET /x");
    EXPECT_EQ(s.code(), c.code) << c.body;
    EXPECT_EQ(Reason(s), c.reason) << c.body;
    EXPECT_EQ(s.message(), c.message);
    EXPECT_EQ(HttpCode(s), c.http);
  }
}

TEST(ErrorsTest, Predicates) {
  EXPECT_TRUE(kube::IsNotFound(NotFoundError("configmaps", "a")));
  EXPECT_TRUE(kube::IsAlreadyExists(AlreadyExistsError("configmaps", "a")));
  EXPECT_TRUE(kube::IsConflict(ConflictError("x")));
  EXPECT_TRUE(kube::IsGone(GoneError("x")));
  EXPECT_TRUE(kube::IsInvalid(InvalidError("x")));
  EXPECT_TRUE(kube::IsRetryable(StatusFromHttp(503, "", "x")));
  EXPECT_TRUE(kube::IsTooManyRequests(StatusFromHttp(429, "", "x")));
  EXPECT_FALSE(kube::IsRetryable(StatusFromHttp(404, "", "x")));
  EXPECT_TRUE(StatusFromHttp(200, "", "x").ok());
}

TEST(ErrorsTest, LongBodiesAreTruncated) {
  absl::Status s = StatusFromHttp(500, std::string(10000, 'a'), "GET /x");
  EXPECT_LT(s.message().size(), 300u);
}

}  // namespace
}  // namespace kfed::kube
