#include "controller/propagation_records.h"

#include <algorithm>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace kfed::controller {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1700000000);

DispatchOutcome Wrote(const std::string& version) {
  DispatchOutcome out;
  out.wrote = true;
  out.version = version;
  return out;
}

DispatchOutcome Failed(const std::string& status, const std::string& message) {
  DispatchOutcome out;
  out.status = status;
  out.message = message;
  return out;
}

MemberOutcome Member(const std::string& cluster, Operation op, DispatchOutcome outcome,
                     const std::string& template_version = "t1") {
  MemberOutcome m;
  m.cluster = cluster;
  m.template_version = template_version;
  m.overrides_version = "o1";
  m.op = op;
  m.outcome = std::move(outcome);
  m.now = kT0;
  return m;
}

// The host's pass: read the record, then mark what it read as accounted for.
std::map<std::string, uint64_t> Accounted(const ObjectRecord& record) {
  std::map<std::string, uint64_t> out;
  for (const auto& [cluster, rec] : record.clusters) out[cluster] = rec.outcome_seq;
  return out;
}

TEST(PropagationRecordsTest, RecordWakesTheHostOnlyWhenSomethingToShowChanged) {
  PropagationRecords records;
  // The first outcome, even a quiet one.
  EXPECT_TRUE(records.Record("ns/a", Member("m1", Operation::kNone, DispatchOutcome())));
  EXPECT_FALSE(records.Record("ns/a", Member("m1", Operation::kNone, DispatchOutcome())));
  // A failure, a changed message, the recovery.
  EXPECT_TRUE(
      records.Record("ns/a", Member("m1", Operation::kUpdate, Failed("UpdateFailed", "x"))));
  EXPECT_FALSE(
      records.Record("ns/a", Member("m1", Operation::kUpdate, Failed("UpdateFailed", "x"))));
  EXPECT_TRUE(
      records.Record("ns/a", Member("m1", Operation::kUpdate, Failed("UpdateFailed", "y"))));
  EXPECT_TRUE(records.Record("ns/a", Member("m1", Operation::kNone, DispatchOutcome())));
  // A write, and the first pass after it (it sees the write settled); later quiet passes
  // do not wake the host again, although no status accounted for the write yet.
  EXPECT_TRUE(records.Record("ns/a", Member("m1", Operation::kUpdate, Wrote("v2"))));
  EXPECT_TRUE(records.Record("ns/a", Member("m1", Operation::kNone, DispatchOutcome())));
  EXPECT_FALSE(records.Record("ns/a", Member("m1", Operation::kNone, DispatchOutcome())));
  ObjectRecord snapshot = records.Snapshot("ns/a");
  EXPECT_TRUE(snapshot.clusters["m1"].last.wrote);  // kept across the quiet outcomes
  records.MarkAccounted("ns/a", Accounted(snapshot));
  EXPECT_FALSE(records.Record("ns/a", Member("m1", Operation::kNone, DispatchOutcome())));
  // The next write starts over: it wakes the host, and so does the pass that sees it settle.
  EXPECT_TRUE(records.Record("ns/a", Member("m1", Operation::kUpdate, Wrote("v3"))));
  EXPECT_TRUE(records.Record("ns/a", Member("m1", Operation::kNone, DispatchOutcome())));
  EXPECT_FALSE(records.Record("ns/a", Member("m1", Operation::kNone, DispatchOutcome())));
}

// A member that keeps failing after a write (it became unreachable): the failure wakes the
// host once; the same failure again, with the write still unaccounted for, does not. (Each
// host pass queues the member's worker again; before, every such retry woke the host.)
TEST(PropagationRecordsTest, ARepeatedFailureAfterAWriteWakesTheHostOnce) {
  PropagationRecords records;
  ASSERT_TRUE(records.Record("ns/a", Member("m3", Operation::kUpdate, Wrote("v1"))));
  EXPECT_TRUE(records.Record("ns/a", Member("m3", Operation::kUpdate,
                                            Failed("UpdateFailed", "connection refused"))));
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(records.Record("ns/a", Member("m3", Operation::kUpdate,
                                               Failed("UpdateFailed", "connection refused"))))
        << i;
  }
  EXPECT_TRUE(records.Snapshot("ns/a").clusters["m3"].last.wrote);  // still to be accounted
}

