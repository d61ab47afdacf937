#include "kube/transport.h"

#include <curl/curl.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <array>
#include <deque>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "base/logging.h"
#include "kube/backoff.h"
#include "kube/errors.h"
#include "kube/request_metrics.h"

namespace kfed::kube {
namespace {

constexpr size_t kMaxErrorBody = 64 * 1024;
constexpr absl::Duration kConnectTimeout = absl::Seconds(10);
constexpr absl::Duration kInitialBackoff = absl::Milliseconds(200);
constexpr absl::Duration kMaxBackoff = absl::Seconds(10);
constexpr absl::Duration kMaxRetryAfter = absl::Seconds(60);

// The next retry delay: 200ms doubling to 10s, up to 10% longer at random (never shorter).
absl::Duration NextDelay(std::optional<Backoff>& backoff) {
  if (!backoff.has_value()) backoff.emplace(kInitialBackoff, kMaxBackoff, kJitterUpTo10Percent);
  return backoff->Next();
}
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


}  // namespace

// One stream on the multi thread. The caller thread owns the shared_ptr until done; the
// multi thread holds another while the handle is attached.
struct StreamState {
  absl::Mutex mu;
  std::deque<std::string> chunks ABSL_GUARDED_BY(mu);
  bool done ABSL_GUARDED_BY(mu) = false;
  bool cancel ABSL_GUARDED_BY(mu) = false;
  CURLcode rc ABSL_GUARDED_BY(mu) = CURLE_OK;
  // Set by the caller's cancellation callback when its token was cancelled.
  bool stop_seen ABSL_GUARDED_BY(mu) = false;
  CURL* handle = nullptr;
};

struct Transport::Impl {
  std::string base_url;  // scheme://host:port[prefix], host replaced by tls-server-name
  std::string connect_to;  // "sni:port:host:port" when tls-server-name is set
  std::atomic<int64_t> sent{0};
  std::atomic<int64_t> connects{0};

  // The multi handle and its thread (started with the first stream).
  CURLM* multi = nullptr;
  std::thread multi_thread;
  absl::Mutex multi_mu;
  std::vector<std::shared_ptr<StreamState>> pending ABSL_GUARDED_BY(multi_mu);
  bool shutdown ABSL_GUARDED_BY(multi_mu) = false;
  bool multi_started ABSL_GUARDED_BY(multi_mu) = false;

  // Hands a configured stream to the multi thread.
  void Submit(std::shared_ptr<StreamState> st) {
    bool start = false;
    {
      absl::MutexLock lock(&multi_mu);
      pending.push_back(std::move(st));
      if (!multi_started) {
        multi_started = true;
        start = true;
      }
    }
    if (start) {
      multi_thread = std::thread([this] { MultiLoop(); });
    } else {
      curl_multi_wakeup(multi);
    }
  }

  static void Complete(StreamState& st, CURLcode rc) {
    absl::MutexLock lock(&st.mu);
    st.rc = rc;
    st.done = true;
  }

  void MultiLoop() {
    absl::flat_hash_map<CURL*, std::shared_ptr<StreamState>> active;
    for (;;) {
      std::vector<std::shared_ptr<StreamState>> added;
      {
        absl::MutexLock lock(&multi_mu);
        if (shutdown) break;
        added.swap(pending);
      }
      for (auto& st : added) {
        curl_multi_add_handle(multi, st->handle);
        active.emplace(st->handle, std::move(st));
      }
      for (auto it = active.begin(); it != active.end();) {
        bool cancel;
        {
          absl::MutexLock lock(&it->second->mu);
          cancel = it->second->cancel;
        }
        if (cancel) {
          curl_multi_remove_handle(multi, it->first);
          Complete(*it->second, CURLE_ABORTED_BY_CALLBACK);
          active.erase(it++);
        } else {
          ++it;
        }
      }
      int running = 0;
      curl_multi_perform(multi, &running);
      int left = 0;
      while (CURLMsg* msg = curl_multi_info_read(multi, &left)) {
        if (msg->msg != CURLMSG_DONE) continue;
        auto it = active.find(msg->easy_handle);
        if (it == active.end()) continue;
        CURLcode rc = msg->data.result;
        curl_multi_remove_handle(multi, it->first);
        Complete(*it->second, rc);
        active.erase(it);
      }
      curl_multi_poll(multi, nullptr, 0, /*timeout_ms=*/200, nullptr);
    }
    for (auto& [h, st] : active) {
      curl_multi_remove_handle(multi, h);
      Complete(*st, CURLE_ABORTED_BY_CALLBACK);
    }
  }

