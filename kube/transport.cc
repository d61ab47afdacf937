#include "kube/transport.h"

#include <curl/curl.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <mutex>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "base/logging.h"
#include "kube/errors.h"

namespace kfed::kube {
namespace {

constexpr size_t kMaxErrorBody = 64 * 1024;
constexpr absl::Duration kConnectTimeout = absl::Seconds(10);
constexpr absl::Duration kInitialBackoff = absl::Milliseconds(200);
constexpr absl::Duration kMaxBackoff = absl::Seconds(10);
constexpr absl::Duration kMaxRetryAfter = absl::Seconds(60);
constexpr absl::Duration kTokenFileRefresh = absl::Minutes(1);

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

bool Idempotent(absl::string_view method) {
  return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE" ||
         method == "OPTIONS";
}

// Splits "https://host:port/prefix" into its parts.
struct ServerUrl {
  std::string scheme, host, port, prefix;
};

absl::StatusOr<ServerUrl> ParseServer(absl::string_view server, absl::string_view source) {
  ServerUrl u;
  absl::string_view rest = server;
  if (absl::ConsumePrefix(&rest, "https://")) {
    u.scheme = "https";
  } else if (absl::ConsumePrefix(&rest, "http://")) {
    u.scheme = "http";
  } else {
    return absl::InvalidArgumentError(absl::StrCat(source, ": server \"", server, "\" is not an http(s) URL"));
  }
  size_t slash = rest.find('/');
  absl::string_view hostport = rest.substr(0, slash);
  if (slash != absl::string_view::npos) {
    u.prefix = std::string(absl::StripSuffix(rest.substr(slash), "/"));
  }
  size_t colon = hostport.rfind(':');
  size_t bracket = hostport.rfind(']');
  if (colon != absl::string_view::npos && (bracket == absl::string_view::npos || colon > bracket)) {
    u.host = std::string(hostport.substr(0, colon));
    u.port = std::string(hostport.substr(colon + 1));
  } else {
    u.host = std::string(hostport);
    u.port = u.scheme == "https" ? "443" : "80";
  }
  if (u.host.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": server \"", server, "\" has no host"));
  }
  return u;
}

CURLcode NoCheckTime(CURL*, void* ssl_ctx, void*) {
  X509_STORE* store = SSL_CTX_get_cert_store(static_cast<SSL_CTX*>(ssl_ctx));
  X509_STORE_set_flags(store, X509_V_FLAG_NO_CHECK_TIME);
  return CURLE_OK;
}

// Per-request state the curl callbacks write into.
struct Exchange {
  HttpResponse* response = nullptr;
  const std::function<bool(absl::string_view)>* on_data = nullptr;
  const absl::Notification* stop = nullptr;
  CURL* handle = nullptr;
  bool want_json = false;
  bool checked = false;      // status/content type inspected (streams)
  bool passing = false;      // streaming body to on_data
  bool stopped_by_callback = false;
  std::string content_type_error;
};

size_t HeaderCb(char* data, size_t size, size_t n, void* user) {
  auto* ex = static_cast<Exchange*>(user);
  absl::string_view line(data, size * n);
  if (absl::StartsWith(line, "HTTP/")) {  // a new header block (after 100 Continue etc.)
    ex->response->content_type.clear();
    ex->response->retry_after.clear();
    return size * n;
  }
  size_t colon = line.find(':');
  if (colon == absl::string_view::npos) return size * n;
  std::string name = absl::AsciiStrToLower(line.substr(0, colon));
  absl::string_view value = absl::StripAsciiWhitespace(line.substr(colon + 1));
  if (name == "content-type") ex->response->content_type = std::string(value);
  if (name == "retry-after") ex->response->retry_after = std::string(value);
  return size * n;
}

