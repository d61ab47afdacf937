#include "controller/own_writes.h"

#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "base/testing.h"
#include "gtest/gtest.h"
#include "kube/resource.h"
#include "rapidjson/document.h"

namespace kfed::controller {
namespace {

using ::kfed::testing::Json;

kube::ObjectPtr Object(const std::string& rv) {
  return std::make_shared<const rapidjson::Document>(
      Json(absl::StrCat(R"({"metadata":{"name":"a","resourceVersion":")", rv, R"("}})")));
}

TEST(ResourceVersionNewerTest, ComparesDecimalIntegersAndNothingElse) {
  EXPECT_TRUE(ResourceVersionNewer("10", "9"));
  EXPECT_FALSE(ResourceVersionNewer("9", "10"));
  EXPECT_FALSE(ResourceVersionNewer("9", "9"));
  EXPECT_FALSE(ResourceVersionNewer("abc", "9"));
  EXPECT_FALSE(ResourceVersionNewer("10", ""));
}

class OwnWritesTest : public ::testing::Test {
 protected:
  absl::flat_hash_map<std::string, kube::ObjectPtr> cache_;
  OwnWrites writes_{[this](const std::string& key) -> kube::ObjectPtr {
    auto it = cache_.find(key);
    return it == cache_.end() ? nullptr : it->second;
  }};
};

TEST_F(OwnWritesTest, TheNewerOfTheCacheAndTheOwnWrite) {
  kube::ObjectPtr cached = Object("5");
  EXPECT_EQ(writes_.Latest("k", cached), cached);  // nothing written
  kube::ObjectPtr own = Object("6");
  writes_.Record("k", own);
  EXPECT_EQ(writes_.Latest("k", cached), own);   // the cache is behind
  EXPECT_EQ(writes_.Latest("k", nullptr), own);  // a create the cache has yet to show
  EXPECT_EQ(writes_.size(), 1u);
  kube::ObjectPtr caught_up = Object("6");
  EXPECT_EQ(writes_.Latest("k", caught_up), caught_up);
  EXPECT_EQ(writes_.size(), 0u);  // dropped once the cache shows it
  writes_.Record("k", Object("7"));
  kube::ObjectPtr someone_else = Object("8");
  EXPECT_EQ(writes_.Latest("k", someone_else), someone_else);
  writes_.Record("k", Object("9"));
  writes_.Forget("k");
  EXPECT_EQ(writes_.Latest("k", cached), cached);
}

TEST_F(OwnWritesTest, OpaqueResourceVersionsLeaveTheCacheInCharge) {
  kube::ObjectPtr cached = Object("x1");
  writes_.Record("k", Object("x2"));
  EXPECT_EQ(writes_.Latest("k", cached), cached);
}

TEST_F(OwnWritesTest, KeysNeverReadAgainAreSweptOnceTheCacheShowsThem) {
  // 200 writes the cache shows and that are never read again: the record stays small.
  for (int i = 0; i < 200; ++i) {
    const std::string key = absl::StrCat("k", i);
    cache_[key] = Object("3");
    writes_.Record(key, Object("3"));
  }
  EXPECT_LE(writes_.size(), 64u + 1);
  // Writes the cache has yet to show are kept.
  for (int i = 0; i < 200; ++i) writes_.Record(absl::StrCat("new", i), Object("4"));
  EXPECT_GE(writes_.size(), 200u);
  for (int i = 0; i < 200; ++i) {
    EXPECT_EQ(writes_.Latest(absl::StrCat("new", i), nullptr)->operator[]("metadata")
                  ["resourceVersion"].GetString(),
              std::string("4"));
  }
}

}  // namespace
}  // namespace kfed::controller
