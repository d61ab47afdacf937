#include "kube/config.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "base/json.h"
#include "base/testing.h"
#include "gtest/gtest.h"
#include "kube/test_pki.h"

namespace kfed::kube {
namespace {

using ::kfed::kube::testing::KeyPair;

class ConfigTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ca_ = new KeyPair(testing::MakeCa("test-ca"));
    client_ = new KeyPair(testing::MakeLeaf(*ca_, "admin", {}, /*client=*/true));
  }
  void SetUp() override {
    dir_ =
        ::kfed::testing::TempPath(::testing::UnitTest::GetInstance()->current_test_info()->name());
    mkdir(dir_.c_str(), 0755);
  }
  std::string Write(const std::string& name, const std::string& text) {
    std::string path = absl::StrCat(dir_, "/", name);
    std::ofstream(path) << text;
    return path;
  }
  static std::string B64(const std::string& s) { return absl::Base64Escape(s); }

  static KeyPair* ca_;
  static KeyPair* client_;
  std::string dir_;
};
KeyPair* ConfigTest::ca_ = nullptr;
KeyPair* ConfigTest::client_ = nullptr;

KubeconfigOptions Opts(std::vector<std::string> paths, std::string context = "") {
  KubeconfigOptions o;
  o.paths = std::move(paths);
  o.context = std::move(context);
  return o;
}

constexpr char kSecretToken[] = "sekrit-token-0123456789abcdef";

TEST_F(ConfigTest, LoadsFullContext) {
  Write("ca.crt", ca_->cert_pem);
  std::string yaml = absl::StrCat(R"(
apiVersion: v1
kind: Config
current-context: a
clusters:
- name: c1
  cluster:
    server: https://10.0.0.1:6443
    certificate-authority: ca.crt
    tls-server-name: kubernetes
    proxy-url: http://proxy:3128
users:
- name: u1
  user:
    client-certificate-data: )", B64(client_->cert_pem), R"(
    client-key-data: )", B64(client_->key_pem), R"(
    token: )", kSecretToken, R"(
contexts:
- name: a
  context: {cluster: c1, user: u1, namespace: team}
)");
  absl::StatusOr<RestConfig> c = LoadKubeconfigFromString(yaml, "", "/x/config", dir_);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->server, "https://10.0.0.1:6443");
  EXPECT_EQ(c->ca_data, ca_->cert_pem);
  EXPECT_EQ(c->client_cert_data, client_->cert_pem);
  EXPECT_EQ(c->client_key_data, client_->key_pem);
  EXPECT_EQ(c->bearer_token, kSecretToken);
  EXPECT_EQ(c->tls_server_name, "kubernetes");
  EXPECT_EQ(c->proxy_url, "http://proxy:3128");
  EXPECT_EQ(c->default_namespace, "team");
  EXPECT_FALSE(c->insecure_skip_tls_verify);
}

struct ErrorCase {
  std::string name;
  std::string yaml;
  std::string context;
  std::string error;  // exact message
};

