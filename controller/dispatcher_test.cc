#include "controller/dispatcher.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "base/testing.h"
#include "federated_types/type_config.h"
#include "federated_types/versions.h"
#include "kube/client_fake.h"
#include "kube/errors.h"

namespace kfed::controller {
namespace {

using ::kfed::testing::Json;
namespace ft = ::kfed::federated_types;

class DispatcherTest : public ::testing::Test {
 protected:
  DispatcherTest()
      : fed_(Json(R"({"metadata":{"name":"cfg","namespace":"demo"},
                     "spec":{"template":{"data":{"a":"1"}},"placement":{"clusters":[{"name":"m1"}]}}})")) {
    for (const ft::TypeConfig& c : ft::DefaultTypeConfigs()) {
      if (c.name == "configmaps") type_ = c;
    }
    context_.federated_object = &fed_;
    context_.type_config = &type_;
    context_.target = kube::ConfigMapsResource();
    context_.namespace_ = "demo";
    context_.name = "cfg";
  }
  ClusterAction Create() {
    ClusterAction a;
    a.cluster = "m1";
    a.op = Operation::kCreate;
    a.selected = true;
    a.desired = std::make_shared<const rapidjson::Document>(Json(
        R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cfg","namespace":"demo",
            "labels":{"kubefed.io/managed":"true"}},"data":{"a":"1"}})"));
    return a;
  }
  kube::ObjectPtr Existing(const std::string& labels) {
    auto created = client_.Create(
        context_.target, "demo",
        Json(
            R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cfg","namespace":"demo","labels":)" +
            labels + R"(},"data":{"a":"old"}})"),
        {});
    EXPECT_TRUE(created.ok()) << created.status();
    return *created;
  }

  kube::FakeClient client_;
  rapidjson::Document fed_;
  ft::TypeConfig type_;
  DispatchContext context_;
};

TEST_F(DispatcherTest, CreateWritesObjectAndReportsItsVersion) {
  DispatchOutcome out = Dispatch(client_, Create(), context_);
  EXPECT_EQ(out.status, "");
  EXPECT_TRUE(out.wrote);
  EXPECT_EQ(out.event_reason, "CreateInCluster");
  auto got = client_.Get(context_.target, "demo", "cfg");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(out.version, ft::ObjectVersion(**got));
  EXPECT_FALSE(out.version.empty());
}

TEST_F(DispatcherTest, AlreadyExistsIsAdoptedWhenAllowed) {
  Existing("{}");
  DispatchOutcome out = Dispatch(client_, Create(), context_);
  EXPECT_EQ(out.status, "");
  EXPECT_EQ(out.event_reason, "UpdateInCluster");
  auto got = client_.Get(context_.target, "demo", "cfg");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(json::GetString((**got)["data"], "a"), "1");
  EXPECT_EQ(json::GetString((**got)["metadata"]["labels"], "kubefed.io/managed"), "true");
}

TEST_F(DispatcherTest, AlreadyExistsIsReportedWhenAdoptionDisabled) {
  Existing("{}");
  context_.adopt_resources = false;
  DispatchOutcome out = Dispatch(client_, Create(), context_);
  EXPECT_EQ(out.status, "AlreadyExists");
  EXPECT_EQ(out.message, "demo/cfg already exists in the cluster and adoptResources is Disabled");
  EXPECT_EQ(json::GetString((**client_.Get(context_.target, "demo", "cfg"))["data"], "a"), "old");
}

TEST_F(DispatcherTest, ExplicitlyUnmanagedExistingObjectIsNotAdopted) {
  Existing(R"({"kubefed.io/managed":"false"})");
  DispatchOutcome out = Dispatch(client_, Create(), context_);
  EXPECT_EQ(out.status, "ManagedLabelFalse");
  EXPECT_EQ(json::GetString((**client_.Get(context_.target, "demo", "cfg"))["data"], "a"), "old");
}

TEST_F(DispatcherTest, CreationFailureCarriesTheMemberError) {
  client_.InjectError(
      "create", "",
      absl::PermissionDeniedError("configmaps is forbidden: User \"x\" cannot create"));
  DispatchOutcome out = Dispatch(client_, Create(), context_);
  EXPECT_EQ(out.status, "CreationFailed");
  EXPECT_EQ(out.message, "creating demo/cfg: configmaps is forbidden: User \"x\" cannot create");
  EXPECT_EQ(out.event_reason, "CreateInClusterFailed");
  EXPECT_TRUE(out.event_warning);
}

