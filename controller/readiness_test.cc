#include "controller/readiness.h"

#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"

namespace kfed::controller {
namespace {

// An input the test flips, and what an observer heard.
struct World {
  absl::Mutex mu;
  absl::Status readiness ABSL_GUARDED_BY(mu) = absl::UnavailableError("caches not synced");
  std::vector<std::string> heard ABSL_GUARDED_BY(mu);

  void Set(absl::Status s) {
    absl::MutexLock lock(&mu);
    readiness = std::move(s);
  }
  absl::Status Get() {
    absl::MutexLock lock(&mu);
    return readiness;
  }
  ReadinessNotifier::Observer Observer(std::string name) {
    return [this, name](bool ready, const absl::Status& why) {
      absl::MutexLock lock(&mu);
      heard.push_back(name + (ready ? " ready" : " not ready: " + std::string(why.message())));
    };
  }
  std::vector<std::string> Take() {
    absl::MutexLock lock(&mu);
    std::vector<std::string> out;
    out.swap(heard);
    return out;
  }
};

TEST(ReadinessNotifierTest, ObserversHearTheCurrentStateThenEachFlipOnce) {
  World world;
  ReadinessNotifier notifier([&world] { return world.Get(); });
  notifier.AddObserver(world.Observer("health"));
  EXPECT_EQ(world.Take(), std::vector<std::string>{"health not ready: caches not synced"});

  notifier.Changed();  // nothing changed: nobody is told
  EXPECT_TRUE(world.Take().empty());

  world.Set(absl::OkStatus());
  notifier.Changed();
  notifier.Changed();
  EXPECT_EQ(world.Take(), std::vector<std::string>{"health ready"});

  // A late observer hears the current state; the first is not told again.
  const int late = notifier.AddObserver(world.Observer("late"));
  EXPECT_EQ(world.Take(), std::vector<std::string>{"late ready"});

  world.Set(absl::UnavailableError("clusters not probed yet"));
  notifier.Changed();
  EXPECT_EQ(world.Take(), (std::vector<std::string>{"health not ready: clusters not probed yet",
                                                    "late not ready: clusters not probed yet"}));
  notifier.RemoveObserver(late);
  world.Set(absl::OkStatus());
  notifier.Changed();
  EXPECT_EQ(world.Take(), std::vector<std::string>{"health ready"});
}

TEST(ReadinessNotifierTest, ConcurrentChangesLeaveObserversWithTheLatestState) {
  World world;
  ReadinessNotifier notifier([&world] { return world.Get(); });
  absl::Mutex mu;
  bool last = false;  // guarded by mu
  int calls = 0;      // guarded by mu
  notifier.AddObserver([&](bool ready, const absl::Status&) {
    absl::MutexLock lock(&mu);
    last = ready;
    ++calls;
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        world.Set((i + t) % 2 == 0 ? absl::OkStatus() : absl::UnavailableError("flapping"));
        notifier.Changed();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  world.Set(absl::OkStatus());
  notifier.Changed();
  absl::MutexLock lock(&mu);
  EXPECT_TRUE(last);
  EXPECT_GE(calls, 2);
}

}  // namespace
}  // namespace kfed::controller