TEST(PropagationRecordsTest, AWriteRecordedWhileTheStatusIsWrittenStillWakesTheHost) {
  PropagationRecords records;
  ASSERT_TRUE(records.Record("ns/a", Member("m1", Operation::kCreate, Wrote("v1"))));
  ASSERT_TRUE(records.Record("ns/a", Member("m2", Operation::kCreate, Wrote("v1"))));
  // The host reads the outcomes and computes a status from them ...
  ObjectRecord read = records.Snapshot("ns/a");
  // ... meanwhile m1's worker writes again (the status on the wire does not show it) ...
  ASSERT_TRUE(records.Record("ns/a", Member("m1", Operation::kUpdate, Wrote("v2"))));
  // ... and the host, its status written, marks what it read.
  records.MarkAccounted("ns/a", Accounted(read));

  ObjectRecord now = records.Snapshot("ns/a");
  EXPECT_TRUE(now.clusters["m1"].last.wrote) << "a write no status accounted for lost its mark";
  EXPECT_FALSE(now.clusters["m2"].last.wrote);
  // So m1's next pass (its cache now shows the write, nothing to do) wakes the host, and m2's
  // does not.
  EXPECT_TRUE(records.Record("ns/a", Member("m1", Operation::kNone, DispatchOutcome())));
  EXPECT_FALSE(records.Record("ns/a", Member("m2", Operation::kNone, DispatchOutcome())));
}

TEST(PropagationRecordsTest, ConcurrentWritesAreNeverLostToMarkAccounted) {
  // Member workers keep recording writes while a host thread reads and marks; whatever
  // interleaving, after the last write the mark is cleared only by a pass that read it.
  PropagationRecords records;
  constexpr int kWrites = 2000;
  const std::vector<std::string> clusters = {"m1", "m2", "m3"};
  std::vector<std::thread> workers;
  for (const std::string& c : clusters) {
    workers.emplace_back([&records, c] {
      for (int i = 0; i < kWrites; ++i) {
        records.Record("ns/a", Member(c, Operation::kUpdate, Wrote(absl::StrCat("v", i))));
      }
    });
  }
  absl::Notification done;
  std::map<std::string, uint64_t> latest_marked;  // cluster -> newest outcome the host read
  std::thread host([&] {
    while (!done.HasBeenNotified()) {
      std::map<std::string, uint64_t> read = Accounted(records.Snapshot("ns/a"));
      records.MarkAccounted("ns/a", read);
      for (const auto& [c, seq] : read) latest_marked[c] = std::max(latest_marked[c], seq);
    }
  });
  for (std::thread& t : workers) t.join();
  done.Notify();
  host.join();

  ObjectRecord before = records.Snapshot("ns/a");
  for (const std::string& c : clusters) {
    EXPECT_EQ(before.clusters[c].outcome_seq, static_cast<uint64_t>(kWrites)) << c;
    // Cleared only if the host read the very last write.
    if (!before.clusters[c].last.wrote) {
      EXPECT_EQ(latest_marked[c], static_cast<uint64_t>(kWrites)) << c;
    }
  }
  // One last read-and-mark: now every write is accounted for.
  records.MarkAccounted("ns/a", Accounted(before));
  for (const auto& [c, rec] : records.Snapshot("ns/a").clusters) EXPECT_FALSE(rec.last.wrote) << c;
}

TEST(PropagationRecordsTest, StaleAccountingClearsNothing) {
  PropagationRecords records;
  records.Record("ns/a", Member("m1", Operation::kCreate, Wrote("v1")));
  records.MarkAccounted("ns/a", {{"m1", 0}});  // read before the write
  EXPECT_TRUE(records.Snapshot("ns/a").clusters["m1"].last.wrote);
  records.MarkAccounted("ns/b", {{"m1", 1}});  // another object
  EXPECT_TRUE(records.Snapshot("ns/a").clusters["m1"].last.wrote);
}

