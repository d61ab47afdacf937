// The fault suite: real faults against the real local clusters while kfed propagates, each
// followed by FederationCheck (every member copy matches the federated objects, unmanaged
// objects untouched, nothing created twice, deletions finished, statuses right). The faults:
//   - a member apiserver SIGKILLed during a cold start of 1,000 objects, then started again;
//   - the host apiserver restarted during propagation and deletion;
//   - etcd compacted while a member is down, so kfed's watches resume into 410 Gone;
//   - the controller SIGKILLed 20 times at random points of propagation and deletion;
//   - the leader SIGKILLed during propagation with two replicas running;
//   - a member apiserver stalled with SIGSTOP, so requests to it time out;
//   - a 429 storm (API Priority and Fairness rejecting every request of kfed's member identity)
//     and a 5xx storm (a failing admission webhook) from the members.
// The faults are real server behaviour: no proxy imitates them. Each test logs a line
// "fault: <name>: <report>" with the objects checked; docs/reliability.md has the table.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/json.h"
#include "e2e/cluster_env.h"
#include "e2e/federation_check.h"
#include "e2e/federation_env.h"

namespace kfed::e2e {
namespace {

using ::absl::StrCat;

// Generous: the whole suite runs under ASan + UBSan on 2 cores.
constexpr absl::Duration kConverge = absl::Minutes(6);

const std::vector<std::string>& Members() { return Clusters().members; }

// Both members, with member2's region overridden when `override_second`.
DesiredConfigMap OnAllMembers(const std::string& version, bool override_second) {
  DesiredConfigMap d;
  d.version = version;
  d.clusters = Members();
  if (override_second && Members().size() > 1) d.region[Members()[1]] = "eu-west";
  return d;
}

// ConfigMaps with kubefed.io/managed=true in `member`'s `ns`.
absl::StatusOr<int> CountManaged(const std::string& member, const std::string& ns) {
  absl::StatusOr<std::string> out =
      Kubectl(member, {"get", "configmaps", "-n", ns, "-l", "kubefed.io/managed=true", "-o", "name",
                       "--request-timeout=5s"});
  if (!out.ok()) return out.status();
  return static_cast<int>(
      std::count_if(out->begin(), out->end(), [](char c) { return c == '\n'; }));
}

// Sum of the samples of `metric` in a Prometheus text whose labels contain every one of
// `label_parts`.
double SumSamples(const std::string& text, const std::string& metric,
                  const std::vector<std::string>& label_parts) {
  double sum = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!absl::StartsWith(line, StrCat(metric, "{"))) continue;
    bool match = true;
    for (const std::string& p : label_parts) match = match && absl::StrContains(line, p);
    double v = 0;
    if (match && absl::SimpleAtod(line.substr(line.rfind(' ') + 1), &v)) sum += v;
  }
  return sum;
}

// SumSamples of `context`'s apiserver /metrics.
absl::StatusOr<double> ApiserverMetric(const std::string& context, const std::string& metric,
                                       const std::vector<std::string>& label_parts) {
  absl::StatusOr<std::string> text = Kubectl(context, {"get", "--raw", "/metrics"});
  if (!text.ok()) return text.status();
  return SumSamples(*text, metric, label_parts);
}