  ~Impl() {
    {
      absl::MutexLock lock(&multi_mu);
      shutdown = true;
    }
    if (multi_thread.joinable()) {
      curl_multi_wakeup(multi);
      multi_thread.join();
    }
    if (multi != nullptr) curl_multi_cleanup(multi);
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
  // TLS is verified unless a setting says otherwise; each such setting is a warning.
  if (config.insecure_skip_tls_verify) {
    LOG(WARNING) << source << ": insecure-skip-tls-verify is set: the server " << config.server
                 << " is not authenticated";
  } else {
    if (config.skip_hostname_verification) {
      LOG(WARNING) << source << ": TLS subject name verification is disabled: any certificate "
                   << "signed by the CA is accepted for " << config.server;
    }
    if (config.skip_validity_period) {
      LOG(WARNING) << source << ": TLS validity period verification is disabled: expired "
                   << "certificates are accepted for " << config.server;
    }
  }
  if (url->scheme == "http" &&
      (!config.bearer_token.empty() || !config.bearer_token_file.empty() ||
       config.exec.has_value())) {
    LOG(WARNING) << source << ": " << config.server
                 << " is plain http: credentials are sent unencrypted";
  }
  std::unique_ptr<Transport> t(new Transport(std::move(config), clock));
  Impl& impl = *t->impl_;
  impl.multi = curl_multi_init();
  curl_multi_setopt(impl.multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
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
      impl_(std::make_unique<Impl>()),
      request_host_(RequestHost(config_.server)) {
  absl::MutexLock lock(&token_mu_);
  exec_token_ = config_.bearer_token;
  exec_expiry_ = config_.exec_expiry;
}

Transport::~Transport() = default;

int64_t Transport::requests_sent() const { return impl_->sent.load(); }
int64_t Transport::connections_opened() const { return impl_->connects.load(); }

absl::Status Transport::RedactCredentials(const absl::Status& status) {
  if (status.ok()) return status;
  return RedactStatus(RedactStatus(status, config_.bearer_token), BearerToken());
}

void Transport::RefreshExecToken() {
  if (!config_.exec.has_value()) return;
  RestConfig fresh;
  absl::Status s = RunExecPlugin(*config_.exec, config_.source, fresh);
  absl::MutexLock lock(&token_mu_);
  if (!s.ok()) {
    LOG(WARNING) << s;
    // Try again soon rather than on every request.
    exec_expiry_ = clock_.Now() + absl::Seconds(10);
    return;
  }
  exec_token_ = fresh.bearer_token;
  exec_expiry_ = fresh.exec_expiry;
}

std::string Transport::BearerToken() {
  if (config_.exec.has_value()) {
    bool expired;
    {
      absl::MutexLock lock(&token_mu_);
      // Refresh a little early so a request never carries a token about to lapse.
      expired = clock_.Now() + absl::Seconds(10) >= exec_expiry_;
    }
    if (expired) RefreshExecToken();
    absl::MutexLock lock(&token_mu_);
    return exec_token_.empty() ? config_.bearer_token : exec_token_;
  }
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

// Everything a transfer's options point at; must outlive the transfer.
struct Transport::Transfer {
  std::string url;
  std::string context;
  char errbuf[CURL_ERROR_SIZE] = {0};
  HttpResponse response;
  std::function<bool(absl::string_view)> sink;  // streams only
  Exchange ex;
  std::string body;
  std::string accept, content_type, auth;
  struct curl_slist* headers = nullptr;
  struct curl_slist* connect_to = nullptr;
  struct curl_blob ca_blob, cert_blob, key_blob;
  ~Transfer() {
    curl_slist_free_all(headers);
    curl_slist_free_all(connect_to);
  }
};

void Transport::Setup(CURL* h, const HttpRequest& request, Transfer& t) {
  t.url = absl::StrCat(impl_->base_url, request.path);
  t.context = absl::StrCat(request.method, " ", config_.server, request.path);
  t.body = request.body;
  t.ex.response = &t.response;
  t.ex.on_data = t.sink ? &t.sink : nullptr;
  t.ex.handle = h;
  t.ex.want_json = absl::StrContains(request.accept, "json");
  const bool streaming = t.sink != nullptr;

  curl_easy_setopt(h, CURLOPT_URL, t.url.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, t.errbuf);
  curl_easy_setopt(h, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
  curl_easy_setopt(h, CURLOPT_USERAGENT, user_agent_.c_str());
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(absl::ToInt64Milliseconds(kConnectTimeout)));
  // Wait for an existing connection to confirm HTTP/2 and multiplex on it rather than
  // opening another one.
  curl_easy_setopt(h, CURLOPT_PIPEWAIT, 1L);
  if (!streaming) curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
  absl::Duration timeout = request.timeout == absl::ZeroDuration() ? config_.timeout : request.timeout;
  if (timeout != absl::InfiniteDuration()) {
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(absl::ToInt64Milliseconds(timeout)));
  }
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &HeaderCb);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &t.ex);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &WriteCb);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &t.ex);