TEST(TimedOutStatusTest, EachOperationHasKubeFedsTimedOutStatus) {
  EXPECT_EQ(TimedOutStatus(Operation::kCreate), "CreationTimedOut");
  EXPECT_EQ(TimedOutStatus(Operation::kUpdate), "UpdateTimedOut");
  EXPECT_EQ(TimedOutStatus(Operation::kDelete), "DeletionTimedOut");
  EXPECT_EQ(TimedOutStatus(Operation::kRemoveManagedLabel), "LabelRemovalTimedOut");
  EXPECT_EQ(TimedOutStatus(Operation::kNone), "");
}

TEST(TimedOutStatusTest, OnlyTheClientsOwnDeadlineIsATimeout) {
  // What the transport returns when curl gives up (no HTTP code).
  EXPECT_TRUE(IsClientTimeout(absl::DeadlineExceededError(
      "POST https://127.0.0.1:1/api/v1/namespaces/demo/configmaps: Operation timed out after "
      "2000 milliseconds with 0 bytes received")));
  // The server's 504 / reason Timeout is an answer: *Failed, as in KubeFed.
  EXPECT_FALSE(IsClientTimeout(kube::StatusFromHttp(
      504, R"({"kind":"Status","reason":"Timeout","message":"request timed out","code":504})",
      "POST /api/v1/namespaces/demo/configmaps")));
  EXPECT_FALSE(IsClientTimeout(absl::UnavailableError("connection refused")));
  EXPECT_FALSE(IsClientTimeout(absl::OkStatus()));
}

// A member that does not answer in time: KubeFed's *TimedOut for the operation (an adoption's
// update counts as an update, as in KubeFed), its OperationTimeoutError Warning, retried, and
// nothing changed in the member. One row per operation and the request that hangs.
TEST_F(DispatcherTest, WritesWithoutAnAnswerInTimeAreTimedOut) {
  const absl::Status hung = absl::DeadlineExceededError(
      "POST https://127.0.0.1:1/api/v1/namespaces/demo/configmaps: Operation timed out after "
      "2000 milliseconds with 0 bytes received");
  struct Row {
    const char* what;
    bool existing;  // the member holds demo/cfg (unlabelled, data a=old)
    Operation op;
    const char* hung_verb;
    const char* want_status;
    const char* want_message_prefix;
  } rows[] = {
      {"create", false, Operation::kCreate, "create", "CreationTimedOut", "creating demo/cfg: "},
      {"adoption: reading the existing object", true, Operation::kCreate, "get", "CreationTimedOut",
       "reading existing demo/cfg to adopt it: "},
      {"adoption: its update", true, Operation::kCreate, "update", "UpdateTimedOut",
       "adopting existing demo/cfg: "},
      {"update", true, Operation::kUpdate, "update", "UpdateTimedOut", "updating demo/cfg: "},
      {"managed label removal", true, Operation::kRemoveManagedLabel, "patch",
       "LabelRemovalTimedOut", "removing label kubefed.io/managed from demo/cfg: "},
      {"delete", true, Operation::kDelete, "delete", "DeletionTimedOut", "deleting demo/cfg: "},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.what);
    kube::FakeClient client;
    ClusterAction action = Create();
    action.op = row.op;
    if (row.existing) {
      auto seen = client.Create(context_.target, "demo",
                                Json(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":
                                         {"name":"cfg","namespace":"demo"},"data":{"a":"old"}})"),
                                {});
      ASSERT_TRUE(seen.ok()) << seen.status();
      action.live_uid = json::GetString((**seen)["metadata"], "uid");
      action.live_resource_version = json::GetString((**seen)["metadata"], "resourceVersion");
    }
    client.InjectError(row.hung_verb, "", hung);
    DispatchOutcome out = Dispatch(client, action, context_);
    EXPECT_EQ(out.status, row.want_status);
    EXPECT_EQ(out.message.substr(0, std::string(row.want_message_prefix).size()),
              row.want_message_prefix);
    EXPECT_THAT(out.message, ::testing::HasSubstr(std::string(hung.message())));
    EXPECT_TRUE(out.retry);
    EXPECT_FALSE(out.wrote);
    EXPECT_EQ(out.event_reason, "OperationTimeoutError");
    EXPECT_TRUE(out.event_warning);
    auto now = client.Get(context_.target, "demo", "cfg");
    if (row.existing) {
      ASSERT_TRUE(now.ok()) << "nothing deleted: " << now.status();
      EXPECT_EQ(json::GetString((**now)["data"], "a"), "old");
    } else {
      EXPECT_TRUE(kube::IsNotFound(now.status())) << "nothing created";
    }
  }
}

