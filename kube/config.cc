#include "kube/config.h"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/json.h"
#include "base/logging.h"
#include "base/status_macros.h"

namespace kfed::kube {
namespace {

struct Entry {
  YAML::Node node;
  std::string base_dir;
  std::string file;
};

struct Merged {
  std::map<std::string, Entry> clusters, users, contexts;
  std::string current_context;
  std::string source;  // "kubeconfig <files>"
};

std::string DirName(absl::string_view path) {
  size_t slash = path.rfind('/');
  if (slash == absl::string_view::npos) return ".";
  if (slash == 0) return "/";
  return std::string(path.substr(0, slash));
}

std::string ResolvePath(absl::string_view base_dir, absl::string_view path) {
  if (path.empty() || path[0] == '/') return std::string(path);
  return absl::StrCat(base_dir, "/", path);
}

absl::StatusOr<std::string> ReadFile(const std::string& path, absl::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat(what, ": cannot read ", path, ": ",
                                            std::strerror(errno)));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The scalar at node[key] ("" when absent). Type errors name the field.
absl::StatusOr<std::string> Scalar(const YAML::Node& node, const char* key,
                                   absl::string_view where) {
  YAML::Node v = node[key];
  if (!v || v.IsNull()) return std::string();
  if (!v.IsScalar()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": field ", key, " must be a string"));
  }
  return v.as<std::string>();
}

absl::StatusOr<bool> Bool(const YAML::Node& node, const char* key, absl::string_view where) {
  ASSIGN_OR_RETURN(std::string s, Scalar(node, key, where));
  if (s.empty() || s == "false") return false;
  if (s == "true") return true;
  return absl::InvalidArgumentError(absl::StrCat(where, ": field ", key, " must be a boolean"));
}

absl::Status AddNamed(const YAML::Node& root, const char* list, const char* inner,
                      const std::string& file, const std::string& base_dir,
                      std::map<std::string, Entry>& out) {
  YAML::Node seq = root[list];
  if (!seq || seq.IsNull()) return absl::OkStatus();
  std::string where = absl::StrCat("kubeconfig ", file);
  if (!seq.IsSequence()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": field ", list, " must be a list"));
  }
  for (size_t i = 0; i < seq.size(); ++i) {
    const YAML::Node& item = seq[i];
    if (!item.IsMap()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": ", list, "[", i, "] must be a mapping"));
    }
    ASSIGN_OR_RETURN(std::string name, Scalar(item, "name", absl::StrCat(where, ": ", list, "[", i, "]")));
    if (name.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": ", list, "[", i, "]: missing name"));
    }
    YAML::Node body = item[inner];
    if (body && !body.IsNull() && !body.IsMap()) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": ", list, "[", i, "] (\"", name,
                                                     "\"): field ", inner, " must be a mapping"));
    }
    // First definition of a name wins (client-go merge rule).
    out.emplace(name, Entry{body ? body : YAML::Node(YAML::NodeType::Map), base_dir, file});
  }
  return absl::OkStatus();
}

absl::Status MergeOne(absl::string_view yaml, const std::string& file,
                      const std::string& base_dir, Merged& merged) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    // e.what() holds a position and a parser message, never the document text.
    return absl::InvalidArgumentError(absl::StrCat("kubeconfig ", file, ": malformed YAML: line ",
                                                   e.mark.line + 1, ": ", e.msg));
  }
  if (!root || root.IsNull()) return absl::OkStatus();  // empty file
  if (!root.IsMap()) {
    return absl::InvalidArgumentError(absl::StrCat("kubeconfig ", file, ": not a mapping"));
  }
  try {
    RETURN_IF_ERROR(AddNamed(root, "clusters", "cluster", file, base_dir, merged.clusters));
    RETURN_IF_ERROR(AddNamed(root, "users", "user", file, base_dir, merged.users));
    RETURN_IF_ERROR(AddNamed(root, "contexts", "context", file, base_dir, merged.contexts));
    if (merged.current_context.empty()) {
      ASSIGN_OR_RETURN(merged.current_context,
                       Scalar(root, "current-context", absl::StrCat("kubeconfig ", file)));
    }
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("kubeconfig ", file, ": ", e.msg));
  }
  return absl::OkStatus();
}