// What a log file holds past `offset` bytes.
std::string LogSince(const std::string& path, std::streamoff offset) {
  std::ifstream in(path);
  in.seekg(offset);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::streamoff LogSize(const std::string& path) {
  std::ifstream in(path, std::ios::ate);
  return in ? static_cast<std::streamoff>(in.tellg()) : 0;
}

// The pid in the Lease's holderIdentity ("<hostname>_<pid>"), or -1.
pid_t LeaderPid() {
  absl::StatusOr<rapidjson::Document> lease =
      KubectlJson(Host(), {"get", "lease", "kubefed-controller-manager", "-n", kFedNamespace});
  if (!lease.ok()) return -1;
  const std::string holder = json::GetString((*lease)["spec"], "holderIdentity");
  int pid = -1;
  if (!absl::SimpleAtoi(holder.substr(holder.rfind('_') + 1), &pid)) return -1;
  return pid;
}

absl::Status KubeFedClusterReady(const std::string& member, bool want) {
  absl::StatusOr<rapidjson::Document> kfc =
      KubectlJson(Host(), {"get", "kubefedcluster", member, "-n", kFedNamespace});
  if (!kfc.ok()) return kfc.status();
  std::string ready = "Unknown";
  const rapidjson::Value* conditions = json::FindPath(*kfc, {"status", "conditions"});
  if (conditions != nullptr && conditions->IsArray()) {
    for (const rapidjson::Value& c : conditions->GetArray()) {
      if (json::GetString(c, "type") == "Ready") ready = json::GetString(c, "status");
    }
  }
  if ((ready == "True") == want) return absl::OkStatus();
  return absl::UnavailableError(StrCat(member, " Ready=", ready));
}

class FaultE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(Clusters().kubeconfig.empty());
    ASSERT_GE(Members().size(), 2u) << "the fault suite needs two members";
    fed_ = &Federation::Get();
    // A fault of an earlier test may have made the controller exit on purpose (lost Lease).
    absl::StatusOr<bool> restarted = fed_->RestartPrimaryIfExited();
    ASSERT_TRUE(restarted.ok()) << restarted.status();
    ASSERT_GT(fed_->primary().pid, 0) << "the controller is not running";
  }

  // A fresh federated namespace with an unmanaged ConfigMap in each member.
  std::unique_ptr<FederationCheck> NewCheck(const std::string& prefix) {
    const std::string ns = fed_->NewNamespace(prefix);
    auto check = std::make_unique<FederationCheck>(ns, Members());
    for (const std::string& m : Members()) {
      absl::Status added = check->AddUnmanaged(m, "not-kfeds");
      EXPECT_TRUE(added.ok()) << added;
    }
    return check;
  }

  // Asserts convergence and reports what was checked.
  void ExpectConverged(FederationCheck& check, const std::string& fault) {
    CheckReport r = check.WaitConverged(kConverge);
    EXPECT_TRUE(r.problems.empty()) << fault << ": " << r.Summary();
    std::cout << "fault: " << fault << ": " << r.Summary() << std::endl;
    // The controller survived the fault (it may exit on purpose only after losing its Lease,
    // which no fault but the host restart causes).
    int status = 0;
    if (waitpid(fed_->primary().pid, &status, WNOHANG) == fed_->primary().pid) {
      ADD_FAILURE() << "the controller exited during " << fault << "; see " << fed_->primary().log;
      fed_->primary().pid = -1;  // the next test's SetUp starts another
    }
  }

  // Applies `batch` and waits until every cluster is correct (the state before a fault).
  void Settle(FederationCheck& check, const std::map<std::string, DesiredConfigMap>& batch,
              const std::string& what) {
    ASSERT_TRUE(check.Desire(batch).ok());
    ExpectConverged(check, what);
    check.Observe();
  }

  Federation* fed_ = nullptr;
};

TEST_F(FaultE2eTest, MemberKilledDuringColdStartOf1000Objects) {
  auto check = NewCheck("fault-cold");
  const std::string& victim = Members()[0];
  const std::string& other = Members()[1];
  std::map<std::string, DesiredConfigMap> batch;
  for (int i = 0; i < 1000; ++i) {
    batch[absl::StrFormat("cold-%04d", i)] = OnAllMembers("v1", /*override_second=*/i % 2 == 0);
  }
  // The host objects are written while the victim is killed: the cold start is under way.
  absl::Status desired;
  std::thread writer([&] { desired = check->Desire(batch); });
  absl::Status started =
      WaitFor(StrCat(victim, " holds 20 copies"), absl::Minutes(3), [&]() -> absl::Status {
        absl::StatusOr<int> n = CountManaged(victim, check->ns());
        if (!n.ok()) return n.status();
        return *n >= 20 ? absl::OkStatus() : absl::UnavailableError(StrCat(*n));
      });
  absl::Cleanup restart_victim = [&] { (void)Launcher({"start", victim}); };
  absl::StatusOr<int> at_kill = CountManaged(victim, check->ns());
  ASSERT_TRUE(Launcher({"kill", victim}).ok());  // SIGKILL: a crash, no graceful shutdown
  const absl::Time killed_at = absl::Now();
  writer.join();
  ASSERT_TRUE(desired.ok()) << desired;
  ASSERT_TRUE(started.ok()) << started;
  ASSERT_TRUE(at_kill.ok()) << at_kill.status();
  EXPECT_LT(*at_kill, 1000) << "the cold start had finished before the member was killed";
  std::cout << "fault: " << victim << " killed holding " << *at_kill << " of 1000 copies"
            << std::endl;
  check->Observe();

  // The other member is not held up by the dead one.
  absl::Status isolated =
      WaitFor(StrCat(other, " holds all 1000 copies"), kConverge, [&]() -> absl::Status {
        absl::StatusOr<int> n = CountManaged(other, check->ns());
        if (!n.ok()) return n.status();
        return *n == 1000 ? absl::OkStatus() : absl::UnavailableError(StrCat(*n));
      });
  EXPECT_TRUE(isolated.ok()) << isolated;
  EXPECT_TRUE(WaitFor("victim reported not Ready", absl::Minutes(1), [&] {
                return KubeFedClusterReady(victim, false);
              }).ok());
  check->Observe();
  // An outage of at least 40 s: kfed's watches of the victim back off to their 30 s maximum,
  // so they resume well after the victim is back (their cache shows kfed's creations late).
  absl::SleepFor(std::max(absl::ZeroDuration(), killed_at + absl::Seconds(40) - absl::Now()));

  ASSERT_TRUE(Launcher({"start", victim}).ok());
  std::move(restart_victim).Cancel();
  ExpectConverged(*check, "member killed during a cold start of 1000 objects");
}