// The server's own timeout answer (504, reason Timeout) is an answer: *Failed, as in KubeFed.
TEST_F(DispatcherTest, TheServersTimeoutAnswerIsAFailure) {
  Existing("{}");
  ClusterAction update = Create();
  update.op = Operation::kUpdate;
  client_.InjectError(
      "update", "",
      kube::WithReason(absl::DeadlineExceededError("request timed out"), "Timeout", 504));
  EXPECT_EQ(Dispatch(client_, update, context_).status, "UpdateFailed");
}

// A write on a client retired while it waited to retry (credentials rotated): KubeFed's
// ClientRetrievalFailed, retried (by the workers that get the new client).
TEST_F(DispatcherTest, WriteOnARetiredClientIsClientRetrievalFailed) {
  client_.InjectError("create", "",
                      absl::CancelledError("POST /api/v1/namespaces/demo/configmaps: cancelled "
                                           "while waiting to retry (last attempt: HTTP 503)"));
  DispatchOutcome out = Dispatch(client_, Create(), context_);
  EXPECT_EQ(out.status, "ClientRetrievalFailed");
  EXPECT_EQ(out.message,
            "creating demo/cfg: POST /api/v1/namespaces/demo/configmaps: cancelled while waiting "
            "to retry (last attempt: HTTP 503) (the cluster's client was replaced or stopped)");
  EXPECT_TRUE(out.retry);
}

TEST_F(DispatcherTest, DeleteUsesPreconditionsSoAReplacementSurvives) {
  kube::ObjectPtr seen = Existing(R"({"kubefed.io/managed":"true"})");
  ClusterAction del;
  del.cluster = "m1";
  del.op = Operation::kDelete;
  del.live_uid = json::GetString((*seen)["metadata"], "uid");
  del.live_resource_version = json::GetString((*seen)["metadata"], "resourceVersion");
  // Someone replaces the object (unlabelled) after the cache saw it.
  ASSERT_TRUE(client_.Delete(context_.target, "demo", "cfg", {}).ok());
  Existing("{}");
  DispatchOutcome out = Dispatch(client_, del, context_);
  EXPECT_EQ(out.status, "DeletionFailed");
  EXPECT_TRUE(client_.Get(context_.target, "demo", "cfg").ok())
      << "the unmanaged replacement was deleted";
}

TEST_F(DispatcherTest, DeleteOfManagedObjectAndOfMissingObject) {
  kube::ObjectPtr seen = Existing(R"({"kubefed.io/managed":"true"})");
  ClusterAction del;
  del.op = Operation::kDelete;
  del.live_uid = json::GetString((*seen)["metadata"], "uid");
  DispatchOutcome out = Dispatch(client_, del, context_);
  EXPECT_EQ(out.status, "");
  EXPECT_EQ(out.event_reason, "DeleteInCluster");
  EXPECT_TRUE(kube::IsNotFound(client_.Get(context_.target, "demo", "cfg").status()));
  EXPECT_EQ(Dispatch(client_, del, context_).status, "");  // already gone is fine
}

TEST_F(DispatcherTest, RemoveManagedLabelKeepsTheObject) {
  kube::ObjectPtr seen = Existing(R"({"kubefed.io/managed":"true","app":"x"})");
  ClusterAction unlabel;
  unlabel.op = Operation::kRemoveManagedLabel;
  unlabel.live_resource_version = json::GetString((*seen)["metadata"], "resourceVersion");
  DispatchOutcome out = Dispatch(client_, unlabel, context_);
  EXPECT_EQ(out.status, "");
  auto got = client_.Get(context_.target, "demo", "cfg");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(json::Serialize((**got)["metadata"]["labels"]), R"({"app":"x"})");
}

TEST(DeleteOptionsTest, ParsesAnnotation) {
  auto fed = *json::Parse(R"({"metadata":{"annotations":{"kubefed.io/deleteoption":
      "{\"gracePeriodSeconds\":5,\"propagationPolicy\":\"Orphan\",\"preconditions\":{\"uid\":\"u\"}}"}}})");
  auto options = ParseDeleteOptions(fed);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(*options->grace_period_seconds, 5);
  EXPECT_EQ(options->propagation_policy, "Orphan");
  EXPECT_EQ(options->precondition_uid, "u");
  auto bad = *json::Parse(
      R"({"metadata":{"annotations":{"kubefed.io/deleteoption":"{\"propagationPolicy\":\"Later\"}"}}})");
  EXPECT_EQ(ParseDeleteOptions(bad).status().message(),
            "annotation kubefed.io/deleteoption: propagationPolicy \"Later\" is not one of Orphan, "
            "Background, "
            "Foreground");
  EXPECT_TRUE(ParseDeleteOptions(*json::Parse(R"({"metadata":{}})")).ok());
}

}  // namespace
}  // namespace kfed::controller
