// Where kfedctl's bearer token comes from: flags, or a kubeconfig context's token, tokenFile or
// exec plugin; a client-certificate context is refused with what to do.
#include "cli/bearer_token.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "base/testing.h"
#include "gmock/gmock.h"
#include "kube/test_pki.h"

namespace kfed::cli {
namespace {

using ::kfed::testing::TempPath;
using ::kfed::testing::WriteTempFile;
using ::testing::HasSubstr;

class BearerTokenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    token_file_ = WriteTempFile("sa-token", "file-token-1\n");
    // The plugin counts its runs and returns a token that expires within the renewal margin,
    // so every Get() renews it.
    plugin_ = WriteTempFile(
        "plugin.sh",
        absl::StrCat(
            "#!/bin/sh\nf=", TempPath("plugin-count"),
            "\nn=$(( $(cat $f 2>/dev/null || echo 0) + 1 ))\n",
            "echo $n > $f\nexp=$(date -u -d '+5 seconds' +%Y-%m-%dT%H:%M:%SZ)\n",
            "echo "
            "'{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",",
            "\"status\":{\"token\":\"exec-token-'$n'\",\"expirationTimestamp\":\"'$exp'\"}}'\n"));
    chmod(plugin_.c_str(), 0755);
    const kube::testing::KeyPair ca = kube::testing::MakeCa("ca");
    const kube::testing::KeyPair client = kube::testing::MakeLeaf(ca, "admin", {}, /*client=*/true);
    const std::string cluster =
        absl::StrCat("  cluster: {server: 'https://127.0.0.1:6443', certificate-authority-data: ",
                     absl::Base64Escape(ca.cert_pem), "}\n");
    std::string yaml =
        "apiVersion: v1\nkind: Config\ncurrent-context: tok\nclusters:\n- name: c\n" + cluster +
        "contexts:\n";
    for (const char* name : {"tok", "file", "cert", "exec", "none"}) {
      absl::StrAppend(&yaml, "- name: ", name, "\n  context: {cluster: c, user: ", name, "}\n");
    }
    absl::StrAppend(
        &yaml, "users:\n", "- name: tok\n  user: {token: context-token}\n",
        "- name: file\n  user: {tokenFile: ", token_file_, "}\n",
        "- name: cert\n  user: {client-certificate-data: ", absl::Base64Escape(client.cert_pem),
        ", client-key-data: ", absl::Base64Escape(client.key_pem), "}\n",
        "- name: exec\n  user:\n    exec: {apiVersion: "
        "client.authentication.k8s.io/v1, command: ",
        plugin_, "}\n", "- name: none\n  user: {}\n");
    global_.kubeconfig = WriteTempFile("kubeconfig", yaml);
  }

  absl::StatusOr<std::string> TokenOf(const std::string& context, TokenFlags flags = {}) {
    GlobalOptions g = global_;
    g.host_context = context;
    absl::StatusOr<std::unique_ptr<TokenSource>> source = TokenSource::FromFlags(g, flags);
    if (!source.ok()) return source.status();
    origin_ = (*source)->origin();
    return (*source)->Get();
  }

  GlobalOptions global_;
  std::string token_file_;
  std::string plugin_;
  std::string origin_;
};

TEST_F(BearerTokenTest, FromTheHostContext) {
  EXPECT_EQ(*TokenOf(""), "context-token");  // current-context
  EXPECT_EQ(origin_, "the token of context \"tok\"");
  EXPECT_EQ(*TokenOf("file"), "file-token-1");
  EXPECT_EQ(*TokenOf("exec"), "exec-token-2");  // run at load, renewed since it expires soon
}

TEST_F(BearerTokenTest, TokenFilesAreReadAgainAndExecTokensRenewed) {
  GlobalOptions g = global_;
  g.host_context = "file";
  auto file = TokenSource::FromFlags(g, {});
  ASSERT_TRUE(file.ok());
  WriteTempFile("sa-token", "file-token-2");
  EXPECT_EQ(*(*file)->Get(), "file-token-2");

  g.host_context = "exec";
  auto exec = TokenSource::FromFlags(g, {});
  ASSERT_TRUE(exec.ok());
  const std::string first = *(*exec)->Get();
  const std::string second = *(*exec)->Get();
  EXPECT_NE(first, second);
  EXPECT_THAT(second, ::testing::StartsWith("exec-token-"));
}

TEST_F(BearerTokenTest, FlagsWin) {
  EXPECT_EQ(*TokenOf("cert", {" flag-token ", ""}), "flag-token");
  EXPECT_EQ(origin_, "--token");
  EXPECT_EQ(*TokenOf("cert", {"", token_file_}), "file-token-1");
  EXPECT_EQ(TokenOf("", {"a", token_file_}).status().code(), absl::StatusCode::kInvalidArgument);
  absl::Status missing = TokenOf("", {"", TempPath("no-such-file")}).status();
  EXPECT_EQ(missing.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(missing.message(), HasSubstr("cannot read the token file"));
  WriteTempFile("empty", "\n");
  EXPECT_THAT(TokenOf("", {"", TempPath("empty")}).status().message(), HasSubstr("is empty"));
}

TEST_F(BearerTokenTest, ClientCertificateContextsSayToPassAToken) {
  absl::Status s = TokenOf("cert").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("context \"cert\""));
  EXPECT_THAT(s.message(), HasSubstr("client certificate"));
  EXPECT_THAT(s.message(), HasSubstr("Pass --token"));
  s = TokenOf("none").status();
  EXPECT_THAT(s.message(), HasSubstr("it has no token"));
  EXPECT_EQ(TokenOf("nope").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kfed::cli