  if (request.method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (request.method != "GET") {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  if (!t.body.empty() || request.method == "POST" || request.method == "PUT" ||
      request.method == "PATCH") {
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(t.body.size()));
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, t.body.data());
  }

  t.accept = absl::StrCat("Accept: ", request.accept);
  t.headers = curl_slist_append(t.headers, t.accept.c_str());
  t.headers = curl_slist_append(t.headers, "Expect:");
  if (!request.content_type.empty()) {
    t.content_type = absl::StrCat("Content-Type: ", request.content_type);
    t.headers = curl_slist_append(t.headers, t.content_type.c_str());
  }
  std::string token = BearerToken();
  if (!token.empty()) {
    t.auth = absl::StrCat("Authorization: Bearer ", token);
    t.headers = curl_slist_append(t.headers, t.auth.c_str());
  }
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, t.headers);
  if (!impl_->connect_to.empty()) {
    t.connect_to = curl_slist_append(nullptr, impl_->connect_to.c_str());
    curl_easy_setopt(h, CURLOPT_CONNECT_TO, t.connect_to);
  }
  if (!config_.proxy_url.empty()) curl_easy_setopt(h, CURLOPT_PROXY, config_.proxy_url.c_str());

  if (!config_.ca_data.empty()) {
    t.ca_blob = {const_cast<char*>(config_.ca_data.data()), config_.ca_data.size(), CURL_BLOB_NOCOPY};
    curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &t.ca_blob);
  }
  if (!config_.client_cert_data.empty()) {
    t.cert_blob = {const_cast<char*>(config_.client_cert_data.data()), config_.client_cert_data.size(), CURL_BLOB_NOCOPY};
    t.key_blob = {const_cast<char*>(config_.client_key_data.data()), config_.client_key_data.size(), CURL_BLOB_NOCOPY};
    curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &t.cert_blob);
    curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
    curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &t.key_blob);
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
}

absl::Status Transport::Finish(CURL* h, CURLcode rc, Transfer& t) {
  long code = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
  t.response.status = static_cast<int>(code);
  const std::string& context = t.context;
  if (!t.ex.content_type_error.empty()) {
    return absl::InternalError(absl::StrCat(context, ": unexpected content type \"",
                                            t.ex.content_type_error, "\" (want JSON)"));
  }
  if (rc == CURLE_ABORTED_BY_CALLBACK) {
    return absl::CancelledError(absl::StrCat(context, ": stopped"));
  }
  if (t.sink != nullptr) {
    if (t.ex.stopped_by_callback) return absl::OkStatus();
    if (code != 0 && (code < 200 || code >= 300)) {
      return RedactCredentials(StatusFromHttp(static_cast<int>(code), t.response.body, context));
    }
  }
  if (rc != CURLE_OK) return StatusFromCurl(rc, t.errbuf, context);
  return absl::OkStatus();
}

absl::Status Transport::Perform(const HttpRequest& request, HttpResponse& out) {
  // Ordinary requests also run on the multi thread, so they share the (HTTP/2) connection
  // with the watches instead of opening their own.
  auto st = std::make_shared<StreamState>();
  auto t = std::make_unique<Transfer>();
  CURL* h = curl_easy_init();
  st->handle = h;
  Setup(h, request, *t);
  impl_->sent.fetch_add(1);
  impl_->Submit(st);
  CURLcode rc;
  {
    absl::MutexLock lock(&st->mu);
    StreamState* raw = st.get();
    auto done = [raw]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(raw->mu) { return raw->done; };
    st->mu.Await(absl::Condition(&done));  // bounded by the request's curl timeout
    rc = st->rc;
  }
  long connects = 0;
  curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &connects);
  impl_->connects.fetch_add(connects);
  absl::Status s = Finish(h, rc, *t);
  curl_easy_cleanup(h);
  out = std::move(t->response);
  ReportRequestResult(out.status, request.method, request_host_);
  return s;
}