TEST_F(ConfigTest, ErrorsNameFileAndField) {
  const std::string users = absl::StrCat(
      "users:\n- name: u\n  user:\n    token: ", kSecretToken, "\n");
  const std::vector<ErrorCase> cases = {
      {"unknown context",
       "clusters: [{name: c, cluster: {server: 'https://a'}}]\ncontexts: [{name: a, context: {cluster: c}}]\n",
       "foo", "kubeconfig /x/config: context \"foo\" not found"},
      {"no current context", "clusters: []\n", "",
       "kubeconfig /x/config: no current-context set and no context given"},
      {"missing cluster", "contexts: [{name: a, context: {cluster: nope}}]\ncurrent-context: a\n", "",
       "kubeconfig /x/config: context \"a\": cluster \"nope\" not found"},
      {"missing user",
       "clusters: [{name: c, cluster: {server: 'https://a'}}]\ncontexts: [{name: a, context: {cluster: c, user: nobody}}]\n",
       "a", "kubeconfig /x/config: context \"a\": user \"nobody\" not found"},
      {"empty server", "clusters: [{name: c, cluster: {}}]\ncontexts: [{name: a, context: {cluster: c}}]\n", "a",
       "kubeconfig /x/config: cluster \"c\": field server is empty"},
      {"bad scheme", "clusters: [{name: c, cluster: {server: 'ftp://a'}}]\ncontexts: [{name: a, context: {cluster: c}}]\n", "a",
       "kubeconfig /x/config: cluster \"c\": field server \"ftp://a\" must start with https:// or http://"},
      {"malformed yaml", "clusters: [\n  - {name: c\n", "a",
       "kubeconfig /x/config: malformed YAML: line 2: illegal block entry"},
      {"clusters not a list", "clusters: {a: b}\n", "a",
       "kubeconfig /x/config: field clusters must be a list"},
      {"invalid CA PEM",
       absl::StrCat("clusters: [{name: c, cluster: {server: 'https://a', certificate-authority-data: ",
                    absl::Base64Escape("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), "}}]\n",
                    "contexts: [{name: a, context: {cluster: c}}]\n"),
       "a", "kubeconfig /x/config: cluster \"c\": certificate-authority: no valid PEM certificate"},
      {"CA not base64",
       "clusters: [{name: c, cluster: {server: 'https://a', certificate-authority-data: '%%%'}}]\ncontexts: [{name: a, context: {cluster: c}}]\n",
       "a", "kubeconfig /x/config: cluster \"c\": field certificate-authority-data is not valid base64"},
      {"missing CA file",
       "clusters: [{name: c, cluster: {server: 'https://a', certificate-authority: nope.crt}}]\ncontexts: [{name: a, context: {cluster: c}}]\n",
       "a", "kubeconfig /x/config: cluster \"c\": field certificate-authority: cannot read DIR/nope.crt: No such file or directory"},
      {"invalid key PEM",
       absl::StrCat("clusters: [{name: c, cluster: {server: 'https://a'}}]\ncontexts: [{name: a, context: {cluster: c, user: u}}]\n",
                    "users: [{name: u, user: {client-certificate-data: ", B64(client_->cert_pem),
                    ", client-key-data: ", B64("-----BEGIN PRIVATE KEY-----\nQUJD\n-----END PRIVATE KEY-----\n"), "}}]\n"),
       "a", "kubeconfig /x/config: user \"u\": client-key: not a valid PEM private key"},
      {"cert without key",
       absl::StrCat("clusters: [{name: c, cluster: {server: 'https://a'}}]\ncontexts: [{name: a, context: {cluster: c, user: u}}]\n",
                    "users: [{name: u, user: {client-certificate-data: ", B64(client_->cert_pem), "}}]\n"),
       "a", "kubeconfig /x/config: user \"u\": client-certificate and client-key must be given together"},
      {"exec plugin missing",
       "clusters: [{name: c, cluster: {server: 'https://a'}}]\ncontexts: [{name: a, context: {cluster: c, user: u}}]\n"
       "users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: kfed-no-such-plugin}}}]\n",
       "a", "kubeconfig /x/config: user \"u\": exec plugin \"kfed-no-such-plugin\": command not found or not executable"},
      // Found by //kube:kubeconfig_fuzzer: these shapes threw from yaml-cpp and ended the
      // process.
      {"exec args not strings",
       "clusters: [{name: c, cluster: {server: 'https://a'}}]\ncontexts: [{name: a, context: {cluster: c, user: u}}]\n"
       "users: [{name: u, user: {exec: {command: p, args: [x, [y]]}}}]\n",
       "a", "kubeconfig /x/config: user \"u\": exec: args[1] must be a string"},
      {"exec args not a list",
       "clusters: [{name: c, cluster: {server: 'https://a'}}]\ncontexts: [{name: a, context: {cluster: c, user: u}}]\n"
       "users: [{name: u, user: {exec: {command: p, args: {a: b}}}}]\n",
       "a", "kubeconfig /x/config: user \"u\": exec: field args must be a list"},
      {"exec env item not a mapping",
       "clusters: [{name: c, cluster: {server: 'https://a'}}]\ncontexts: [{name: a, context: {cluster: c, user: u}}]\n"
       "users: [{name: u, user: {exec: {command: p, env: [x]}}}]\n",
       "a", "kubeconfig /x/config: user \"u\": exec: env[0] must be a mapping"},
      {"exec env value not a string",
       "clusters: [{name: c, cluster: {server: 'https://a'}}]\ncontexts: [{name: a, context: {cluster: c, user: u}}]\n"
       "users: [{name: u, user: {exec: {command: p, env: [{name: A, value: [b]}]}}}]\n",
       "a", "kubeconfig /x/config: user \"u\": exec: env[0]: field value must be a string"},
      {"bad insecure flag",
       "clusters: [{name: c, cluster: {server: 'https://a', insecure-skip-tls-verify: maybe}}]\ncontexts: [{name: a, context: {cluster: c}}]\n",
       "a", "kubeconfig /x/config: cluster \"c\": field insecure-skip-tls-verify must be a boolean"},
  };
  for (const ErrorCase& c : cases) {
    absl::StatusOr<RestConfig> r = LoadKubeconfigFromString(c.yaml, c.context, "/x/config", dir_);
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_EQ(std::string(r.status().message()), absl::StrReplaceAll(c.error, {{"DIR", dir_}})) << c.name;
    EXPECT_EQ(std::string(r.status().message()).find(kSecretToken), std::string::npos) << c.name;
  }
}

