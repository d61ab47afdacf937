#include "cli/status.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/security/tls_certificate_verifier.h>
#include <grpcpp/security/tls_credentials_options.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/json.h"
#include "base/status_macros.h"
#include "base/yaml_json.h"
#include "cli/bearer_token.h"

namespace kfed::cli {

namespace v1 = ::kfed::status::v1;

namespace {

// How long one unary call may take; the API answers from memory.
constexpr absl::Duration kCallTimeout = absl::Seconds(15);

std::string TokenOrigin(const StatusOptions& options) {
  return options.token_origin.empty() ? "the token" : options.token_origin;
}

// Whether gRPC's message describes a failed connection (rather than a server's answer). The
// controller's own UNAVAILABLE (it could not ask the host to review the token) may quote the
// host's connection error, so its words are checked first.
bool ConnectionFailed(absl::string_view message) {
  const std::string lower = absl::AsciiStrToLower(message);
  for (absl::string_view s : {"host api server", "review", "try again later"}) {
    if (absl::StrContains(lower, s)) return false;
  }
  for (absl::string_view s : {"failed to connect", "socket closed", "connection reset",
                              "connections to all backends failing", "dns resolution failed",
                              "broken pipe", "end of tcp stream", "connection refused"}) {
    if (absl::StrContains(lower, s)) return true;
  }
  return false;
}

bool TlsFailed(absl::string_view message) {
  const std::string lower = absl::AsciiStrToLower(message);
  return absl::StrContains(lower, "handshake") || absl::StrContains(lower, "certificate") ||
         absl::StrContains(lower, "ssl");
}

absl::Status FromGrpc(const grpc::Status& status, const StatusOptions& options) {
  if (status.ok()) return absl::OkStatus();
  const auto code = static_cast<absl::StatusCode>(status.error_code());
  const std::string& message = status.error_message();
  switch (code) {
    case absl::StatusCode::kUnauthenticated:
      return absl::UnauthenticatedError(absl::StrCat(
          "the status API at ", options.status_addr, " rejected ", TokenOrigin(options), ": ",
          message,
          " (check --host-cluster-context or pass --token; the token must be one the "
          "host cluster accepts, e.g. from `kubectl -n NAMESPACE create token SERVICEACCOUNT`)"));
    case absl::StatusCode::kPermissionDenied:
      return absl::PermissionDeniedError(
          absl::StrCat("the status API at ", options.status_addr, " refused ", TokenOrigin(options),
                       ": ", message,
                       " (the host's RBAC does not let this user read it: ask for get/list on the "
                       "federated types, or use another --host-cluster-context or --token)"));
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      break;
    default:
      return absl::Status(code, absl::StrCat("status API at ", options.status_addr, ": ", message));
  }
  if (TlsFailed(message) && !options.plaintext) {
    return absl::UnavailableError(absl::StrCat(
        "cannot reach the kfed status API at ", options.status_addr, ": the TLS handshake failed (",
        message,
        "). Verify the server with --status-ca-file FILE (the controller manager's "
        "certificate, e.g. ca.crt in its --cert-dir), or pass --insecure-skip-tls-verify; for "
        "a controller manager started with --insecure-local, pass --plaintext"));
  }
  if (code == absl::StatusCode::kUnavailable && !ConnectionFailed(message)) {
    // The server answered: it could not check the token with the host cluster.
    return absl::UnavailableError(absl::StrCat(
        "the status API at ", options.status_addr, " is unavailable: ", message,
        " (it checks tokens with the host cluster's TokenReview API: try again when the host "
        "is reachable)"));
  }
  return absl::UnavailableError(absl::StrCat(
      "cannot reach the kfed status API at ", options.status_addr, " (", message,
      "): is kfed-controller-manager running, with --status-addr? Point kfedctl at it with "
      "--status-addr HOST:PORT (the controller manager logs \"serving the gRPC status API "
      "on ...\")",
      options.plaintext ? "; it serves TLS unless started with --insecure-local: drop --plaintext"
                        : "; for a controller manager started with --insecure-local, pass "
                          "--plaintext"));
}

// A context for one call: the deadline (unary calls) and the bearer token.
absl::Status Prepare(const StatusOptions& options, bool unary, grpc::ClientContext* context) {
  if (unary) context->set_deadline(absl::ToChronoTime(absl::Now() + kCallTimeout));
  if (!options.token) return absl::OkStatus();
  absl::StatusOr<std::string> token = options.token();
  if (!token.ok()) return token.status();
  // Per call rather than call credentials: those are sent over secure channels only, and
  // --plaintext (loopback) needs the token as well.
  context->AddMetadata("authorization", absl::StrCat("Bearer ", *token));
  return absl::OkStatus();
}

bool Matches(const v1::FederatedObject& o, const StatusOptions& options) {
  if (!options.type.empty() && !TypeMatches(o.ref(), options.type)) return false;
  if (!options.ns.empty() && o.ref().namespace_() != options.ns) return false;
  if (!options.name.empty() && o.ref().name() != options.name) return false;
  return true;
}

std::vector<StatusRow> Rows(
    const std::map<std::tuple<std::string, std::string, std::string>, v1::FederatedObject>& objects,
    const StatusOptions& options) {
  std::vector<StatusRow> rows;
  for (const auto& [key, o] : objects) {
    if (!Matches(o, options)) continue;
    for (StatusRow& r : RowsFor(o)) rows.push_back(std::move(r));
  }
  std::sort(rows.begin(), rows.end(), [](const StatusRow& a, const StatusRow& b) {
    return std::tie(a.type, a.ns, a.name, a.cluster) < std::tie(b.type, b.ns, b.name, b.cluster);
  });
  return rows;
}

std::string Render(const std::vector<StatusRow>& rows, const StatusOptions& options) {
  return options.output == "json"   ? RenderJson(rows)
         : options.output == "yaml" ? RenderYaml(rows)
         : rows.empty()             ? "No federated objects found.\n"
                                    : RenderTable(rows);
}

rapidjson::Document RowsJson(const std::vector<StatusRow>& rows) {
  rapidjson::Document doc(rapidjson::kArrayType);
  auto& a = doc.GetAllocator();
  for (const StatusRow& r : rows) {
    rapidjson::Value v(rapidjson::kObjectType);
    json::SetString(v, "type", r.type, a);
    json::SetString(v, "namespace", r.ns, a);
    json::SetString(v, "name", r.name, a);
    json::SetString(v, "cluster", r.cluster, a);
    json::SetString(v, "state", r.state, a);
    json::SetString(v, "reason", r.reason, a);
    doc.PushBack(v, a);
  }
  return doc;
}

using ObjectMap = std::map<std::tuple<std::string, std::string, std::string>, v1::FederatedObject>;

std::tuple<std::string, std::string, std::string> KeyOf(const v1::ObjectRef& ref) {
  return {ref.type(), ref.namespace_(), ref.name()};
}

// Lists every object (the filters apply when printing, so TYPE may be an alias).
absl::StatusOr<int64_t> List(v1::FederationStatus::StubInterface& api, const StatusOptions& options,
                             ObjectMap* objects) {
  grpc::ClientContext context;
  RETURN_IF_ERROR(Prepare(options, /*unary=*/true, &context));
  v1::ListObjectsRequest request;
  request.set_namespace_(options.ns);
  v1::ListObjectsResponse response;
  RETURN_IF_ERROR(FromGrpc(api.ListObjects(&context, request, &response), options));
  objects->clear();
  for (v1::FederatedObject& o : *response.mutable_objects()) {
    (*objects)[KeyOf(o.ref())] = std::move(o);
  }
  return response.revision();
}

}  // namespace

bool TypeMatches(const v1::ObjectRef& ref, const std::string& type) {
  if (type == ref.type()) return true;
  const std::string lower = absl::AsciiStrToLower(type);
  // "deployments" for "deployments.apps".
  const std::string plural = ref.type().substr(0, ref.type().find('.'));
  if (lower == plural) return true;
  const std::string kind = absl::AsciiStrToLower(ref.kind());  // federateddeployment
  if (lower == kind) return true;
  absl::string_view target = kind;
  if (absl::ConsumePrefix(&target, "federated")) {
    if (lower == target || lower == absl::StrCat(target, "s")) return true;
  }
  return false;
}

std::vector<StatusRow> RowsFor(const v1::FederatedObject& object) {
  StatusRow base;
  base.type = object.ref().type();
  base.ns = object.ref().namespace_();
  base.name = object.ref().name();
  std::vector<StatusRow> rows;
  for (const v1::ClusterState& c : object.clusters()) {
    StatusRow row = base;
    row.cluster = c.cluster();
    row.state = c.state() == "Propagated" ? c.state() : c.reason().empty() ? c.state() : c.reason();
    row.reason = c.message();
    rows.push_back(std::move(row));
  }
  if (rows.empty()) {
    StatusRow row = base;
    row.cluster = "-";
    row.state = object.propagation() == "True" ? "Propagated" : "Pending";
    row.reason = object.reason().empty() ? "placed on no cluster" : object.reason();
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string RenderTable(const std::vector<StatusRow>& rows) {
  std::vector<std::vector<std::string>> cells = {
      {"TYPE", "NAMESPACE", "NAME", "CLUSTER", "STATE", "REASON"}};
  for (const StatusRow& r : rows) {
    cells.push_back({r.type, r.ns.empty() ? "-" : r.ns, r.name, r.cluster, r.state, r.reason});
  }
  std::vector<size_t> width(6, 0);
  for (const auto& line : cells) {
    for (size_t i = 0; i < line.size(); ++i) width[i] = std::max(width[i], line[i].size());
  }
  std::string text;
  for (const auto& line : cells) {
    std::string l;
    for (size_t i = 0; i < line.size(); ++i) {
      absl::StrAppend(&l, line[i]);
      if (i + 1 < line.size()) l.append(width[i] - line[i].size() + 3, ' ');
    }
    while (!l.empty() && l.back() == ' ') l.pop_back();
    absl::StrAppend(&text, l, "\n");
  }
  return text;
}

std::string RenderJson(const std::vector<StatusRow>& rows) {
  return json::SerializePretty(RowsJson(rows)) + "\n";
}

std::string RenderYaml(const std::vector<StatusRow>& rows) { return yaml::ToYaml(RowsJson(rows)); }

absl::StatusOr<std::vector<StatusRow>> CollectStatus(v1::FederationStatus::StubInterface& api,
                                                     const StatusOptions& options) {
  ObjectMap objects;
  ASSIGN_OR_RETURN(int64_t revision, List(api, options, &objects));
  (void)revision;
  std::vector<StatusRow> rows = Rows(objects, options);
  if (!options.name.empty() && rows.empty()) {
    return absl::NotFoundError(
        absl::StrCat("no federated object named ", options.name,
                     options.type.empty() ? "" : " of type " + options.type,
                     options.ns.empty() ? "" : " in namespace " + options.ns));
  }
  return rows;
}

absl::Status PrintStatus(v1::FederationStatus::StubInterface& api, const StatusOptions& options,
                         std::ostream& out) {
  if (!options.output.empty() && options.output != "json" && options.output != "yaml") {
    return absl::InvalidArgumentError(absl::StrCat("-o ", options.output, ": want json or yaml"));
  }
  if (!options.watch) {
    ASSIGN_OR_RETURN(std::vector<StatusRow> rows, CollectStatus(api, options));
    out << Render(rows, options) << std::flush;
    return absl::OkStatus();
  }
  // Watch: list, then follow the changes after the list's revision; on OUT_OF_RANGE (this
  // client fell behind) list again.
  std::string last;
  int prints = 0;
  auto print = [&](const ObjectMap& objects) {
    std::string text = Render(Rows(objects, options), options);
    if (text == last) return false;
    out << text << std::flush;
    last = std::move(text);
    return options.max_prints > 0 && ++prints >= options.max_prints;
  };
  while (true) {
    ObjectMap objects;
    ASSIGN_OR_RETURN(int64_t revision, List(api, options, &objects));
    if (print(objects)) return absl::OkStatus();
    grpc::ClientContext context;
    RETURN_IF_ERROR(Prepare(options, /*unary=*/false, &context));
    v1::WatchRequest request;
    request.set_resume_from(revision);
    std::unique_ptr<grpc::ClientReaderInterface<v1::WatchEvent>> stream =
        api.Watch(&context, request);
    v1::WatchEvent event;
    while (stream->Read(&event)) {
      if (!event.has_object()) continue;  // clusters and bookmarks do not change the table
      const auto key = KeyOf(event.object().ref());
      if (event.type() == v1::WatchEvent::DELETED) {
        objects.erase(key);
      } else {
        objects[key] = event.object();
      }
      if (print(objects)) {
        context.TryCancel();
        (void)stream->Finish();
        return absl::OkStatus();
      }
    }
    grpc::Status finished = stream->Finish();
    if (finished.error_code() != grpc::StatusCode::OUT_OF_RANGE) {
      return FromGrpc(
          finished.ok() ? grpc::Status(grpc::StatusCode::UNAVAILABLE, "the server ended the watch")
                        : finished,
          options);
    }
  }
}

bool IsLoopbackAddress(const std::string& address) {
  absl::string_view a = address;
  for (absl::string_view scheme : {"dns:///", "ipv4:", "ipv6:", "unix:"}) {
    if (absl::ConsumePrefix(&a, scheme)) {
      if (scheme == "unix:") return true;
      break;
    }
  }
  absl::string_view host;
  if (absl::ConsumePrefix(&a, "[")) {
    host = a.substr(0, a.find(']'));
  } else {
    const size_t colon = a.rfind(':');
    host = colon == absl::string_view::npos ? a : a.substr(0, colon);
  }
  if (absl::AsciiStrToLower(host) == "localhost" || host == "::1") return true;
  // 127.0.0.0/8, written as four decimal octets.
  std::vector<std::string> octets = absl::StrSplit(host, '.');
  if (octets.size() != 4 || octets[0] != "127") return false;
  for (const std::string& o : octets) {
    int v = 0;
    if (o.empty() || o.size() > 3 || !absl::SimpleAtoi(o, &v) || v > 255) return false;
  }
  return true;
}

absl::Status RunStatus(const StatusOptions& options, std::ostream& out, std::ostream& err) {
  if (options.plaintext && (options.insecure_skip_tls_verify || !options.status_ca_file.empty())) {
    return absl::InvalidArgumentError(
        "--plaintext turns TLS off: it cannot go with --status-ca-file or "
        "--insecure-skip-tls-verify");
  }
  if (options.plaintext && !IsLoopbackAddress(options.status_addr)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--plaintext to ", options.status_addr,
        ": refused, because the bearer token would "
        "cross the network unencrypted. Plaintext is only for a controller manager started with "
        "--insecure-local, which listens on loopback (127.0.0.1); for this address drop "
        "--plaintext and verify the server with --status-ca-file"));
  }
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (options.plaintext) {
    credentials = grpc::InsecureChannelCredentials();
  } else if (options.insecure_skip_tls_verify) {
    err << "warning: --insecure-skip-tls-verify: the status API's certificate is not verified; "
           "anyone who can intercept the connection can read the bearer token. Use "
           "--status-ca-file instead.\n"
        << std::flush;
    grpc::experimental::TlsChannelCredentialsOptions tls;
    tls.set_verify_server_certs(false);
    tls.set_check_call_host(false);
    tls.set_certificate_verifier(std::make_shared<grpc::experimental::NoOpCertificateVerifier>());
    credentials = grpc::experimental::TlsCredentials(tls);
  } else {
    grpc::SslCredentialsOptions ssl;
    if (!options.status_ca_file.empty()) {
      std::ifstream in(options.status_ca_file);
      if (!in) {
        return absl::InvalidArgumentError(
            absl::StrCat("--status-ca-file ", options.status_ca_file, ": cannot read it"));
      }
      std::stringstream roots;
      roots << in.rdbuf();
      if (roots.str().find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
        return absl::InvalidArgumentError(absl::StrCat("--status-ca-file ", options.status_ca_file,
                                                       ": holds no PEM certificate"));
      }
      ssl.pem_root_certs = roots.str();
    }
    credentials = grpc::SslCredentials(ssl);
  }
  if (credentials == nullptr) {
    return absl::InternalError("gRPC could not create the channel's TLS credentials");
  }
  std::unique_ptr<v1::FederationStatus::Stub> api =
      v1::FederationStatus::NewStub(grpc::CreateChannel(options.status_addr, credentials));
  return PrintStatus(*api, options, out);
}

void AddStatusCommand(CLI::App& app, CommandEnv& env) {
  struct Flags {
    StatusOptions status;
    TokenFlags token;
  };
  auto flags = std::make_shared<Flags>();
  StatusOptions& status = flags->status;
  CLI::App* cmd = app.add_subcommand(
      "status",
      "Show federated objects by member cluster: TYPE NAMESPACE NAME CLUSTER STATE REASON, from "
      "kfed-controller-manager's status API. The API serves TLS and shows what the host's RBAC "
      "lets you read: kfedctl sends the bearer token of the host context (token, tokenFile or "
      "exec plugin), or --token / --token-file.\n\n"
      "Examples:\n  kfedctl status --status-ca-file ca.crt\n"
      "  kfedctl status configmaps my-config -n my-ns -o yaml --status-ca-file ca.crt\n"
      "  kfedctl status --watch --status-addr 127.0.0.1:9091 --status-ca-file ca.crt\n"
      "  kfedctl status --token \"$(kubectl -n demo create token viewer)\" "
      "--insecure-skip-tls-verify\n"
      "  kfedctl status --plaintext   # a controller manager started with --insecure-local");
  cmd->add_option("TYPE", status.type, "Only this type");
  cmd->add_option("NAME", status.name, "Only this object");
  cmd->add_option("-n,--namespace", status.ns, "Only this namespace");
  cmd->add_option("-o,--output", status.output, "json or yaml instead of a table")
      ->check(CLI::IsMember({"json", "yaml"}));
  cmd->add_flag("-w,--watch", status.watch,
                "Follow the status API's Watch stream and print again whenever the "
                "table changes");
  cmd->add_option("--status-addr", status.status_addr,
                  "Address of kfed-controller-manager's gRPC status API (its --status-addr)")
      ->capture_default_str();
  cmd->add_option("--status-ca-file", status.status_ca_file,
                  "PEM CA bundle to verify the status API's certificate with (the "
                  "CA of the controller manager's --tls-cert-file, or ca.crt in its --cert-dir; "
                  "default: the system's roots)");
  cmd->add_flag("--insecure-skip-tls-verify", status.insecure_skip_tls_verify,
                "Do not verify the status API's certificate (warns: the token could be "
                "intercepted)");
  cmd->add_flag("--plaintext", status.plaintext,
                "No TLS: for a controller manager started with --insecure-local "
                "(loopback addresses only)");
  cmd->add_option("--token", flags->token.token,
                  "Bearer token to send (default: the host context's token)");
  cmd->add_option("--token-file", flags->token.token_file,
                  "File holding the bearer token to send, read before each call");
  // The status API, not the host, is what this command talks to: the host context only
  // gives the token.
  OnRun(*cmd, env, [&env, flags]() -> absl::Status {
    ASSIGN_OR_RETURN(std::unique_ptr<TokenSource> source,
                     TokenSource::FromFlags(env.global, flags->token));
    StatusOptions& status = flags->status;
    status.token = [source = source.get()] { return source->Get(); };
    status.token_origin = source->origin();
    return RunStatus(status, std::cout, std::cerr);
  });
}

}  // namespace kfed::cli