// Reads `data_key` (base64) or `file_key` (a path relative to the kubeconfig).
absl::StatusOr<std::string> DataOrFile(const Entry& e, const char* data_key, const char* file_key,
                                       absl::string_view where) {
  ASSIGN_OR_RETURN(std::string data, Scalar(e.node, data_key, where));
  if (!data.empty()) {
    std::string decoded;
    if (!absl::Base64Unescape(data, &decoded)) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": field ", data_key, " is not valid base64"));
    }
    return decoded;
  }
  ASSIGN_OR_RETURN(std::string path, Scalar(e.node, file_key, where));
  if (path.empty()) return std::string();
  return ReadFile(ResolvePath(e.base_dir, path), absl::StrCat(where, ": field ", file_key));
}

absl::StatusOr<RestConfig> Build(Merged& merged, absl::string_view context_override,
                                 bool run_exec) {
  const std::string& src = merged.source;
  std::string context_name =
      context_override.empty() ? merged.current_context : std::string(context_override);
  if (context_name.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(src, ": no current-context set and no context given"));
  }
  auto ctx = merged.contexts.find(context_name);
  if (ctx == merged.contexts.end()) {
    return absl::NotFoundError(absl::StrCat(src, ": context \"", context_name, "\" not found"));
  }
  std::string cwhere = absl::StrCat(src, ": context \"", context_name, "\"");
  ASSIGN_OR_RETURN(std::string cluster_name, Scalar(ctx->second.node, "cluster", cwhere));
  ASSIGN_OR_RETURN(std::string user_name, Scalar(ctx->second.node, "user", cwhere));
  ASSIGN_OR_RETURN(std::string ns, Scalar(ctx->second.node, "namespace", cwhere));
  auto cluster = merged.clusters.find(cluster_name);
  if (cluster == merged.clusters.end()) {
    return absl::NotFoundError(absl::StrCat(cwhere, ": cluster \"", cluster_name, "\" not found"));
  }
  RestConfig config;
  config.source = src;
  if (!ns.empty()) config.default_namespace = ns;

  const Entry& c = cluster->second;
  std::string where = absl::StrCat("kubeconfig ", c.file, ": cluster \"", cluster_name, "\"");
  ASSIGN_OR_RETURN(config.server, Scalar(c.node, "server", where));
  if (config.server.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": field server is empty"));
  }
  if (!absl::StartsWith(config.server, "https://") && !absl::StartsWith(config.server, "http://")) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": field server \"", config.server,
                                                   "\" must start with https:// or http://"));
  }
  ASSIGN_OR_RETURN(config.ca_data,
                   DataOrFile(c, "certificate-authority-data", "certificate-authority", where));
  if (!config.ca_data.empty()) {
    RETURN_IF_ERROR(ValidatePemCertificates(config.ca_data, absl::StrCat(where, ": certificate-authority")));
  }
  ASSIGN_OR_RETURN(config.insecure_skip_tls_verify, Bool(c.node, "insecure-skip-tls-verify", where));
  ASSIGN_OR_RETURN(config.tls_server_name, Scalar(c.node, "tls-server-name", where));
  ASSIGN_OR_RETURN(config.proxy_url, Scalar(c.node, "proxy-url", where));

  if (user_name.empty()) return config;  // anonymous
  auto user = merged.users.find(user_name);
  if (user == merged.users.end()) {
    return absl::NotFoundError(absl::StrCat(cwhere, ": user \"", user_name, "\" not found"));
  }
  const Entry& u = user->second;
  where = absl::StrCat("kubeconfig ", u.file, ": user \"", user_name, "\"");
  ASSIGN_OR_RETURN(config.client_cert_data,
                   DataOrFile(u, "client-certificate-data", "client-certificate", where));
  ASSIGN_OR_RETURN(config.client_key_data, DataOrFile(u, "client-key-data", "client-key", where));
  if (config.client_cert_data.empty() != config.client_key_data.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, ": client-certificate and client-key must be given together"));
  }
  if (!config.client_cert_data.empty()) {
    RETURN_IF_ERROR(ValidatePemCertificates(config.client_cert_data, absl::StrCat(where, ": client-certificate")));
    RETURN_IF_ERROR(ValidatePemPrivateKey(config.client_key_data, absl::StrCat(where, ": client-key")));
  }
  ASSIGN_OR_RETURN(config.bearer_token, Scalar(u.node, "token", where));
  ASSIGN_OR_RETURN(std::string token_file, Scalar(u.node, "tokenFile", where));
  if (!token_file.empty()) {
    config.bearer_token_file = ResolvePath(u.base_dir, token_file);
    ASSIGN_OR_RETURN(std::string unused, ReadFile(config.bearer_token_file, absl::StrCat(where, ": field tokenFile")));
  }
  if (u.node["username"] && !u.node["username"].IsNull()) {
    return absl::UnimplementedError(absl::StrCat(where, ": basic auth (username/password) is not supported"));
  }
  if (u.node["auth-provider"] && !u.node["auth-provider"].IsNull()) {
    return absl::UnimplementedError(absl::StrCat(where, ": auth-provider is not supported; use exec"));
  }
  YAML::Node exec = u.node["exec"];
  if (exec && !exec.IsNull()) {
    std::string ewhere = absl::StrCat(where, ": exec");
    if (!exec.IsMap()) return absl::InvalidArgumentError(absl::StrCat(ewhere, " must be a mapping"));
    ExecConfig ec;
    ASSIGN_OR_RETURN(ec.command, Scalar(exec, "command", ewhere));
    ASSIGN_OR_RETURN(ec.api_version, Scalar(exec, "apiVersion", ewhere));
    if (ec.command.empty()) return absl::InvalidArgumentError(absl::StrCat(ewhere, ": field command is empty"));
    // A command with a slash is relative to the kubeconfig (client-go rule).
    if (ec.command.find('/') != std::string::npos) ec.command = ResolvePath(u.base_dir, ec.command);
    // Shapes are checked, never assumed: yaml-cpp throws on a wrong one (found by
    // //kube:kubeconfig_fuzzer: `args: [[x]]` ended the process).
    if (YAML::Node args = exec["args"]; args && !args.IsNull()) {
      if (!args.IsSequence()) return absl::InvalidArgumentError(absl::StrCat(ewhere, ": field args must be a list"));
      for (size_t i = 0; i < args.size(); ++i) {
        if (!args[i].IsScalar()) {
          return absl::InvalidArgumentError(absl::StrCat(ewhere, ": args[", i, "] must be a string"));
        }
        ec.args.push_back(args[i].Scalar());
      }
    }
    if (YAML::Node env = exec["env"]; env && !env.IsNull()) {
      if (!env.IsSequence()) return absl::InvalidArgumentError(absl::StrCat(ewhere, ": field env must be a list"));
      for (size_t i = 0; i < env.size(); ++i) {
        std::string item = absl::StrCat(ewhere, ": env[", i, "]");
        if (!env[i].IsMap()) return absl::InvalidArgumentError(absl::StrCat(item, " must be a mapping"));
        ASSIGN_OR_RETURN(std::string name, Scalar(env[i], "name", item));
        ASSIGN_OR_RETURN(std::string value, Scalar(env[i], "value", item));
        ec.env.emplace_back(std::move(name), std::move(value));
      }
    }
    if (run_exec) RETURN_IF_ERROR(RunExecPlugin(ec, where, config));
    config.exec = std::move(ec);
  }
  return config;
}