size_t WriteCb(char* data, size_t size, size_t n, void* user) {
  auto* ex = static_cast<Exchange*>(user);
  size_t len = size * n;
  if (ex->on_data == nullptr) {
    ex->response->body.append(data, len);
    return len;
  }
  if (!ex->checked) {
    ex->checked = true;
    long code = 0;
    curl_easy_getinfo(ex->handle, CURLINFO_RESPONSE_CODE, &code);
    ex->response->status = static_cast<int>(code);
    if (code >= 200 && code < 300) {
      const std::string& ct = ex->response->content_type;
      if (ex->want_json && !ct.empty() && !absl::StrContains(ct, "json")) {
        ex->content_type_error = ct;
        return 0;
      }
      ex->passing = true;
    }
  }
  if (!ex->passing) {
    if (ex->response->body.size() < kMaxErrorBody) ex->response->body.append(data, len);
    return len;
  }
  if (!(*ex->on_data)(absl::string_view(data, len))) {
    ex->stopped_by_callback = true;
    return 0;
  }
  return len;
}

int ProgressCb(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* ex = static_cast<Exchange*>(user);
  return ex->stop != nullptr && ex->stop->HasBeenNotified() ? 1 : 0;
}

}  // namespace

struct Transport::Impl {
  CURLSH* share = nullptr;
  std::array<absl::Mutex, CURL_LOCK_DATA_LAST> share_mu;
  std::string base_url;  // scheme://host:port[prefix], host replaced by tls-server-name
  std::string connect_to;  // "sni:port:host:port" when tls-server-name is set
  absl::Mutex pool_mu;
  std::vector<CURL*> idle ABSL_GUARDED_BY(pool_mu);
  std::atomic<int64_t> sent{0};

  // curl locks and unlocks in separate callbacks, which the analysis cannot follow.
  static void Lock(CURL*, curl_lock_data data, curl_lock_access, void* user)
      ABSL_NO_THREAD_SAFETY_ANALYSIS {
    static_cast<Impl*>(user)->share_mu[data].Lock();
  }
  static void Unlock(CURL*, curl_lock_data data, void* user) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    static_cast<Impl*>(user)->share_mu[data].Unlock();
  }

  CURL* Acquire() {
    {
      absl::MutexLock lock(&pool_mu);
      if (!idle.empty()) {
        CURL* h = idle.back();
        idle.pop_back();
        return h;
      }
    }
    return curl_easy_init();
  }
  void Release(CURL* h) {
    absl::MutexLock lock(&pool_mu);
    idle.push_back(h);
  }
  ~Impl() {
    for (CURL* h : idle) curl_easy_cleanup(h);
    if (share != nullptr) curl_share_cleanup(share);
  }
};

