#include "kube/backoff.h"

#include <algorithm>
#include <vector>

#include "gtest/gtest.h"

namespace kfed::kube {
namespace {

std::vector<absl::Duration> Draw(Backoff& b, int n) {
  std::vector<absl::Duration> out;
  for (int i = 0; i < n; ++i) out.push_back(b.Next());
  return out;
}

TEST(BackoffTest, DoublesUpToMaxWithinJitterBounds) {
  Backoff b(absl::Seconds(1), absl::Seconds(30));
  const double base[] = {1, 2, 4, 8, 16, 30, 30, 30};
  for (double s : base) {
    absl::Duration d = b.Next();
    EXPECT_GE(d, absl::Seconds(s * 0.9)) << s;
    EXPECT_LT(d, absl::Seconds(s * 1.1)) << s;
  }
  b.Reset();
  absl::Duration d = b.Next();
  EXPECT_GE(d, absl::Milliseconds(900));
  EXPECT_LT(d, absl::Milliseconds(1100));
}

TEST(BackoffTest, NoJitterIsExact) {
  Backoff b(absl::Milliseconds(200), absl::Seconds(1), kNoJitter);
  EXPECT_EQ(Draw(b, 4), (std::vector<absl::Duration>{absl::Milliseconds(200), absl::Milliseconds(400),
                                                      absl::Milliseconds(800), absl::Seconds(1)}));
}

TEST(BackoffTest, UpOnlyJitterNeverShortens) {
  Backoff b(absl::Milliseconds(200), absl::Seconds(10), kJitterUpTo10Percent);
  absl::Duration nominal = absl::Milliseconds(200);
  for (int i = 0; i < 10; ++i) {
    absl::Duration d = b.Next();
    EXPECT_GE(d, nominal);
    EXPECT_LT(d, nominal * 1.1);
    nominal = std::min(nominal * 2, absl::Seconds(10));
  }
}

// Each instance has its own generator: two backoffs started together (two informers, two
// leader-election replicas) do not retry in lock step. With a constant seed they would draw
// the same sequence.
TEST(BackoffTest, InstancesDrawDifferentSequences) {
  Backoff a(absl::Seconds(2), absl::Seconds(2));
  Backoff b(absl::Seconds(2), absl::Seconds(2));
  std::vector<absl::Duration> da = Draw(a, 16), db = Draw(b, 16);
  EXPECT_NE(da, db);
  for (const auto& seq : {da, db}) {
    for (absl::Duration d : seq) {
      EXPECT_GE(d, absl::Milliseconds(1800));
      EXPECT_LT(d, absl::Milliseconds(2200));
    }
  }
}

}  // namespace
}  // namespace kfed::kube
