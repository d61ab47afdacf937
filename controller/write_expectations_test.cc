#include "controller/write_expectations.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "base/clock.h"
#include "base/testing.h"
#include "gtest/gtest.h"

namespace kfed::controller {
namespace {

using ::kfed::testing::Json;

// A member object as the cache holds it.
rapidjson::Document Live(const std::string& uid, const std::string& resource_version) {
  return Json(absl::StrCat(R"({"metadata":{"name":"a","namespace":"ns","uid":")", uid,
                           R"(","resourceVersion":")", resource_version, R"("}})"));
}

class WriteExpectationsTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  WriteExpectations expectations_{clock_};
};

TEST_F(WriteExpectationsTest, NothingExpectedIsCaughtUp) {
  rapidjson::Document live = Live("u1", "10");
  EXPECT_TRUE(expectations_.CaughtUp("ns/a", "m1", nullptr));
  EXPECT_TRUE(expectations_.CaughtUp("ns/a", "m1", &live));
}

TEST_F(WriteExpectationsTest, CreateWaitsUntilTheCacheShowsTheObject) {
  expectations_.Expect("ns/a", "m1", Operation::kCreate, "100", "u1");
  // The cache has not seen the create: deciding now would create a second time.
  EXPECT_FALSE(expectations_.CaughtUp("ns/a", "m1", nullptr));
  EXPECT_FALSE(expectations_.CaughtUp("ns/a", "m1", nullptr));  // kept while unsatisfied
  // Another cluster and another key are not held back.
  EXPECT_TRUE(expectations_.CaughtUp("ns/a", "m2", nullptr));
  EXPECT_TRUE(expectations_.CaughtUp("ns/b", "m1", nullptr));
  // The cache catches up: satisfied and forgotten.
  rapidjson::Document live = Live("u1", "100");
  EXPECT_TRUE(expectations_.CaughtUp("ns/a", "m1", &live));
  EXPECT_EQ(expectations_.size(), 0u);
  EXPECT_TRUE(expectations_.CaughtUp("ns/a", "m1", nullptr));
}

// A deletion may finish only when no copy can exist unseen: no write in flight and no
// create/update the caches have not shown (until the timeout).
TEST_F(WriteExpectationsTest, BusyWhileAWriteIsInFlightOrUnseen) {
  EXPECT_FALSE(expectations_.Busy("ns/a"));
  expectations_.BeginWrite("ns/a");
  EXPECT_TRUE(expectations_.Busy("ns/a"));
  EXPECT_FALSE(expectations_.Busy("ns/b"));
  expectations_.Expect("ns/a", "m1", Operation::kCreate, "100", "u1");
  expectations_.EndWrite("ns/a");
  EXPECT_TRUE(expectations_.Busy("ns/a"));  // the create is not in any cache yet
  rapidjson::Document live = Live("u1", "100");
  EXPECT_TRUE(expectations_.CaughtUp("ns/a", "m1", &live));
  EXPECT_FALSE(expectations_.Busy("ns/a"));
  // A delete the cache has not shown does not hold a deletion back (the plan sees the copy).
  expectations_.Expect("ns/a", "m1", Operation::kDelete, "", "u1");
  EXPECT_FALSE(expectations_.Busy("ns/a"));
  // An update never shown stops counting after the timeout.
  expectations_.Expect("ns/a", "m2", Operation::kUpdate, "200", "u2");
  EXPECT_TRUE(expectations_.Busy("ns/a"));
  clock_.Advance(kWriteExpectationTimeout);
  EXPECT_FALSE(expectations_.Busy("ns/a"));
}

TEST_F(WriteExpectationsTest, UpdateWaitsForItsResourceVersionOrNewer) {
  expectations_.Expect("ns/a", "m1", Operation::kUpdate, "100", "u1");
  rapidjson::Document older = Live("u1", "99");
  EXPECT_FALSE(expectations_.CaughtUp("ns/a", "m1", &older));
  // Compared as integers, not as strings ("100" < "99" as text).
  rapidjson::Document newer = Live("u1", "101");
  EXPECT_TRUE(expectations_.CaughtUp("ns/a", "m1", &newer));
  EXPECT_EQ(expectations_.size(), 0u);
}