TEST(PropagationRecordsTest, WrittenVersionsFollowTheTemplate) {
  PropagationRecords records;
  records.Record("ns/a", Member("m1", Operation::kCreate, Wrote("gen:1"), "t1"));
  records.Record("ns/a", Member("m2", Operation::kCreate, Wrote("gen:1"), "t1"));
  EXPECT_EQ(records.WrittenVersions("ns/a", "t1", "o1"),
            (std::map<std::string, std::string>{{"m1", "gen:1"}, {"m2", "gen:1"}}));
  // Other template or overrides: nothing recorded counts.
  EXPECT_TRUE(records.WrittenVersions("ns/a", "t2", "o1").empty());
  EXPECT_TRUE(records.WrittenVersions("ns/a", "t1", "o2").empty());
  EXPECT_TRUE(records.WrittenVersions("ns/b", "t1", "o1").empty());
  // A write for a new template starts over.
  records.Record("ns/a", Member("m1", Operation::kUpdate, Wrote("gen:2"), "t2"));
  EXPECT_EQ(records.WrittenVersions("ns/a", "t2", "o1"),
            (std::map<std::string, std::string>{{"m1", "gen:2"}}));
  // A delete or an unlabel leaves no version behind.
  records.Record("ns/a", Member("m1", Operation::kDelete, Wrote(""), "t2"));
  EXPECT_TRUE(records.WrittenVersions("ns/a", "t2", "o1").empty());
}

TEST(PropagationRecordsTest, LatencyFromTheChangeSeenToTheWrite) {
  PropagationRecords records;
  records.Observe("ns/a", kT0);
  EXPECT_EQ(records.Observed("ns/a"), kT0);
  MemberOutcome m = Member("m1", Operation::kCreate, Wrote("v1"));
  m.observed = records.Observed("ns/a");
  m.now = kT0 + absl::Milliseconds(250);
  records.Record("ns/a", m);
  EXPECT_DOUBLE_EQ(records.Snapshot("ns/a").clusters["m1"].latency_seconds, 0.25);
  // A pass that wrote nothing keeps the last write's latency.
  m = Member("m1", Operation::kNone, DispatchOutcome());
  m.observed = kT0;
  m.now = kT0 + absl::Seconds(9);
  records.Record("ns/a", m);
  EXPECT_DOUBLE_EQ(records.Snapshot("ns/a").clusters["m1"].latency_seconds, 0.25);
}

TEST(PropagationRecordsTest, ObserveIfKnownCreatesNothing) {
  PropagationRecords records;
  records.ObserveIfKnown("ns/a", kT0);
  EXPECT_EQ(records.size(), 0u);
  EXPECT_EQ(records.Observed("ns/a"), absl::Time());
  records.Observe("ns/a", kT0);
  records.ObserveIfKnown("ns/a", kT0 + absl::Seconds(1));
  EXPECT_EQ(records.Observed("ns/a"), kT0 + absl::Seconds(1));
}

TEST(PropagationRecordsTest, WaitingAndForget) {
  PropagationRecords records;
  EXPECT_TRUE(records.SetWaiting("ns/a", "m1, m2"));
  EXPECT_FALSE(records.SetWaiting("ns/a", "m1, m2"));
  EXPECT_TRUE(records.SetWaiting("ns/a", "m2"));

  records.Record("ns/a", Member("m1", Operation::kNone, DispatchOutcome()));
  EXPECT_TRUE(records.ForgetCluster("ns/a", "m1"));
  EXPECT_FALSE(records.ForgetCluster("ns/a", "m1"));
  EXPECT_FALSE(records.ForgetCluster("ns/b", "m1"));
  // The cluster starts over: its next outcome is a first one.
  EXPECT_TRUE(records.Record("ns/a", Member("m1", Operation::kNone, DispatchOutcome())));
  records.Forget("ns/a");
  EXPECT_EQ(records.size(), 0u);
}

}  // namespace
}  // namespace kfed::controller