TEST_F(FaultE2eTest, HostRestartedDuringPropagationAndDeletion) {
  auto check = NewCheck("fault-host");
  std::map<std::string, DesiredConfigMap> batch;
  for (int i = 0; i < 200; ++i) batch[StrCat("host-", i)] = OnAllMembers("v1", i % 3 == 0);
  ASSERT_NO_FATAL_FAILURE(Settle(*check, batch, "host restart: before"));

  // Updates, new objects and deletions, then the host goes away mid-way through them.
  std::map<std::string, DesiredConfigMap> changes;
  for (int i = 0; i < 100; ++i) changes[StrCat("host-", i)] = OnAllMembers("v2", i % 3 == 0);
  for (int i = 200; i < 300; ++i) changes[StrCat("host-", i)] = OnAllMembers("v1", false);
  ASSERT_TRUE(check->Desire(changes).ok());
  std::vector<std::string> gone;
  for (int i = 150; i < 200; ++i) gone.push_back(StrCat("host-", i));
  ASSERT_TRUE(check->Delete(gone).ok());
  absl::Cleanup restart_host = [&] { (void)Launcher({"start", Host()}); };
  ASSERT_TRUE(Launcher({"stop", Host()}).ok());
  // Down long enough for the controller to lose its Lease (renewDeadline 3 s): it exits on
  // purpose then, as controller-runtime does, and is restarted as its Deployment would be.
  bool exited = false;
  (void)WaitFor("controller gives up its lost Lease", absl::Seconds(20), [&]() -> absl::Status {
    int status = 0;
    exited = waitpid(fed_->primary().pid, &status, WNOHANG) == fed_->primary().pid;
    return exited ? absl::OkStatus() : absl::UnavailableError("still running");
  });
  std::cout << "fault: host down; the controller " << (exited ? "exited" : "kept running")
            << std::endl;
  check->Observe();
  ASSERT_TRUE(Launcher({"start", Host()}).ok());
  std::move(restart_host).Cancel();
  if (exited) {
    fed_->primary().pid = -1;
    ASSERT_TRUE(fed_->RestartPrimary().ok());
  }
  ExpectConverged(*check, "host apiserver restarted during propagation and deletion");
}

