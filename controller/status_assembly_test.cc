#include "controller/status_assembly.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/json.h"
#include "federated_types/keys.h"
#include "gtest/gtest.h"

namespace kfed::controller {
namespace {

namespace ft = ::kfed::federated_types;

const absl::Time kT0 = absl::FromUnixSeconds(1700000000);

// One planned action, compactly.
struct ActionSpec {
  ActionSpec(std::string cluster, Operation op = Operation::kNone, bool selected = true,
             std::string status = "", std::string version = "")
      : cluster(std::move(cluster)),
        op(op),
        selected(selected),
        status(std::move(status)),
        version(std::move(version)) {}
  std::string cluster;
  Operation op;
  bool selected;
  std::string status;   // for kNone
  std::string version;  // for kNone on an up-to-date object
};

// One cluster's record, compactly.
struct RecordSpec {
  RecordSpec(std::string cluster, std::string status = "", bool wrote = false, uint64_t seq = 1,
             std::string version = "")
      : cluster(std::move(cluster)),
        status(std::move(status)),
        wrote(wrote),
        seq(seq),
        version(std::move(version)) {}
  std::string cluster;
  std::string status;  // the last outcome's status ("" success)
  bool wrote;
  uint64_t seq;
  std::string version;  // what kfed wrote there ("" none)
};

Plan MakePlan(const std::vector<ActionSpec>& actions, const std::string& reason = "") {
  Plan plan;
  plan.aggregate_reason = reason;
  for (const ActionSpec& s : actions) {
    ClusterAction a;
    a.cluster = s.cluster;
    a.op = s.op;
    a.selected = s.selected;
    a.status = s.status;
    a.message = s.status.empty() ? "" : absl::StrCat(s.status, " in ", s.cluster);
    a.version = s.version;
    if (s.selected) plan.selected.insert(s.cluster);
    plan.actions.push_back(a);
  }
  return plan;
}

ObjectRecord MakeRecord(const std::vector<RecordSpec>& specs, const std::string& template_version) {
  ObjectRecord record;
  record.template_version = template_version;
  record.overrides_version = "o1";
  for (const RecordSpec& s : specs) {
    ClusterRecord& rec = record.clusters[s.cluster];
    rec.has_outcome = true;
    rec.outcome_seq = s.seq;
    rec.last.status = s.status;
    rec.last.message = s.status.empty() ? "" : absl::StrCat(s.status, ": from the member");
    rec.last.wrote = s.wrote;
    rec.latency_seconds = 0.5;
    if (!s.version.empty()) record.versions[s.cluster] = s.version;
  }
  return record;
}

// "cluster=State/Reason" per published cluster, in order.
std::string States(const std::vector<PublishedCluster>& clusters) {
  std::vector<std::string> out;
  for (const PublishedCluster& c : clusters) {
    status::v1::ClusterState s = ClusterStateFor(c);
    out.push_back(
        absl::StrCat(c.cluster, "=", s.state(), s.reason().empty() ? "" : "/", s.reason()));
  }
  return absl::StrJoin(out, " ");
}

// "name:status" of status.clusters ("name" when OK), or "-" when status has none.
std::string StatusClusters(const rapidjson::Value& status) {
  const rapidjson::Value* clusters = json::Find(status, "clusters");
  if (clusters == nullptr) return "-";
  std::vector<std::string> out;
  for (const rapidjson::Value& c : clusters->GetArray()) {
    std::string s = json::GetString(c, "status");
    out.push_back(s.empty() ? json::GetString(c, "name")
                            : absl::StrCat(json::GetString(c, "name"), ":", s));
  }
  return absl::StrJoin(out, " ");
}

std::string Versions(const std::map<std::string, std::string>& versions) {
  return absl::StrJoin(versions, " ", absl::PairFormatter("="));
}

TEST(AssembleStatusTest, Table) {
  struct Case {
    const char* name;
    std::vector<ActionSpec> actions;
    std::vector<RecordSpec> records;
    std::string reason;           // the plan's aggregate reason
    std::string record_template;  // the record's template version ("t1" is current)
    bool versions_ok;
    // Expected:
    bool pending;
    std::string status_clusters;  // when not pending
    std::string propagation;      // the Propagation condition "status/reason", not pending
    std::string versions;
    bool record_versions;
    std::string states;
  };
  const std::string kNotReady(ft::kClusterNotReady);
  const Case cases[] = {
      {"every selected cluster up to date",
       {{"m1", Operation::kNone, true, "", "gen:1"}, {"m2", Operation::kNone, true, "", "gen:1"}},
       {},
       "",
       "t1",
       true,
       false,
       "m1 m2",
       "True/",
       "m1=gen:1 m2=gen:1",
       true,
       "m1=Propagated m2=Propagated"},
      {"a create in flight waits: no status, no versions",
       {{"m1", Operation::kNone, true, "", "gen:1"}, {"m2", Operation::kCreate}},
       {},
       "",
       "t1",
       true,
       true,
       "",
       "",
       "",
       false,
       "m1=Propagated m2=Pending"},
      {"an update in flight after an earlier success still waits",
       {{"m1", Operation::kUpdate}},
       {{"m1", "", true}},
       "",
       "t1",
       true,
       true,
       "",
       "",
       "",
       false,
       "m1=Pending"},
      {"a failed write is finished work: its status is written",
       {{"m1", Operation::kNone, true, "", "gen:1"}, {"m2", Operation::kUpdate}},
       {{"m2", std::string(ft::kUpdateFailed)}},
       "",
       "t1",
       true,
       false,
       "m1 m2:UpdateFailed",
       "False/CheckClusters",
       "m1=gen:1",
       true,
       "m1=Propagated m2=Error/UpdateFailed"},
      {"a cluster that is not ready is reported and keeps its recorded version",
       {{"m1", Operation::kNone, true, kNotReady}},
       {{"m1", "", false, 3, "gen:1"}},
       "",
       "t1",
       true,
       false,
       "m1:ClusterNotReady",
       "False/CheckClusters",
       "m1=gen:1",
       true,
       "m1=Error/ClusterNotReady"},
      {"recorded versions of an older template do not count",
       {{"m1", Operation::kNone, true, kNotReady}},
       {{"m1", "", false, 3, "gen:1"}},
       "",
       "t0",
       true,
       false,
       "m1:ClusterNotReady",
       "False/CheckClusters",
       "",
       true,
       "m1=Error/ClusterNotReady"},
      {"an unselected cluster is in status only with something to report",
       {{"m1", Operation::kNone, true, "", "gen:1"},
        {"m2", Operation::kNone, false, ""},
        {"m3", Operation::kNone, false, std::string(ft::kManagedLabelFalse)}},
       {},
       "",
       "t1",
       true,
       false,
       "m1 m3:ManagedLabelFalse",
       "False/CheckClusters",
       "m1=gen:1",
       true,
       "m1=Propagated m2=Propagated m3=Error/ManagedLabelFalse"},
      {"an unlabel in an unselected cluster in flight waits too",
       {{"m1", Operation::kRemoveManagedLabel, false}},
       {},
       "",
       "t1",
       true,
       true,
       "",
       "",
       "",
       false,
       "m1=Deleting"},
      {"placement failed: status says so, no PropagatedVersion",
       {},
       {},
       std::string(ft::kComputePlacementFailed),
       "t1",
       true,
       false,
       "-",
       "False/ComputePlacementFailed",
       "",
       false,
       ""},
      {"versions that could not be computed are not recorded",
       {{"m1", Operation::kNone, true, "", "gen:1"}},
       {},
       "",
       "t1",
       false,
       false,
       "m1",
       "True/",
       "m1=gen:1",
       false,
       "m1=Propagated"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Plan plan = MakePlan(c.actions, c.reason);
    ObjectRecord record = MakeRecord(c.records, c.record_template);
    StatusAssemblyInput in;
    in.plan = &plan;
    in.record = &record;
    in.generation = 2;
    in.template_version = "t1";
    in.overrides_version = "o1";
    in.versions_ok = c.versions_ok;
    in.now = kT0;
    AssembledStatus out = AssembleStatus(in);
    EXPECT_EQ(out.pending, c.pending);
    EXPECT_EQ(States(out.clusters), c.states);
    if (c.pending) {
      EXPECT_EQ(out.recheck_after, kPendingStatusRecheck);
      EXPECT_FALSE(out.update.changed);
      EXPECT_FALSE(out.record_versions);
      EXPECT_TRUE(out.accounted.empty());
      continue;
    }
    EXPECT_EQ(out.recheck_after, absl::ZeroDuration());
    EXPECT_TRUE(out.update.changed);  // no status before
    EXPECT_EQ(StatusClusters(out.update.status), c.status_clusters);
    const rapidjson::Value& condition = out.update.status["conditions"][0];
    EXPECT_EQ(absl::StrCat(json::GetString(condition, "status"), "/",
                           json::GetString(condition, "reason")),
              c.propagation);
    EXPECT_EQ(out.update.status["observedGeneration"].GetInt64(), 2);
    EXPECT_EQ(out.record_versions, c.record_versions);
    EXPECT_EQ(Versions(out.versions), c.versions);
    for (const RecordSpec& r : c.records) EXPECT_EQ(out.accounted[r.cluster], r.seq) << r.cluster;
  }
}

TEST(AssembleStatusTest, AtRestNothingIsWritten) {
  Plan plan = MakePlan({{"m1", Operation::kNone, true, "", "gen:1"}});
  ObjectRecord record = MakeRecord({{"m1", "", false}}, "t1");
  StatusAssemblyInput in;
  in.plan = &plan;
  in.record = &record;
  in.generation = 1;
  in.template_version = "t1";
  in.overrides_version = "o1";
  in.versions_ok = true;
  in.now = kT0;
  AssembledStatus first = AssembleStatus(in);
  ASSERT_TRUE(first.update.changed);

  // The same inputs against the status just written, a minute later: nothing to write.
  in.current_status = &first.update.status;
  in.now = kT0 + absl::Minutes(1);
  AssembledStatus again = AssembleStatus(in);
  EXPECT_FALSE(again.pending);
  EXPECT_FALSE(again.update.changed);
}

TEST(AssembleStatusTest, WritesToMembersMoveLastUpdateTime) {
  // A member write the previous status did not account for changes the status (its
  // lastUpdateTime) even when nothing else did, as KubeFed's resourcesUpdated.
  Plan plan = MakePlan({{"m1", Operation::kNone, true, "", "gen:1"}, {"m2", Operation::kUpdate}});
  ObjectRecord record = MakeRecord({{"m2", std::string(ft::kUpdateFailed), false}}, "t1");
  StatusAssemblyInput in;
  in.plan = &plan;
  in.record = &record;
  in.generation = 1;
  in.template_version = "t1";
  in.overrides_version = "o1";
  in.now = kT0;
  AssembledStatus first = AssembleStatus(in);
  ASSERT_TRUE(first.update.changed);
  in.current_status = &first.update.status;
  in.now = kT0 + absl::Minutes(1);
  EXPECT_FALSE(AssembleStatus(in).update.changed);

  record.clusters["m2"].last.wrote = true;
  AssembledStatus moved = AssembleStatus(in);
  EXPECT_TRUE(moved.update.changed);
  EXPECT_EQ(json::GetString(moved.update.status["conditions"][0], "lastUpdateTime"),
            FormatKubeTime(kT0 + absl::Minutes(1)));
}

TEST(AssembleStatusTest, RemoteStatusOnlyWhereTheMemberWasRead) {
  Plan plan = MakePlan({{"m1", Operation::kNone, true, "", "gen:1"},
                        {"m2", Operation::kNone, true, std::string(ft::kClusterNotReady)}});
  ObjectRecord record = MakeRecord({}, "t1");
  rapidjson::Document m1_status, m2_status;
  m1_status.Parse(R"({"readyReplicas":3})");
  m2_status.Parse(R"({"readyReplicas":1})");
  StatusAssemblyInput in;
  in.plan = &plan;
  in.record = &record;
  in.generation = 1;
  in.template_version = "t1";
  in.overrides_version = "o1";
  in.versions_ok = true;
  in.now = kT0;
  in.remote_statuses = {{"m1", &m1_status}, {"m2", &m2_status}};
  // Without collection: none.
  AssembledStatus off = AssembleStatus(in);
  EXPECT_EQ(json::Serialize(off.update.status["clusters"]),
            R"([{"name":"m1"},{"name":"m2","status":"ClusterNotReady",)"
            R"("message":"ClusterNotReady in m2"}])");
  // With collection: the ready member's status; not the one that could not be read.
  in.collect_remote_status = true;
  AssembledStatus on = AssembleStatus(in);
  EXPECT_EQ(json::Serialize(on.update.status["clusters"]),
            R"([{"name":"m1","remoteStatus":{"readyReplicas":3}},)"
            R"({"name":"m2","status":"ClusterNotReady","message":"ClusterNotReady in m2"}])");
}

TEST(AssembleStatusTest, MemberGenerationsAndLatencyArePublished) {
  Plan plan = MakePlan({{"m1", Operation::kNone, true, "", "gen:1"}, {"m2", Operation::kCreate}});
  ObjectRecord record = MakeRecord({{"m1", ""}}, "t1");
  StatusAssemblyInput in;
  in.plan = &plan;
  in.record = &record;
  in.member_generations = {{"m1", 7}};
  in.now = kT0;
  AssembledStatus out = AssembleStatus(in);
  ASSERT_EQ(out.clusters.size(), 2u);
  EXPECT_EQ(out.clusters[0].member_generation, 7);
  EXPECT_DOUBLE_EQ(out.clusters[0].latency_seconds, 0.5);
  EXPECT_EQ(out.clusters[1].member_generation, 0);
  EXPECT_DOUBLE_EQ(out.clusters[1].latency_seconds, 0);
}

TEST(AssembleDeletionViewTest, Table) {
  struct Case {
    const char* name;
    std::vector<ActionSpec> actions;
    std::vector<std::string> waiting;
    std::vector<RecordSpec> records;
    std::string states;
    std::string waiting_list;
  } cases[] = {
      {"deletes in flight and a cluster to confirm",
       {{"m2", Operation::kDelete}, {"m1", Operation::kRemoveManagedLabel}},
       {"m3"},
       {},
       "m2=Deleting m1=Deleting m3=Deleting",
       "m1, m2, m3"},
      {"a failed delete shows its reason",
       {{"m1", Operation::kDelete}},
       {},
       {{"m1", std::string(ft::kDeletionFailed)}},
       "m1=Error/DeletionFailed",
       "m1"},
      {"a cluster that cannot be reached keeps the deletion waiting",
       {{"m1", Operation::kNone, true, std::string(ft::kClusterNotReady)}},
       {},
       {},
       "m1=Error/ClusterNotReady",
       "m1"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    DeletionPlan plan;
    plan.actions = MakePlan(c.actions).actions;
    plan.waiting = c.waiting;
    DeletionView view = AssembleDeletionView(plan, MakeRecord(c.records, "t1"));
    EXPECT_EQ(States(view.clusters), c.states);
    EXPECT_EQ(view.waiting, c.waiting_list);
  }
}

}  // namespace
}  // namespace kfed::controller
