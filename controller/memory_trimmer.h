// Gives freed heap memory back to the operating system after a burst.
//
// glibc keeps memory freed by a thread in its arena for reuse; after a cold start (JSON
// documents parsed and dropped by the thousand, see docs/benchmarks.md "memory") the
// controller's RSS stayed at the burst's peak although the live heap was a fraction of it.
// Every `interval` the trimmer reads mallinfo2(), exports the live and the free heap bytes as
// `kfed_heap_bytes{state="in_use"|"free"}`, and calls malloc_trim(0) when the free bytes grew
// by at least `min_free_bytes` since the last trim and are a quarter of the live heap
// (`kfed_heap_trims_total`). At rest that is one mallinfo2() per interval and no trim.
#ifndef KFED_CONTROLLER_MEMORY_TRIMMER_H_
#define KFED_CONTROLLER_MEMORY_TRIMMER_H_

#include <cstddef>
#include <thread>

#include "absl/time/time.h"
#include "base/cancellation.h"
#include "base/clock.h"
#include "controller/metrics.h"

namespace kfed::controller {

struct HeapStats {
  size_t in_use = 0;  // allocated bytes (arenas and mmapped chunks)
  size_t free = 0;    // bytes free in the arenas, held by the process
};

class MemoryTrimmer {
 public:
  MemoryTrimmer(MetricsRegistry& metrics, absl::Duration interval = absl::Seconds(10),
                size_t min_free_bytes = size_t{8} << 20, Clock& clock = Clock::Real());
  ~MemoryTrimmer();  // stops

  // Starts the thread: a check now, then one per `interval` on the clock. Once.
  void Start();
  // Wakes the thread at once and joins it. Idempotent.
  void Stop();

  // One check: reads the heap, updates the gauges, trims if worth it. Returns whether it
  // trimmed.
  bool CheckOnce();

  static HeapStats ReadHeap();

 private:
  const absl::Duration interval_;
  const size_t min_free_bytes_;
  MetricFamily* heap_bytes_;
  MetricFamily* trims_;
  size_t free_after_trim_ = 0;  // CheckOnce() runs on one thread at a time
  Clock& clock_;
  CancellationToken stop_;
  std::thread thread_;
};

// Caps glibc's malloc arenas (default 8 per core) at `arenas`: fewer arenas, less memory
// stranded in arenas that other threads freed into. Call before starting threads.
void LimitMallocArenas(int arenas);

}  // namespace kfed::controller

#endif  // KFED_CONTROLLER_MEMORY_TRIMMER_H_