TEST_F(FaultE2eTest, EtcdCompactionForces410OnMemberWatches) {
  auto check = NewCheck("fault-compact");
  const std::string& victim = Members()[0];
  std::map<std::string, DesiredConfigMap> batch;
  for (int i = 0; i < 100; ++i) batch[StrCat("compact-", i)] = OnAllMembers("v1", i % 2 == 1);
  ASSERT_NO_FATAL_FAILURE(Settle(*check, batch, "etcd compaction: before"));

  // A freshly started apiserver answers 403 until its RBAC caches have synced, and a watch
  // that fails with 403 relists (as client-go's reflector does) instead of resuming. So that
  // kfed resumes its watches only once the victim is ready, this test freezes the controller
  // (SIGSTOP) while the victim starts: a controller without leader election, which has no
  // Lease to lose while frozen.
  fed_->StopController(fed_->primary(), SIGTERM);
  absl::StatusOr<ControllerProcess> freezable = fed_->StartController({"--no-leader-elect"});
  ASSERT_TRUE(freezable.ok()) << freezable.status();
  fed_->primary() = *freezable;
  absl::Cleanup thaw = [&] { kill(fed_->primary().pid, SIGCONT); };
  // It has synced and works: one more change converges.
  batch["compact-99"].version = "v1b";
  ASSERT_TRUE(check->Desire(batch).ok());
  ExpectConverged(*check, "etcd compaction: controller without leader election");

  const std::streamoff log_offset = LogSize(fed_->primary().log);
  absl::Cleanup restart_victim = [&] { (void)Launcher({"start", victim}); };
  ASSERT_TRUE(Launcher({"stop", victim}).ok());
  // Changes the victim misses, then every revision before now is compacted away: kfed's watches
  // on the victim resume from a compacted resourceVersion.
  for (auto& [name, d] : batch) d.version = "v2";
  ASSERT_TRUE(check->Desire(batch).ok());
  ASSERT_TRUE(check->Delete({"compact-0", "compact-1"}).ok());
  std::string etcd_port;
  std::getline(std::ifstream(Clusters().run_dir + "/etcd/port"), etcd_port);
  const std::string etcd = StrCat("http://127.0.0.1:", etcd_port);
  absl::StatusOr<std::string> head = e2e::Run(
      {"curl", "-sf", "-X", "POST", etcd + "/v3/kv/range", "-d", R"({"key":"AA==","limit":1})"});
  ASSERT_TRUE(head.ok()) << head.status();
  absl::StatusOr<rapidjson::Document> range = json::Parse(*head);
  ASSERT_TRUE(range.ok()) << *head;
  const std::string revision = json::GetString((*range)["header"], "revision");
  ASSERT_FALSE(revision.empty()) << *head;
  absl::StatusOr<std::string> compacted =
      e2e::Run({"curl", "-sf", "-X", "POST", etcd + "/v3/kv/compaction", "-d",
                StrCat(R"({"revision":")", revision, R"(","physical":true})")});
  ASSERT_TRUE(compacted.ok()) << compacted.status();
  ASSERT_EQ(kill(fed_->primary().pid, SIGSTOP), 0);
  ASSERT_TRUE(Launcher({"start", victim}).ok());  // waits for /readyz (informers synced)
  std::move(restart_victim).Cancel();
  absl::Status authorized =
      WaitFor("kfed's identity authorized in the victim", absl::Minutes(1), [&]() -> absl::Status {
        absl::StatusOr<std::string> sas =
            Kubectl(victim, {"get", "serviceaccounts", "-n", kFedNamespace, "-o", "name"});
        if (!sas.ok()) return sas.status();
        for (absl::string_view sa : absl::StrSplit(*sas, '\n', absl::SkipEmpty())) {
          sa = sa.substr(sa.find('/') + 1);
          if (sa == "default" || sa == "kfed-fault-hog") continue;
          absl::StatusOr<std::string> can =
              Kubectl(victim, {"auth", "can-i", "watch", "configmaps", "--all-namespaces",
                               StrCat("--as=system:serviceaccount:", kFedNamespace, ":", sa)});
          if (can.ok() && absl::StartsWith(*can, "yes")) return absl::OkStatus();
        }
        return absl::UnavailableError("not yet");
      });
  ASSERT_TRUE(authorized.ok()) << authorized;
  ASSERT_EQ(kill(fed_->primary().pid, SIGCONT), 0);
  std::move(thaw).Cancel();

  ExpectConverged(*check, StrCat("etcd compacted at revision ", revision, " while ", victim,
                                 " was down (watches resumed into 410)"));
  // The informer logs a 410 as "informer <resource>: OUT_OF_RANGE: <message>; relisting".
  const std::string log = LogSince(fed_->primary().log, log_offset);
  int gone = 0;
  for (absl::string_view line : absl::StrSplit(log, '\n')) {
    if (absl::StrContains(line, "OUT_OF_RANGE") && absl::EndsWith(line, "; relisting")) {
      if (gone++ == 0) std::cout << "fault: first 410 seen: " << line << std::endl;
    }
  }
  std::cout << "fault: " << gone << " watches of the controller resumed into 410 and relisted"
            << std::endl;
  EXPECT_GT(gone, 0) << "no watch of the controller saw 410 Gone after the compaction: the fault "
                        "did not happen. Log since the fault:\n"
                     << log.substr(0, 20000);
  // Back to a leader-elected controller for the tests after this one.
  fed_->StopController(fed_->primary(), SIGTERM);
  ASSERT_TRUE(fed_->RestartPrimary().ok());
}