absl::StatusOr<std::unique_ptr<Transport>> Transport::Create(RestConfig config, Clock& clock) {
  GlobalInit();
  std::string source = config.source.empty() ? "rest config" : config.source;
  absl::StatusOr<ServerUrl> url = ParseServer(config.server, source);
  if (!url.ok()) return url.status();
  if (!config.ca_data.empty()) {
    absl::Status s = ValidatePemCertificates(config.ca_data, absl::StrCat(source, ": CA data"));
    if (!s.ok()) return s;
  }
  if (!config.client_cert_data.empty()) {
    absl::Status s = ValidatePemCertificates(config.client_cert_data, absl::StrCat(source, ": client certificate"));
    if (!s.ok()) return s;
    s = ValidatePemPrivateKey(config.client_key_data, absl::StrCat(source, ": client key"));
    if (!s.ok()) return s;
  }
  if (config.insecure_skip_tls_verify) {
    LOG(WARNING) << source << ": insecure-skip-tls-verify is set: the server " << config.server
                 << " is not authenticated";
  }
  std::unique_ptr<Transport> t(new Transport(std::move(config), clock));
  Impl& impl = *t->impl_;
  impl.share = curl_share_init();
  curl_share_setopt(impl.share, CURLSHOPT_LOCKFUNC, &Impl::Lock);
  curl_share_setopt(impl.share, CURLSHOPT_UNLOCKFUNC, &Impl::Unlock);
  curl_share_setopt(impl.share, CURLSHOPT_USERDATA, &impl);
  curl_share_setopt(impl.share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
  curl_share_setopt(impl.share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  curl_share_setopt(impl.share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  const std::string& sni = t->config_.tls_server_name;
  std::string host = sni.empty() ? url->host : sni;
  impl.base_url = absl::StrCat(url->scheme, "://", host, ":", url->port, url->prefix);
  if (!sni.empty()) {
    std::string target = url->host;
    impl.connect_to = absl::StrCat(sni, ":", url->port, ":", target, ":", url->port);
  }
  return t;
}

Transport::Transport(RestConfig config, Clock& clock)
    : config_(std::move(config)),
      clock_(clock),
      limiter_(config_.qps, config_.burst, clock),
      user_agent_(config_.user_agent.empty() ? absl::StrCat("kfed/", kKfedVersion, " (linux)")
                                             : config_.user_agent),
      impl_(std::make_unique<Impl>()) {}

Transport::~Transport() = default;

int64_t Transport::requests_sent() const { return impl_->sent.load(); }

std::string Transport::BearerToken() {
  if (config_.bearer_token_file.empty()) return config_.bearer_token;
  absl::MutexLock lock(&token_mu_);
  absl::Time now = clock_.Now();
  if (now - file_token_read_ >= kTokenFileRefresh) {
    std::ifstream in(config_.bearer_token_file);
    if (in) {
      std::stringstream ss;
      ss << in.rdbuf();
      file_token_ = std::string(absl::StripAsciiWhitespace(ss.str()));
      file_token_read_ = now;
    } else if (file_token_.empty()) {
      LOG(WARNING) << "cannot read token file " << config_.bearer_token_file;
    }
  }
  return file_token_.empty() ? config_.bearer_token : file_token_;
}

absl::Status Transport::Perform(const HttpRequest& request, HttpResponse& out,
                                const std::function<bool(absl::string_view)>* on_data,
                                const absl::Notification* stop) {
  CURL* h = impl_->Acquire();
  curl_easy_reset(h);
  std::string url = absl::StrCat(impl_->base_url, request.path);
  std::string context = absl::StrCat(request.method, " ", config_.server, request.path);
  char errbuf[CURL_ERROR_SIZE];
  errbuf[0] = '\0';
  Exchange ex;
  ex.response = &out;
  ex.on_data = on_data;
  ex.stop = stop;
  ex.handle = h;
  ex.want_json = absl::StrContains(request.accept, "json");

  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_SHARE, impl_->share);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
  curl_easy_setopt(h, CURLOPT_USERAGENT, user_agent_.c_str());
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(absl::ToInt64Milliseconds(kConnectTimeout)));
  absl::Duration timeout = request.timeout == absl::ZeroDuration() ? config_.timeout : request.timeout;
  if (timeout != absl::InfiniteDuration()) {
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(absl::ToInt64Milliseconds(timeout)));
  }
  if (on_data == nullptr) curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &HeaderCb);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &ex);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &WriteCb);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &ex);
  curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, &ProgressCb);
  curl_easy_setopt(h, CURLOPT_XFERINFODATA, &ex);

  if (request.method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (request.method != "GET") {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  if (!request.body.empty() || request.method == "POST" || request.method == "PUT" ||
      request.method == "PATCH") {
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.data());
  }

  struct curl_slist* headers = nullptr;
  std::string accept = absl::StrCat("Accept: ", request.accept);
  headers = curl_slist_append(headers, accept.c_str());
  headers = curl_slist_append(headers, "Expect:");
  std::string content_type;
  if (!request.content_type.empty()) {
    content_type = absl::StrCat("Content-Type: ", request.content_type);
    headers = curl_slist_append(headers, content_type.c_str());
  }
  std::string auth;
  std::string token = BearerToken();
  if (!token.empty()) {
    auth = absl::StrCat("Authorization: Bearer ", token);
    headers = curl_slist_append(headers, auth.c_str());
  }
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  struct curl_slist* connect_to = nullptr;
  if (!impl_->connect_to.empty()) {
    connect_to = curl_slist_append(nullptr, impl_->connect_to.c_str());
    curl_easy_setopt(h, CURLOPT_CONNECT_TO, connect_to);
  }
  if (!config_.proxy_url.empty()) curl_easy_setopt(h, CURLOPT_PROXY, config_.proxy_url.c_str());

  // TLS.
  struct curl_blob ca_blob, cert_blob, key_blob;
  if (!config_.ca_data.empty()) {
    ca_blob = {const_cast<char*>(config_.ca_data.data()), config_.ca_data.size(), CURL_BLOB_NOCOPY};
    curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &ca_blob);
  }
  if (!config_.client_cert_data.empty()) {
    cert_blob = {const_cast<char*>(config_.client_cert_data.data()), config_.client_cert_data.size(), CURL_BLOB_NOCOPY};
    key_blob = {const_cast<char*>(config_.client_key_data.data()), config_.client_key_data.size(), CURL_BLOB_NOCOPY};
    curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &cert_blob);
    curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
    curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &key_blob);
    curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
  }
  if (config_.insecure_skip_tls_verify) {
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
  } else {
    if (config_.skip_hostname_verification) curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    if (config_.skip_validity_period) {
      curl_easy_setopt(h, CURLOPT_SSL_CTX_FUNCTION, &NoCheckTime);
    }
  }

  impl_->sent.fetch_add(1);
  CURLcode rc = curl_easy_perform(h);
  long code = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
  // Unhook everything that points at this stack frame before the handle goes back.
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(h, CURLOPT_CONNECT_TO, nullptr);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, nullptr);
  curl_slist_free_all(headers);
  curl_slist_free_all(connect_to);
  impl_->Release(h);
  out.status = static_cast<int>(code);

  if (!ex.content_type_error.empty()) {
    return absl::InternalError(absl::StrCat(context, ": unexpected content type \"",
                                            ex.content_type_error, "\" (want JSON)"));
  }
  if (on_data != nullptr) {
    if (ex.stopped_by_callback) return absl::OkStatus();
    if (rc == CURLE_ABORTED_BY_CALLBACK) return absl::CancelledError(absl::StrCat(context, ": stopped"));
    if (code != 0 && (code < 200 || code >= 300)) return StatusFromHttp(static_cast<int>(code), out.body, context);
    if (rc != CURLE_OK) return StatusFromCurl(rc, errbuf, context);
    return absl::OkStatus();
  }
  if (rc != CURLE_OK) {
    if (rc == CURLE_ABORTED_BY_CALLBACK) return absl::CancelledError(absl::StrCat(context, ": stopped"));
    return StatusFromCurl(rc, errbuf, context);
  }
  return absl::OkStatus();
}