TEST_F(WriteExpectationsTest, UpdatedObjectGoneFromTheCacheIsNotWaitedFor) {
  expectations_.Expect("ns/a", "m1", Operation::kUpdate, "100", "u1");
  EXPECT_TRUE(expectations_.CaughtUp("ns/a", "m1", nullptr));
}

TEST_F(WriteExpectationsTest, UnparsableResourceVersionCountsAsCaughtUp) {
  expectations_.Expect("ns/a", "m1", Operation::kUpdate, "100", "u1");
  rapidjson::Document opaque = Live("u1", "opaque-rv");
  EXPECT_TRUE(expectations_.CaughtUp("ns/a", "m1", &opaque));
}

TEST_F(WriteExpectationsTest, DeleteWaitsUntilThatObjectLeavesTheCache) {
  expectations_.Expect("ns/a", "m1", Operation::kDelete, "", "u1");
  rapidjson::Document same = Live("u1", "100");
  EXPECT_FALSE(expectations_.CaughtUp("ns/a", "m1", &same));
  // A new object of the same name (another uid) is not the one deleted.
  rapidjson::Document replaced = Live("u2", "105");
  EXPECT_TRUE(expectations_.CaughtUp("ns/a", "m1", &replaced));

  expectations_.Expect("ns/a", "m1", Operation::kDelete, "", "u2");
  EXPECT_TRUE(expectations_.CaughtUp("ns/a", "m1", nullptr));
}

TEST_F(WriteExpectationsTest, ExpiresAfterTheTimeout) {
  expectations_.Expect("ns/a", "m1", Operation::kCreate, "100", "u1");
  clock_.Advance(kWriteExpectationTimeout);
  // Exactly at the timeout it still holds ...
  EXPECT_FALSE(expectations_.CaughtUp("ns/a", "m1", nullptr));
  clock_.Advance(absl::Milliseconds(1));
  // ... and a write the cache never shows stops blocking decisions after it.
  EXPECT_TRUE(expectations_.CaughtUp("ns/a", "m1", nullptr));
  EXPECT_EQ(expectations_.size(), 0u);
}

TEST_F(WriteExpectationsTest, ANewWriteRestartsTheTimeout) {
  expectations_.Expect("ns/a", "m1", Operation::kCreate, "100", "u1");
  clock_.Advance(absl::Seconds(20));
  expectations_.Expect("ns/a", "m1", Operation::kUpdate, "120", "u1");
  clock_.Advance(absl::Seconds(20));
  rapidjson::Document live = Live("u1", "100");
  EXPECT_FALSE(expectations_.CaughtUp("ns/a", "m1", &live));
}

TEST_F(WriteExpectationsTest, UnlabelReplacesTheLastWriteWithNothing) {
  expectations_.Expect("ns/a", "m1", Operation::kCreate, "100", "u1");
  expectations_.Expect("ns/a", "m1", Operation::kRemoveManagedLabel, "101", "u1");
  EXPECT_TRUE(expectations_.CaughtUp("ns/a", "m1", nullptr));
  EXPECT_EQ(expectations_.size(), 0u);
}

TEST_F(WriteExpectationsTest, Forget) {
  expectations_.Expect("ns/a", "m1", Operation::kCreate, "100", "u1");
  expectations_.Expect("ns/a", "m2", Operation::kCreate, "101", "u2");
  expectations_.Expect("ns/b", "m1", Operation::kCreate, "102", "u3");
  expectations_.Forget("ns/a", "m1");
  EXPECT_TRUE(expectations_.CaughtUp("ns/a", "m1", nullptr));
  EXPECT_FALSE(expectations_.CaughtUp("ns/a", "m2", nullptr));
  expectations_.Forget("ns/a");
  EXPECT_TRUE(expectations_.CaughtUp("ns/a", "m2", nullptr));
  EXPECT_FALSE(expectations_.CaughtUp("ns/b", "m1", nullptr));
  EXPECT_EQ(expectations_.size(), 1u);
}

}  // namespace
}  // namespace kfed::controller