TEST_F(FaultE2eTest, ControllerSigkilled20TimesDuringPropagationAndDeletion) {
  auto check = NewCheck("fault-kill");
  std::mt19937 rng(20261206);
  std::vector<std::string> live;        // on both members
  std::vector<std::string> narrowable;  // on both members, placement not yet narrowed
  int next = 0;
  for (int round = 0; round < 20; ++round) {
    std::map<std::string, DesiredConfigMap> changes;
    for (int i = 0; i < 15; ++i, ++next) {
      const std::string name = StrCat("kill-", next);
      changes[name] = OnAllMembers("v1", next % 2 == 0);
      live.push_back(name);
      narrowable.push_back(name);
    }
    std::shuffle(live.begin(), live.end(), rng);
    // Updates of existing objects (not those created in this round).
    for (size_t i = 0; i < live.size() && i < 6; ++i) {
      if (changes.count(live[i])) continue;
      DesiredConfigMap d = check->desired().at(live[i]);
      d.version = StrCat("v", round + 2);
      changes[live[i]] = d;
    }
    // Placement narrowed to one member: the other's copy must be deleted. A cluster never comes
    // back into an object's placement (that would create a copy twice, by design).
    std::shuffle(narrowable.begin(), narrowable.end(), rng);
    for (int i = 0; i < 2 && !narrowable.empty(); ++i) {
      const std::string name = narrowable.back();
      narrowable.pop_back();
      DesiredConfigMap d = changes.count(name) ? changes[name] : check->desired().at(name);
      d.clusters = {Members()[(round + i) % 2]};
      d.region.clear();
      changes[name] = d;
    }
    ASSERT_TRUE(check->Desire(changes).ok());
    // Deletions of objects not touched in this round.
    std::vector<std::string> doomed;
    for (auto it = live.begin(); it != live.end() && doomed.size() < 4;) {
      if (changes.count(*it)) {
        ++it;
        continue;
      }
      doomed.push_back(*it);
      narrowable.erase(std::remove(narrowable.begin(), narrowable.end(), *it), narrowable.end());
      it = live.erase(it);
    }
    ASSERT_TRUE(check->Delete(doomed).ok());
    // A random point of the propagation and deletion just started.
    absl::SleepFor(absl::Milliseconds(std::uniform_int_distribution<int>(0, 2000)(rng)));
    fed_->StopController(fed_->primary(), SIGKILL);
    check->Observe();
    ASSERT_TRUE(fed_->RestartPrimary().ok()) << "round " << round;
  }
  ExpectConverged(*check, "controller SIGKILLed 20 times during propagation and deletion");
}

TEST_F(FaultE2eTest, LeaderKilledDuringPropagationWithTwoReplicas) {
  auto check = NewCheck("fault-leader");
  absl::StatusOr<ControllerProcess> standby = fed_->StartController();
  ASSERT_TRUE(standby.ok()) << standby.status();
  absl::Cleanup stop_standby = [&] { fed_->StopController(*standby, SIGTERM); };
  std::map<std::string, DesiredConfigMap> batch;
  for (int i = 0; i < 300; ++i) batch[StrCat("leader-", i)] = OnAllMembers("v1", i % 2 == 0);
  ASSERT_TRUE(check->Desire(batch).ok());
  ASSERT_TRUE(WaitFor("propagation under way", absl::Minutes(2), [&]() -> absl::Status {
                absl::StatusOr<int> n = CountManaged(Members()[0], check->ns());
                if (!n.ok()) return n.status();
                return *n >= 10 ? absl::OkStatus() : absl::UnavailableError(StrCat(*n));
              }).ok());
  const pid_t leader = LeaderPid();
  ASSERT_TRUE(leader == fed_->primary().pid || leader == standby->pid)
      << "the Lease names pid " << leader << ", neither replica";
  ControllerProcess& killed = leader == fed_->primary().pid ? fed_->primary() : *standby;
  ControllerProcess& survivor = leader == fed_->primary().pid ? *standby : fed_->primary();
  fed_->StopController(killed, SIGKILL);
  check->Observe();
  ASSERT_TRUE(WaitFor("the other replica leads", absl::Minutes(1), [&]() -> absl::Status {
                return LeaderPid() == survivor.pid ? absl::OkStatus()
                                                   : absl::UnavailableError("not yet");
              }).ok());
  // The survivor carries on as the primary for the tests after this one.
  if (&survivor != &fed_->primary()) {
    std::move(stop_standby).Cancel();
    fed_->primary() = survivor;
  }
  ExpectConverged(*check, "leader SIGKILLed during propagation with two replicas");
}