absl::StatusOr<HttpResponse> Transport::Do(const HttpRequest& request) {
  const bool idempotent = Idempotent(request.method);
  absl::Duration backoff = kInitialBackoff;
  for (int attempt = 0;; ++attempt) {
    limiter_.Wait();
    HttpResponse response;
    absl::Status status = Perform(request, response, nullptr, nullptr);
    const bool last = attempt >= config_.max_retries;
    absl::Duration delay = backoff;
    backoff = std::min(backoff * 2, kMaxBackoff);
    if (status.ok()) {
      bool retry = response.status == 429 ||
                   (idempotent && response.status >= 500 && response.status != 501);
      if (!retry || last) return response;
      int64_t seconds = 0;
      if (!response.retry_after.empty() && absl::SimpleAtoi(response.retry_after, &seconds) &&
          seconds >= 0) {
        delay = std::min(absl::Seconds(seconds), kMaxRetryAfter);
      }
      VLOG(1) << request.method << " " << request.path << ": HTTP " << response.status
              << ", retry " << attempt + 1 << " in " << delay;
    } else {
      if (!idempotent || status.code() != absl::StatusCode::kUnavailable || last) return status;
      VLOG(1) << status << ", retry " << attempt + 1 << " in " << delay;
    }
    clock_.SleepFor(delay);
  }
}

absl::Status Transport::Stream(const HttpRequest& request,
                               const std::function<bool(absl::string_view)>& on_data,
                               const absl::Notification* stop) {
  limiter_.Wait();
  HttpResponse response;
  return Perform(request, response, &on_data, stop);
}

std::string QueryEscape(absl::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size());
  for (unsigned char c : value) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace kfed::kube
