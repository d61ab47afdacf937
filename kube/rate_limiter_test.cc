#include "kube/rate_limiter.h"

#include "gtest/gtest.h"

namespace kfed::kube {
namespace {

TEST(TokenBucketTest, BurstThenQps) {
  FakeClock clock;
  TokenBucket bucket(/*qps=*/10, /*burst=*/3, clock);
  EXPECT_EQ(bucket.Reserve(), absl::ZeroDuration());
  EXPECT_EQ(bucket.Reserve(), absl::ZeroDuration());
  EXPECT_EQ(bucket.Reserve(), absl::ZeroDuration());
  EXPECT_EQ(bucket.Reserve(), absl::Milliseconds(100));
  EXPECT_EQ(bucket.Reserve(), absl::Milliseconds(200));
  clock.Advance(absl::Seconds(1));  // refills 10 tokens, capped at burst: debt of 2 paid
  EXPECT_EQ(bucket.Reserve(), absl::ZeroDuration());
}

TEST(TokenBucketTest, UnlimitedWhenQpsZero) {
  FakeClock clock;
  TokenBucket bucket(0, 0, clock);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(bucket.Reserve(), absl::ZeroDuration());
}

}  // namespace
}  // namespace kfed::kube