absl::StatusOr<Merged> MergeFiles(const KubeconfigOptions& options) {
  std::vector<std::string> paths = options.paths.empty() ? DefaultKubeconfigPaths() : options.paths;
  if (paths.empty()) return absl::NotFoundError("kubeconfig: no files given and $HOME unset");
  Merged merged;
  merged.source = absl::StrCat("kubeconfig ", absl::StrJoin(paths, ":"));
  int found = 0;
  for (const std::string& path : paths) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      if (paths.size() == 1) {
        return absl::NotFoundError(absl::StrCat("kubeconfig ", path, ": cannot read: ", std::strerror(errno)));
      }
      continue;  // client-go skips missing files in a KUBECONFIG list
    }
    std::stringstream ss;
    ss << in.rdbuf();
    ++found;
    RETURN_IF_ERROR(MergeOne(ss.str(), path, DirName(path), merged));
  }
  if (found == 0) {
    return absl::NotFoundError(absl::StrCat(merged.source, ": none of the files exists"));
  }
  return merged;
}

std::string Getenv(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  return v == nullptr ? "" : v;
}

}  // namespace

std::vector<std::string> DefaultKubeconfigPaths() {
  std::vector<std::string> out;
  std::string env = Getenv("KUBECONFIG");
  if (!env.empty()) {
    for (absl::string_view p : absl::StrSplit(env, ':', absl::SkipEmpty())) out.emplace_back(p);
    return out;
  }
  std::string home = Getenv("HOME");
  if (!home.empty()) out.push_back(absl::StrCat(home, "/.kube/config"));
  return out;
}

absl::StatusOr<RestConfig> LoadKubeconfig(const KubeconfigOptions& options) {
  ASSIGN_OR_RETURN(Merged merged, MergeFiles(options));
  return Build(merged, options.context, options.run_exec_plugins);
}

