#include "kube/rate_limiter.h"

#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "base/testing.h"
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

using ::kfed::testing::Eventually;

// Threads that each Wait() on `bucket` with a priority and then record their name: the order
// in which the bucket served them.
class ServedOrder {
 public:
  explicit ServedOrder(TokenBucket& bucket) : bucket_(bucket) {}
  std::thread Waiter(const char* name, RequestPriority priority) {
    return std::thread([this, name, priority] {
      bucket_.Wait(priority);
      absl::MutexLock lock(&mu_);
      order_.push_back(name);
    });
  }
  size_t served() {
    absl::MutexLock lock(&mu_);
    return order_.size();
  }
  std::vector<std::string> order() {
    absl::MutexLock lock(&mu_);
    return order_;
  }

 private:
  TokenBucket& bucket_;
  absl::Mutex mu_;
  std::vector<std::string> order_;
};

TEST(TokenBucketTest, WaitServesHighPriorityFirst) {
  FakeClock clock;
  TokenBucket bucket(/*qps=*/10, /*burst=*/1, clock);
  bucket.Wait();  // the burst
  ServedOrder served(bucket);
  std::thread normal1 = served.Waiter("normal1", RequestPriority::kNormal);
  ASSERT_TRUE(Eventually([&] { return clock.Sleepers() == 1; }));  // the head sleeps until its token
  std::thread normal2 = served.Waiter("normal2", RequestPriority::kNormal);
  std::thread high = served.Waiter("high", RequestPriority::kHigh);
  // The high waiter becomes the head and sleeps for the same token.
  ASSERT_TRUE(Eventually([&] { return clock.Sleepers() == 2; }));
  clock.Advance(absl::Milliseconds(100));
  ASSERT_TRUE(Eventually([&] { return served.served() == 1 && clock.Sleepers() == 1; }));
  clock.Advance(absl::Milliseconds(100));
  ASSERT_TRUE(Eventually([&] { return served.served() == 2 && clock.Sleepers() == 1; }));
  clock.Advance(absl::Milliseconds(100));
  ASSERT_TRUE(Eventually([&] { return served.served() == 3; }));
  normal1.join();
  normal2.join();
  high.join();
  EXPECT_EQ(served.order(), (std::vector<std::string>{"high", "normal1", "normal2"}));
}

// A kLow waiter (kfed's PropagatedVersion records) that came first still goes after a
// kNormal one (a status write) that came while it waited.
TEST(TokenBucketTest, WaitServesLowPriorityLast) {
  FakeClock clock;
  TokenBucket bucket(/*qps=*/10, /*burst=*/1, clock);
  bucket.Wait();  // the burst
  ServedOrder served(bucket);
  std::thread low = served.Waiter("low", RequestPriority::kLow);
  ASSERT_TRUE(Eventually([&] { return clock.Sleepers() == 1; }));
  std::thread normal = served.Waiter("normal", RequestPriority::kNormal);
  ASSERT_TRUE(Eventually([&] { return clock.Sleepers() == 2; }));
  clock.Advance(absl::Milliseconds(100));
  ASSERT_TRUE(Eventually([&] { return served.served() == 1 && clock.Sleepers() == 1; }));
  clock.Advance(absl::Milliseconds(100));
  ASSERT_TRUE(Eventually([&] { return served.served() == 2; }));
  low.join();
  normal.join();
  EXPECT_EQ(served.order(), (std::vector<std::string>{"normal", "low"}));
}

TEST(TokenBucketTest, WaitTakesAvailableTokensWithoutSleeping) {
  FakeClock clock;
  TokenBucket bucket(/*qps=*/1, /*burst=*/5, clock);
  for (int i = 0; i < 5; ++i) bucket.Wait(i % 2 ? RequestPriority::kHigh : RequestPriority::kNormal);
  EXPECT_EQ(bucket.Reserve(), absl::Seconds(1));  // the sixth token is a second away
}

}  // namespace
}  // namespace kfed::kube
