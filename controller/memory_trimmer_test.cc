#include "controller/memory_trimmer.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "base/clock.h"
#include "base/testing.h"

namespace kfed::controller {
namespace {

// The sanitizers replace malloc: glibc's mallinfo2() then sees none of the program's heap.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

TEST(MemoryTrimmerTest, TrimsFreeHeapAfterABurstAndExportsIt) {
  if (kSanitized) GTEST_SKIP() << "mallinfo2() does not see a sanitizer's heap";
  MetricsRegistry metrics;
  MemoryTrimmer trimmer(metrics, absl::Seconds(10), /*min_free_bytes=*/size_t{8} << 20);
  // A burst: 64 MiB in 1 KiB blocks; every other block freed strands ~32 MiB inside the heap
  // (not at its top, which free() would give back by itself).
  std::vector<std::unique_ptr<char[]>> blocks;
  for (int i = 0; i < 65536; ++i) blocks.emplace_back(new char[1024]);
  for (auto& b : blocks) b[0] = 1;
  for (size_t i = 0; i < blocks.size(); i += 2) blocks[i].reset();
  const HeapStats before = MemoryTrimmer::ReadHeap();
  ASSERT_GE(before.free, size_t{30} << 20);
  EXPECT_TRUE(trimmer.CheckOnce());
  EXPECT_FALSE(trimmer.CheckOnce()) << "nothing freed since the last trim";
  EXPECT_EQ(metrics.Counter("kfed_heap_trims_total", "", {})->Value({}), 1);
  EXPECT_GE(metrics.Gauge("kfed_heap_bytes", "", {"state"})->Value({"in_use"}), 32.0 * (1 << 20));
  // The free bytes stay in the arena's free lists (malloc_trim releases their pages with
  // MADV_DONTNEED): nothing more to do on the next check below the threshold.
  blocks.clear();
  MemoryTrimmer strict(metrics, absl::Seconds(10), /*min_free_bytes=*/size_t{1} << 40);
  EXPECT_FALSE(strict.CheckOnce());
}

TEST(MemoryTrimmerTest, ChecksEveryIntervalOnTheClock) {
  FakeClock clock;
  MetricsRegistry metrics;
  MemoryTrimmer trimmer(metrics, absl::Seconds(10), size_t{8} << 20, clock);
  MetricFamily* heap = metrics.Gauge("kfed_heap_bytes", "", {"state"});
  trimmer.Start();
  clock.AwaitSleepers(1);  // the first check is done; waiting for the next
  heap->Set({"free"}, -1);
  clock.Advance(absl::Seconds(9));
  clock.AwaitSleepers(1);
  EXPECT_EQ(heap->Value({"free"}), -1);
  clock.Advance(absl::Seconds(1));
  EXPECT_TRUE(kfed::testing::Eventually([&] { return heap->Value({"free"}) >= 0; }));
  trimmer.Stop();
}

TEST(MemoryTrimmerTest, StartAndStopPromptly) {
  MetricsRegistry metrics;
  MemoryTrimmer trimmer(metrics, absl::Hours(1));
  trimmer.Start();
  trimmer.Stop();  // does not wait for the hour
  trimmer.Stop();
  SUCCEED();
}

}  // namespace
}  // namespace kfed::controller