absl::StatusOr<RestConfig> LoadKubeconfigFromString(absl::string_view yaml,
                                                    absl::string_view context,
                                                    absl::string_view source,
                                                    absl::string_view base_dir,
                                                    bool run_exec_plugins) {
  Merged merged;
  merged.source = absl::StrCat("kubeconfig ", source);
  RETURN_IF_ERROR(MergeOne(yaml, std::string(source), std::string(base_dir), merged));
  return Build(merged, context, run_exec_plugins);
}

absl::StatusOr<std::vector<std::string>> KubeconfigContexts(const KubeconfigOptions& options) {
  ASSIGN_OR_RETURN(Merged merged, MergeFiles(options));
  std::vector<std::string> out;
  for (const auto& [name, unused] : merged.contexts) out.push_back(name);
  return out;
}

absl::StatusOr<RestConfig> InClusterConfig(const InClusterOptions& options) {
  auto getenv = options.getenv ? options.getenv
                               : [](const std::string& n) -> std::optional<std::string> {
    const char* v = std::getenv(n.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
  std::optional<std::string> host = getenv("KUBERNETES_SERVICE_HOST");
  std::optional<std::string> port = getenv("KUBERNETES_SERVICE_PORT");
  if (!host || host->empty() || !port || port->empty()) {
    return absl::FailedPreconditionError(
        "in-cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set (not running in a pod?)");
  }
  RestConfig config;
  config.source = "in-cluster";
  // IPv6 literals need brackets in URLs.
  std::string h = host->find(':') != std::string::npos ? absl::StrCat("[", *host, "]") : *host;
  config.server = absl::StrCat("https://", h, ":", *port);
  const std::string& dir = options.service_account_dir;
  config.bearer_token_file = absl::StrCat(dir, "/token");
  ASSIGN_OR_RETURN(std::string token, ReadFile(config.bearer_token_file, "in-cluster: token"));
  ASSIGN_OR_RETURN(config.ca_data, ReadFile(absl::StrCat(dir, "/ca.crt"), "in-cluster: ca.crt"));
  RETURN_IF_ERROR(ValidatePemCertificates(config.ca_data, absl::StrCat("in-cluster: ", dir, "/ca.crt")));
  absl::StatusOr<std::string> ns = ReadFile(absl::StrCat(dir, "/namespace"), "in-cluster: namespace");
  if (ns.ok() && !ns->empty()) config.default_namespace = std::string(absl::StripAsciiWhitespace(*ns));
  return config;
}

absl::StatusOr<RestConfig> ConfigFromKubeFedCluster(const rapidjson::Value& cluster,
                                                    const rapidjson::Value& secret) {
  const rapidjson::Value* meta = json::Find(cluster, "metadata");
  std::string cname = meta ? json::GetString(*meta, "name") : "";
  std::string where = absl::StrCat("KubeFedCluster \"", cname, "\"");
  const rapidjson::Value* spec = json::Find(cluster, "spec");
  if (spec == nullptr || !spec->IsObject()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": missing spec"));
  }
  RestConfig config;
  config.source = where;
  config.server = json::GetString(*spec, "apiEndpoint");
  if (config.server.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": spec.apiEndpoint is empty"));
  }
  if (!absl::StartsWith(config.server, "https://") && !absl::StartsWith(config.server, "http://")) {
    config.server = absl::StrCat("https://", config.server);
  }
  std::string ca_b64 = json::GetString(*spec, "caBundle");
  if (!ca_b64.empty()) {
    if (!absl::Base64Unescape(ca_b64, &config.ca_data)) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": spec.caBundle is not valid base64"));
    }
    RETURN_IF_ERROR(ValidatePemCertificates(config.ca_data, absl::StrCat(where, ": spec.caBundle")));
  }
  config.proxy_url = json::GetString(*spec, "proxyURL");
  if (const rapidjson::Value* d = json::Find(*spec, "disabledTLSValidations"); d && d->IsArray()) {
    for (const auto& v : d->GetArray()) {
      if (!v.IsString()) continue;
      absl::string_view s(v.GetString(), v.GetStringLength());
      if (s == "*") {
        config.insecure_skip_tls_verify = true;
      } else if (s == "SubjectName") {
        config.skip_hostname_verification = true;
      } else if (s == "ValidityPeriod") {
        config.skip_validity_period = true;
      } else {
        return absl::InvalidArgumentError(absl::StrCat(where, ": spec.disabledTLSValidations: unknown value \"", s, "\""));
      }
    }
  }
  const rapidjson::Value* data = json::Find(secret, "data");
  const rapidjson::Value* smeta = json::Find(secret, "metadata");
  std::string swhere = absl::StrCat(where, ": secret \"", smeta ? json::GetString(*smeta, "name") : "", "\"");
  std::string token_b64 = data ? json::GetString(*data, "token") : "";
  if (token_b64.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(swhere, ": data.token is missing"));
  }
  if (!absl::Base64Unescape(token_b64, &config.bearer_token)) {
    return absl::InvalidArgumentError(absl::StrCat(swhere, ": data.token is not valid base64"));
  }
  while (!config.bearer_token.empty() && (config.bearer_token.back() == '\n' || config.bearer_token.back() == '\r')) {
    config.bearer_token.pop_back();
  }
  return config;
}