TEST_F(FaultE2eTest, StalledMemberTimesOutAndOthersCarryOn) {
  auto check = NewCheck("fault-stall");
  const std::string& victim = Members()[0];
  const std::string& other = Members()[1];
  std::map<std::string, DesiredConfigMap> batch;
  for (int i = 0; i < 100; ++i) batch[StrCat("stall-", i)] = OnAllMembers("v1", i % 2 == 0);
  ASSERT_NO_FATAL_FAILURE(Settle(*check, batch, "stalled member: before"));

  absl::Cleanup resume = [&] { (void)Launcher({"resume", victim}); };
  ASSERT_TRUE(Launcher({"pause", victim}).ok());
  for (auto& [name, d] : batch) d.version = "v2";
  for (int i = 100; i < 150; ++i) batch[StrCat("stall-", i)] = OnAllMembers("v1", false);
  ASSERT_TRUE(check->Desire(batch).ok());
  ASSERT_TRUE(check->Delete({"stall-0", "stall-1", "stall-2"}).ok());
  // The others are not held up by requests hanging on the stalled member.
  absl::Status carried_on = WaitFor(StrCat(other, " has every change"), kConverge, [&] {
    absl::StatusOr<std::string> out =
        Kubectl(other, {"get", "configmaps", "-n", check->ns(), "-l", "kubefed.io/managed=true",
                        "-o", "jsonpath={range .items[*]}{.data.version}{\"\\n\"}{end}"});
    if (!out.ok()) return out.status();
    std::vector<std::string> versions = absl::StrSplit(*out, '\n', absl::SkipEmpty());
    const long v2 = std::count(versions.begin(), versions.end(), "v2");
    return versions.size() == 147 && v2 == 97
               ? absl::OkStatus()
               : absl::UnavailableError(StrCat(versions.size(), " copies, ", v2, " at v2"));
  });
  EXPECT_TRUE(carried_on.ok()) << carried_on;
  EXPECT_TRUE(WaitFor("stalled member reported not Ready", absl::Minutes(1), [&] {
                return KubeFedClusterReady(victim, false);
              }).ok());
  ASSERT_TRUE(Launcher({"resume", victim}).ok());
  std::move(resume).Cancel();
  ExpectConverged(*check, "member apiserver stalled with SIGSTOP (requests time out)");
}

// Requests of kfed's member identity (ServiceAccounts of the federation namespace) go to a
// priority level of API Priority and Fairness with no seats that may not borrow and whose
// limit response is Reject. Such a level still runs one request when it runs none (so that
// it never starves); SeatHog keeps that one request busy, so every request of kfed's is
// answered 429.
std::string RejectEverythingFlowControl() {
  return StrCat(R"(apiVersion: flowcontrol.apiserver.k8s.io/v1
kind: PriorityLevelConfiguration
metadata:
  name: kfed-fault-storm
spec:
  type: Limited
  limited:
    nominalConcurrencyShares: 0
    lendablePercent: 0
    borrowingLimitPercent: 0
    limitResponse:
      type: Reject
---
apiVersion: flowcontrol.apiserver.k8s.io/v1
kind: FlowSchema
metadata:
  name: kfed-fault-storm
spec:
  priorityLevelConfiguration:
    name: kfed-fault-storm
  matchingPrecedence: 50
  rules:
  - subjects:
    - kind: ServiceAccount
      serviceAccount:
        namespace: )",
                kFedNamespace, R"(
        name: "*"
    resourceRules:
    - verbs: ["*"]
      apiGroups: ["*"]
      resources: ["*"]
      namespaces: ["*"]
      clusterScope: true
)");
}

// Every write to ConfigMaps in `ns` fails with 500: a validating webhook at `url` that
// does not answer, with failurePolicy Fail.
std::string FailingWebhook(const std::string& name, const std::string& ns, const std::string& url,
                           int timeout_seconds) {
  return StrCat(R"(apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: )",
                name, R"(
webhooks:
- name: storm.kfed.test
  clientConfig:
    url: )",
                url, R"(
  rules:
  - operations: ["CREATE", "UPDATE", "DELETE"]
    apiGroups: [""]
    apiVersions: ["v1"]
    resources: ["configmaps"]
  namespaceSelector:
    matchLabels:
      kubernetes.io/metadata.name: )",
                ns, R"(
  failurePolicy: Fail
  sideEffects: None
  admissionReviewVersions: ["v1"]
  timeoutSeconds: )",
                timeout_seconds, "\n");
}

// Occupies the one request a seatless APF priority level runs: a ServiceAccount of the
// federation namespace (so the level's FlowSchema matches it) creates ConfigMaps in its own
// namespace, each held for 30 s by a webhook whose address accepts connections and never
// answers; the create then fails (nothing is created). Two loops take turns so that the seat
// is taken again as soon as a create ends.
class SeatHog {
 public:
  explicit SeatHog(std::string member) : member_(std::move(member)) {}
  ~SeatHog() { Stop(); }