TEST_F(ConfigTest, MissingFileNamesIt) {
  absl::StatusOr<RestConfig> r = LoadKubeconfig(Opts({"/nonexistent/kubeconfig"}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "kubeconfig /nonexistent/kubeconfig: cannot read: No such file or directory");
}

TEST_F(ConfigTest, MergesFilesFirstWins) {
  std::string a = Write("a", R"(
current-context: ctx-a
clusters: [{name: shared, cluster: {server: 'https://from-a'}}]
contexts: [{name: ctx-a, context: {cluster: shared}}]
)");
  std::string b = Write("b", R"(
current-context: ctx-b
clusters:
- {name: shared, cluster: {server: 'https://from-b'}}
- {name: only-b, cluster: {server: 'https://only-b', insecure-skip-tls-verify: true}}
contexts:
- {name: ctx-a, context: {cluster: only-b}}
- {name: ctx-b, context: {cluster: only-b, user: tok}}
users: [{name: tok, user: {tokenFile: tok.txt}}]
)");
  Write("tok.txt", "file-token-123456789\n");
  absl::StatusOr<RestConfig> r =
      LoadKubeconfig(Opts({a, absl::StrCat(dir_, "/missing"), b}));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->server, "https://from-a");  // current-context and ctx-a both from file a
  r = LoadKubeconfig(Opts({a, b}, "ctx-b"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->server, "https://only-b");
  EXPECT_TRUE(r->insecure_skip_tls_verify);
  EXPECT_EQ(r->bearer_token_file, absl::StrCat(dir_, "/tok.txt"));
  absl::StatusOr<std::vector<std::string>> contexts = KubeconfigContexts(Opts({a, b}));
  ASSERT_TRUE(contexts.ok());
  EXPECT_EQ(*contexts, (std::vector<std::string>{"ctx-a", "ctx-b"}));
}

TEST_F(ConfigTest, ExecPluginProvidesToken) {
  std::string plugin = Write("plugin.sh", absl::StrCat(
      "#!/bin/sh\necho \"$KUBERNETES_EXEC_INFO\" | grep -q ExecCredential || exit 3\n",
      "echo '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",",
      "\"status\":{\"token\":\"'$MY_TOKEN'\"}}'\n"));
  chmod(plugin.c_str(), 0755);
  std::string yaml = R"(
clusters: [{name: c, cluster: {server: 'https://a'}}]
contexts: [{name: a, context: {cluster: c, user: u}}]
users:
- name: u
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: ./plugin.sh
      env: [{name: MY_TOKEN, value: exec-token-abcdefgh}]
)";
  absl::StatusOr<RestConfig> r = LoadKubeconfigFromString(yaml, "a", "/x/config", dir_);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->bearer_token, "exec-token-abcdefgh");
}

TEST_F(ConfigTest, InCluster) {
  Write("token", "sa-token-abcdefgh");
  Write("ca.crt", ca_->cert_pem);
  Write("namespace", "kube-federation-system");
  InClusterOptions opts;
  opts.service_account_dir = dir_;
  opts.getenv = [](const std::string& n) -> std::optional<std::string> {
    if (n == "KUBERNETES_SERVICE_HOST") return "fd00::1";
    if (n == "KUBERNETES_SERVICE_PORT") return "443";
    return std::nullopt;
  };
  absl::StatusOr<RestConfig> r = InClusterConfig(opts);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->server, "https://[fd00::1]:443");
  EXPECT_EQ(r->bearer_token_file, absl::StrCat(dir_, "/token"));
  EXPECT_EQ(r->default_namespace, "kube-federation-system");
  opts.getenv = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  EXPECT_EQ(InClusterConfig(opts).status().message(),
            "in-cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set (not running in a pod?)");
}

TEST_F(ConfigTest, KubeFedCluster) {
  auto cluster = json::Parse(absl::StrCat(
      R"({"metadata":{"name":"member1"},"spec":{"apiEndpoint":"https://m1:6443","caBundle":")",
      B64(ca_->cert_pem),
      R"(","proxyURL":"http://p:1","disabledTLSValidations":["SubjectName","ValidityPeriod"],"secretRef":{"name":"member1-x"}}})"));
  auto secret = json::Parse(absl::StrCat(R"({"metadata":{"name":"member1-x"},"data":{"token":")",
                                         B64(kSecretToken), R"("}})"));
  ASSERT_TRUE(cluster.ok() && secret.ok());
  absl::StatusOr<RestConfig> r = ConfigFromKubeFedCluster(*cluster, *secret);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->server, "https://m1:6443");
  EXPECT_EQ(r->ca_data, ca_->cert_pem);
  EXPECT_EQ(r->bearer_token, kSecretToken);
  EXPECT_EQ(r->proxy_url, "http://p:1");
  EXPECT_TRUE(r->skip_hostname_verification);
  EXPECT_TRUE(r->skip_validity_period);
  EXPECT_FALSE(r->insecure_skip_tls_verify);

  auto empty_secret = json::Parse(R"({"metadata":{"name":"s"},"data":{}})");
  EXPECT_EQ(ConfigFromKubeFedCluster(*cluster, *empty_secret).status().message(),
            "KubeFedCluster \"member1\": secret \"s\": data.token is missing");
}

}  // namespace
}  // namespace kfed::kube
