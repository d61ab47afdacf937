// The subcommand wiring of kfedctl (command.h): callbacks see the global flags wherever they
// stand, set the exit code from the command's status, and do not run on a usage error.
#include "cli/command.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/testing.h"
#include "cli/completion.h"
#include "cli/federate.h"
#include "cli/join.h"
#include "cli/orphaning.h"
#include "gmock/gmock.h"

namespace kfed::cli {
namespace {

using ::kfed::testing::WriteTempFile;
using ::testing::HasSubstr;

// Parses `args` (after the program name) as kfedctl would; false on a usage error.
bool Parse(CLI::App& app, std::vector<std::string> args) {
  args.insert(args.begin(), "kfedctl");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError&) {
    return false;
  }
  return true;
}

// Redirects std::cout or std::cerr into a string while in scope.
class Capture {
 public:
  explicit Capture(std::ostream& stream) : stream_(stream), old_(stream.rdbuf(text_.rdbuf())) {}
  ~Capture() { stream_.rdbuf(old_); }
  std::string text() const { return text_.str(); }

 private:
  std::ostream& stream_;
  std::stringstream text_;
  std::streambuf* old_;
};

class CommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_.program = "kfedctl";
    SetUpRootCommand(app_, env_.global);
  }
  CLI::App app_{"kfedctl"};
  CommandEnv env_;
};

TEST_F(CommandTest, GlobalFlagsAfterTheSubcommandReachItsCallback) {
  GlobalOptions seen;
  OnRun(*app_.add_subcommand("probe", ""), env_, [&] {
    seen = env_.global;
    return absl::OkStatus();
  });
  ASSERT_TRUE(Parse(app_, {"--kubeconfig", "kc", "probe", "--host-cluster-context", "h", "--v=2",
                           "--dry-run", "--kubefed-namespace", "ns"}));
  EXPECT_EQ(env_.exit_code, kExitOk);
  EXPECT_EQ(seen.kubeconfig, "kc");
  EXPECT_EQ(seen.host_context, "h");
  EXPECT_EQ(seen.verbosity, 2);
  EXPECT_TRUE(seen.dry_run);
  EXPECT_EQ(seen.kubefed_namespace, "ns");
}

TEST_F(CommandTest, ExitCodeAndMessageFollowTheStatus) {
  const std::vector<std::pair<absl::Status, int>> cases = {
      {absl::OkStatus(), kExitOk},
      {absl::InvalidArgumentError("bad type"), kExitUsage},
      {absl::UnavailableError("host is unreachable"), kExitUnreachable},
      {absl::DeadlineExceededError("slow"), kExitUnreachable},
      {absl::FailedPreconditionError("not allowed"), kExitFailed},
  };
  for (const auto& [status, code] : cases) {
    CLI::App app{"kfedctl"};
    CommandEnv env;
    SetUpRootCommand(app, env.global);
    OnRun(*app.add_subcommand("probe", ""), env, [status = status] { return status; });
    Capture err(std::cerr);
    ASSERT_TRUE(Parse(app, {"probe"}));
    EXPECT_EQ(env.exit_code, code) << status;
    EXPECT_EQ(err.text(), status.ok() ? "" : absl::StrCat("error: ", status.message(), "\n"));
  }
}

TEST_F(CommandTest, NoCallbackRunsOnAUsageError) {
  bool ran = false;
  OnRun(*app_.add_subcommand("probe", ""), env_, [&] {
    ran = true;
    return absl::OkStatus();
  });
  EXPECT_FALSE(Parse(app_, {"probe", "--no-such-flag"}));
  EXPECT_FALSE(Parse(app_, {}));  // a subcommand is required
  EXPECT_FALSE(ran);
  EXPECT_EQ(env_.exit_code, kExitUsage);
}

TEST_F(CommandTest, ExamplesMoveToTheFooter) {
  CLI::App* probe = app_.add_subcommand("probe", "Probe things.\n\nExample:\n  kfedctl probe");
  MoveExamplesToFooters(app_);
  EXPECT_EQ(probe->get_description(), "Probe things.");
  EXPECT_EQ(probe->get_footer(), absl::StrCat("Example:\n  kfedctl probe\n", kExitCodesFooter));
  EXPECT_EQ(app_.get_footer(), kExitCodesFooter);
}

TEST_F(CommandTest, CompletionListsTheCommandsTheirFlagsAndWords) {
  AddOrphaningDeletionCommand(app_, env_);
  AddCompletionCommand(app_, env_);
  Capture out(std::cout);
  ASSERT_TRUE(Parse(app_, {"completion", "bash"}));
  EXPECT_EQ(env_.exit_code, kExitOk);
  EXPECT_THAT(out.text(), HasSubstr("local global=\"--kubeconfig --host-cluster-context "
                                    "--kubefed-namespace --dry-run --v --help\""));
  EXPECT_THAT(out.text(), HasSubstr("compgen -W \"orphaning-deletion completion ${global}\""));
  EXPECT_THAT(out.text(), HasSubstr("orphaning-deletion) COMPREPLY=($(compgen -W \"enable "
                                    "disable status --namespace ${global}\""));
  EXPECT_THAT(out.text(), HasSubstr("completion) COMPREPLY=($(compgen -W \"bash zsh ${global}\""));
}

// The commands that need a cluster fail on bad input before reaching it.
class CommandInputTest : public CommandTest {
 protected:
  void SetUp() override {
    CommandTest::SetUp();
    kubeconfig_ =
        WriteTempFile("command_test.kubeconfig",
                      "apiVersion: v1\nkind: Config\nclusters:\n- name: nowhere\n  cluster:\n"
                      "    server: https://127.0.0.1:1\nusers:\n- name: u\n  user:\n    token: t\n"
                      "contexts:\n- name: host\n  context: {cluster: nowhere, user: u}\n"
                      "current-context: host\n");
  }
  std::string kubeconfig_;
};

TEST_F(CommandInputTest, JoinWithAnUnknownMemberContextIsAUsageError) {
  AddJoinCommand(app_, env_);
  Capture err(std::cerr);
  ASSERT_TRUE(
      Parse(app_, {"join", "c1", "--cluster-context", "nope", "--kubeconfig", kubeconfig_}));
  EXPECT_EQ(env_.exit_code, kExitUsage);
  EXPECT_THAT(err.text(), HasSubstr("member cluster"));
  EXPECT_THAT(err.text(), HasSubstr("nope"));
}

TEST_F(CommandInputTest, FederateNamesAFileItCannotRead) {
  AddFederateCommand(app_, env_);
  Capture err(std::cerr);
  ASSERT_TRUE(
      Parse(app_, {"federate", "-f", "/nonexistent/objects.yaml", "--kubeconfig", kubeconfig_}));
  EXPECT_EQ(env_.exit_code, kExitUsage);
  EXPECT_EQ(err.text(), "error: cannot read /nonexistent/objects.yaml\n");
}

TEST(ReadFileOrStdinTest, ReadsAFile) {
  absl::StatusOr<std::string> text =
      ReadFileOrStdin(WriteTempFile("objects.yaml", "kind: ConfigMap\n"));
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, "kind: ConfigMap\n");
  EXPECT_EQ(ReadFileOrStdin("/nonexistent").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kfed::cli