absl::Status RunExecPlugin(const ExecConfig& exec, absl::string_view context, RestConfig& config) {
  std::string where = absl::StrCat(context, ": exec plugin \"", exec.command, "\"");
  std::string api_version =
      exec.api_version.empty() ? "client.authentication.k8s.io/v1" : exec.api_version;
  int out_pipe[2];
  if (pipe(out_pipe) != 0) return absl::InternalError(absl::StrCat(where, ": pipe failed"));
  pid_t pid = fork();
  if (pid < 0) return absl::InternalError(absl::StrCat(where, ": fork failed"));
  if (pid == 0) {
    dup2(out_pipe[1], 1);
    close(out_pipe[0]);
    close(out_pipe[1]);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    for (const auto& [k, v] : exec.env) setenv(k.c_str(), v.c_str(), 1);
    std::string info = absl::StrCat(R"({"apiVersion":")", api_version,
                                    R"(","kind":"ExecCredential","spec":{"interactive":false}})");
    setenv("KUBERNETES_EXEC_INFO", info.c_str(), 1);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(exec.command.c_str()));
    for (const auto& a : exec.args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  close(out_pipe[1]);
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = read(out_pipe[0], buf, sizeof(buf));
    if (n > 0) {
      out.append(buf, n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    break;
  }
  close(out_pipe[0]);
  int wstatus = 0;
  while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
    int code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
    if (code == 127) {
      return absl::FailedPreconditionError(absl::StrCat(where, ": command not found or not executable"));
    }
    return absl::UnauthenticatedError(absl::StrCat(where, ": exited with status ", code));
  }
  absl::StatusOr<rapidjson::Document> doc = json::Parse(out);
  if (!doc.ok() || !doc->IsObject() || json::GetString(*doc, "kind") != "ExecCredential") {
    return absl::UnauthenticatedError(absl::StrCat(where, ": output is not an ExecCredential"));
  }
  const rapidjson::Value* status = json::Find(*doc, "status");
  if (status == nullptr) {
    return absl::UnauthenticatedError(absl::StrCat(where, ": ExecCredential has no status"));
  }
  std::string token = json::GetString(*status, "token");
  std::string cert = json::GetString(*status, "clientCertificateData");
  std::string key = json::GetString(*status, "clientKeyData");
  if (token.empty() && (cert.empty() || key.empty())) {
    return absl::UnauthenticatedError(absl::StrCat(where, ": ExecCredential has neither token nor client certificate"));
  }
  if (!token.empty()) config.bearer_token = token;
  config.exec_expiry = absl::InfiniteFuture();
  std::string expiry = json::GetString(*status, "expirationTimestamp");
  if (!expiry.empty()) {
    absl::Time t;
    std::string err;
    if (!absl::ParseTime(absl::RFC3339_full, expiry, &t, &err)) {
      return absl::UnauthenticatedError(absl::StrCat(where, ": status.expirationTimestamp \"", expiry, "\" is not RFC 3339"));
    }
    config.exec_expiry = t;
  }
  if (!cert.empty()) {
    RETURN_IF_ERROR(ValidatePemCertificates(cert, absl::StrCat(where, ": clientCertificateData")));
    RETURN_IF_ERROR(ValidatePemPrivateKey(key, absl::StrCat(where, ": clientKeyData")));
    config.client_cert_data = cert;
    config.client_key_data = key;
  }
  return absl::OkStatus();
}

absl::Status ValidatePemCertificates(absl::string_view pem, absl::string_view what) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  int count = 0;
  while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
    ++count;
    X509_free(cert);
  }
  BIO_free(bio);
  ERR_clear_error();
  if (count == 0) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": no valid PEM certificate"));
  }
  return absl::OkStatus();
}

absl::Status ValidatePemPrivateKey(absl::string_view pem, absl::string_view what) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  ERR_clear_error();
  if (key == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": not a valid PEM private key"));
  }
  EVP_PKEY_free(key);
  return absl::OkStatus();
}

}  // namespace kfed::kube