  absl::Status Start() {
    // A listener that never accepts: the kernel completes the connections, nothing answers.
    blackhole_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (blackhole_ < 0 || bind(blackhole_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        listen(blackhole_, 64) != 0 ||
        getsockname(blackhole_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      return absl::InternalError("cannot open the blackhole listener");
    }
    const std::string setup =
        StrCat(R"(apiVersion: v1
kind: Namespace
metadata:
  name: kfed-fault-hog
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: kfed-fault-hog
  namespace: )",
               kFedNamespace, R"(
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: kfed-fault-hog
  namespace: kfed-fault-hog
rules:
- apiGroups: [""]
  resources: ["configmaps"]
  verbs: ["create"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: kfed-fault-hog
  namespace: kfed-fault-hog
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: kfed-fault-hog
subjects:
- kind: ServiceAccount
  name: kfed-fault-hog
  namespace: )",
               kFedNamespace, "\n---\n",
               FailingWebhook("kfed-fault-hog", "kfed-fault-hog",
                              StrCat("https://127.0.0.1:", ntohs(addr.sin_port), "/hog"),
                              /*timeout_seconds=*/30));
    absl::Status applied = Apply(member_, setup);
    if (!applied.ok()) return applied;
    absl::StatusOr<std::string> token = Kubectl(
        member_, {"create", "token", "kfed-fault-hog", "-n", kFedNamespace, "--duration=1h"});
    if (!token.ok()) return token.status();
    absl::StatusOr<std::string> server = Kubectl(
        member_, {"config", "view", "--minify", "-o", "jsonpath={.clusters[0].cluster.server}"});
    if (!server.ok()) return server.status();
    const std::vector<std::string> create = {
        "curl",
        "-sk",
        "-o",
        "/dev/null",
        "--max-time",
        "40",
        "-X",
        "POST",
        "-H",
        StrCat("Authorization: Bearer ", absl::StripAsciiWhitespace(*token)),
        "-H",
        "Content-Type: application/json",
        "-d",
        R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"generateName":"hog-"}})",
        StrCat(*server, "/api/v1/namespaces/kfed-fault-hog/configmaps")};
    for (int i = 0; i < 2; ++i) {
      loops_.emplace_back([this, create] {
        while (!stop_.load()) {
          (void)e2e::Run(create);  // 429 at once while the other loop holds the seat
          absl::SleepFor(absl::Milliseconds(100));
        }
      });
    }
    return absl::OkStatus();
  }

  // Ends the loops (a create under way ends when the member gives up on the webhook, or when
  // the blackhole closes) and removes what Start() set up.
  void Stop() {
    if (blackhole_ < 0) return;
    stop_ = true;
    close(blackhole_);
    blackhole_ = -1;
    for (std::thread& t : loops_) t.join();
    loops_.clear();
    (void)Kubectl(member_, {"delete", "validatingwebhookconfiguration", "kfed-fault-hog",
                            "--ignore-not-found"});
    (void)Kubectl(member_,
                  {"delete", "namespace", "kfed-fault-hog", "--wait=false", "--ignore-not-found"});
    (void)Kubectl(member_, {"delete", "serviceaccount", "kfed-fault-hog", "-n", kFedNamespace,
                            "--ignore-not-found"});
  }

 private:
  const std::string member_;
  int blackhole_ = -1;
  std::atomic<bool> stop_{false};
  std::vector<std::thread> loops_;
};