absl::StatusOr<HttpResponse> Transport::Do(const HttpRequest& request) {
  const bool idempotent = Idempotent(request.method);
  bool refreshed_401 = false;
  // Built at the first retry (a generator per call would cost on every request).
  std::optional<Backoff> backoff;
  for (int attempt = 0;; ++attempt) {
    limiter_.Wait(request.priority);
    HttpResponse response;
    absl::Status status = Perform(request, response);
    const bool last = attempt >= config_.max_retries;
    if (status.ok() && response.status == 401 && config_.exec.has_value() && !refreshed_401) {
      // The plugin's credential may have been revoked or rotated early: ask again once.
      refreshed_401 = true;
      RefreshExecToken();
      continue;
    }
    absl::Duration delay;
    if (status.ok()) {
      bool retry = response.status == 429 ||
                   (idempotent && response.status >= 500 && response.status != 501);
      if (!retry || last) return response;
      delay = NextDelay(backoff);
      int64_t seconds = 0;
      if (!response.retry_after.empty() && absl::SimpleAtoi(response.retry_after, &seconds) &&
          seconds >= 0) {
        delay = std::min(absl::Seconds(seconds), kMaxRetryAfter);
      }
      VLOG(1) << request.method << " " << request.path << ": HTTP " << response.status
              << ", retry " << attempt + 1 << " in " << delay;
    } else {
      if (!idempotent || status.code() != absl::StatusCode::kUnavailable || last) return status;
      delay = NextDelay(backoff);
      VLOG(1) << status << ", retry " << attempt + 1 << " in " << delay;
    }
    // Cancellable: a stop need not sleep through the backoff (up to 10 s, or Retry-After).
    absl::Mutex wait_mu;
    AwaitUnlessCancelled(
        clock_, wait_mu, [] { return false; }, clock_.Now() + delay,
        {request.cancel, &retries_cancelled_});
    if ((request.cancel != nullptr && request.cancel->IsCancelled()) ||
        retries_cancelled_.IsCancelled()) {
      return absl::CancelledError(absl::StrCat(
          request.method, " ", request.path, ": cancelled while waiting to retry (last attempt: ",
          status.ok() ? absl::StrCat("HTTP ", response.status) : status.ToString(), ")"));
    }
  }
}

absl::Status Transport::Stream(const HttpRequest& request,
                               const std::function<bool(absl::string_view)>& on_data,
                               const CancellationToken* stop) {
  limiter_.Wait();
  auto st = std::make_shared<StreamState>();
  auto t = std::make_unique<Transfer>();
  StreamState* raw = st.get();
  // Runs on the multi thread: queue the bytes for the caller's thread.
  t->sink = [raw](absl::string_view data) {
    absl::MutexLock lock(&raw->mu);
    if (raw->cancel) return false;
    raw->chunks.emplace_back(data.data(), data.size());
    return true;
  };
  CURL* h = curl_easy_init();
  st->handle = h;
  Setup(h, request, *t);
  impl_->sent.fetch_add(1);
  impl_->Submit(st);

  // Cancelling `stop` wakes the wait below. Declared after `st`, so it is removed (waiting for
  // a running callback) before `st` may go.
  ScopedCancellationCallback on_cancel(stop, [raw] {
    absl::MutexLock lock(&raw->mu);
    raw->stop_seen = true;
  });
  bool cancelled_by_us = false;
  bool handler_stopped = false;
  std::deque<std::string> batch;
  for (;;) {
    bool done;
    {
      absl::MutexLock lock(&st->mu);
      auto ready = [raw]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(raw->mu) {
        return !raw->chunks.empty() || raw->done || (raw->stop_seen && !raw->cancel);
      };
      st->mu.Await(absl::Condition(&ready));
      batch.swap(st->chunks);
      done = st->done;
    }
    for (const std::string& chunk : batch) {
      if (handler_stopped) break;
      if (!on_data(chunk)) handler_stopped = true;
    }
    batch.clear();
    if (done) break;
    if (handler_stopped || (stop != nullptr && stop->IsCancelled())) {
      if (!cancelled_by_us) {
        cancelled_by_us = true;
        absl::MutexLock lock(&st->mu);
        st->cancel = true;
      }
      curl_multi_wakeup(impl_->multi);
    }
  }
  CURLcode rc;
  {
    absl::MutexLock lock(&st->mu);
    rc = st->rc;
  }
  long connects = 0;
  curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &connects);
  impl_->connects.fetch_add(connects);
  absl::Status s;
  if (handler_stopped) {
    s = absl::OkStatus();
  } else if (cancelled_by_us) {
    s = absl::CancelledError(absl::StrCat(t->context, ": stopped"));
  } else {
    s = Finish(h, rc, *t);
  }
  // One result per watch, when it ends (a stopped watch too: the server did answer).
  long code = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
  ReportRequestResult(static_cast<int>(code), request.method, request_host_);
  curl_easy_cleanup(h);
  return s;
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