TEST_F(FaultE2eTest, Storms429And5xxFromMembers) {
  auto check = NewCheck("fault-storm");
  const std::string& throttled = Members()[0];
  const std::string& failing = Members()[1];
  std::map<std::string, DesiredConfigMap> batch;
  for (int i = 0; i < 100; ++i) batch[StrCat("storm-", i)] = OnAllMembers("v1", i % 2 == 0);
  ASSERT_NO_FATAL_FAILURE(Settle(*check, batch, "storms: before"));

  // kfed's failed member writes per cluster, and what the members answered.
  auto counts = [&]() -> absl::StatusOr<std::vector<double>> {
    absl::StatusOr<std::string> kfed = fed_->Metrics(fed_->primary());
    if (!kfed.ok()) return kfed.status();
    // The hog only POSTs: PUTs answered 429 are kfed's updates.
    absl::StatusOr<double> rejected =
        ApiserverMetric(throttled, "apiserver_request_total",
                        {"code=\"429\"", "resource=\"configmaps\"", "verb=\"PUT\""});
    if (!rejected.ok()) return rejected.status();
    absl::StatusOr<double> failed = ApiserverMetric(failing, "apiserver_request_total",
                                                    {"code=\"500\"", "resource=\"configmaps\""});
    if (!failed.ok()) return failed.status();
    return std::vector<double>{
        SumSamples(*kfed, "kfed_member_errors_total", {StrCat("cluster=\"", throttled, "\"")}),
        SumSamples(*kfed, "kfed_member_errors_total", {StrCat("cluster=\"", failing, "\"")}),
        *rejected, *failed};
  };
  absl::StatusOr<std::vector<double>> before = counts();
  ASSERT_TRUE(before.ok()) << before.status();
  SeatHog hog(throttled);
  absl::Cleanup calm = [&] {
    hog.Stop();
    (void)Kubectl(throttled, {"delete", "flowschema,prioritylevelconfiguration", "kfed-fault-storm",
                              "--ignore-not-found"});
    (void)Kubectl(failing, {"delete", "validatingwebhookconfiguration", "kfed-fault-storm",
                            "--ignore-not-found"});
  };
  ASSERT_TRUE(Apply(throttled, RejectEverythingFlowControl()).ok());
  absl::Status hogging = hog.Start();
  ASSERT_TRUE(hogging.ok()) << hogging;
  // A port nothing listens on: the member's call fails at once.
  ASSERT_TRUE(Apply(failing, FailingWebhook("kfed-fault-storm", check->ns(),
                                            "https://127.0.0.1:1/storm", /*timeout_seconds=*/2))
                  .ok());
  // The webhook is read from the apiserver's informer: wait until a write really fails.
  ASSERT_TRUE(WaitFor("the webhook fails writes", absl::Seconds(30), [&]() -> absl::Status {
                // A server-side dry run passes the webhooks but creates nothing.
                absl::Status probe = Kubectl(failing, {"create", "configmap", "probe", "-n",
                                                       check->ns(), "--dry-run=server"})
                                         .status();
                return probe.ok() ? absl::UnavailableError("a write went through")
                                  : absl::OkStatus();
              }).ok());

  for (auto& [name, d] : batch) d.version = "v2";
  for (int i = 100; i < 130; ++i) batch[StrCat("storm-", i)] = OnAllMembers("v1", true);
  ASSERT_TRUE(check->Desire(batch).ok());
  ASSERT_TRUE(check->Delete({"storm-0", "storm-1", "storm-2", "storm-3"}).ok());
  // Both storms hit kfed's requests, over and over (kfed retries with backoff).
  absl::Status stormed = WaitFor("both storms hit kfed", absl::Minutes(2), [&]() -> absl::Status {
    absl::StatusOr<std::vector<double>> now = counts();
    if (!now.ok()) return now.status();
    std::vector<double> d(now->size());
    for (size_t i = 0; i < d.size(); ++i) d[i] = (*now)[i] - (*before)[i];
    const std::string seen = StrCat(
        throttled, " answered ", d[2], " of kfed's ConfigMap updates with 429 (kfed ",
        "waits out each Retry-After; ", d[0], " writes given up so far), ", failing, " answered ",
        d[3], " ConfigMap requests with 500 (", d[1], " writes given up so far)");
    // Every write is retried a few times in the client before it is given up and recorded.
    if (d[2] >= 10 && d[3] >= 10 && d[1] >= 10) {
      std::cout << "fault: " << seen << std::endl;
      return absl::OkStatus();
    }
    return absl::UnavailableError(seen);
  });
  ASSERT_TRUE(stormed.ok()) << stormed;
  // The failures are reported in the federated objects' status, per cluster.
  std::map<std::string, std::string> reported;  // cluster -> one status.clusters entry
  absl::Status in_status = WaitFor("failures in status", absl::Minutes(2), [&]() -> absl::Status {
    absl::StatusOr<rapidjson::Document> list =
        KubectlJson(Host(), {"get", "federatedconfigmaps", "-n", check->ns()});
    if (!list.ok()) return list.status();
    for (const rapidjson::Value& o : (*list)["items"].GetArray()) {
      for (const std::string& m : {throttled, failing}) {
        const rapidjson::Value* c = ClusterStatus(o, m);
        if (c != nullptr && !json::GetString(*c, "status").empty()) {
          reported.emplace(m, json::Serialize(*c));
        }
      }
    }
    return reported.size() == 2 ? absl::OkStatus()
                                : absl::UnavailableError("not every member's failure yet");
  });
  EXPECT_TRUE(in_status.ok()) << in_status;
  for (const auto& [m, c] : reported) std::cout << "fault: status for " << m << ": " << c << "\n";
  std::move(calm).Invoke();
  ExpectConverged(*check, "429 storm (API Priority and Fairness) and 5xx storm (webhook)");
}

}  // namespace
}  // namespace kfed::e2e
