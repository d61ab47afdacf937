#include "controller/memory_trimmer.h"

#include <malloc.h>

#include <algorithm>

namespace kfed::controller {

MemoryTrimmer::MemoryTrimmer(MetricsRegistry& metrics, absl::Duration interval,
                             size_t min_free_bytes, Clock& clock)
    : interval_(interval), min_free_bytes_(min_free_bytes), clock_(clock) {
  heap_bytes_ = metrics.Gauge("kfed_heap_bytes",
                              "Heap bytes of the controller process: in_use (allocated) and free "
                              "(held in malloc's arenas, not yet returned to the system).",
                              {"state"});
  trims_ = metrics.Counter("kfed_heap_trims_total",
                           "Times free heap memory was returned to the system (malloc_trim).", {});
}

MemoryTrimmer::~MemoryTrimmer() { Stop(); }

void MemoryTrimmer::Start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] {
    do {
      CheckOnce();
    } while (!stop_.WaitFor(clock_, interval_));
  });
}

void MemoryTrimmer::Stop() {
  stop_.Cancel();
  if (thread_.joinable()) thread_.join();
}

HeapStats MemoryTrimmer::ReadHeap() {
  struct mallinfo2 info = mallinfo2();
  HeapStats s;
  s.in_use = info.uordblks + info.hblkhd;
  s.free = info.fordblks;
  return s;
}

bool MemoryTrimmer::CheckOnce() {
  HeapStats s = ReadHeap();
  bool trimmed = false;
  // malloc_trim releases the pages of free chunks but leaves the chunks in the free lists, so
  // the free bytes do not drop: trim again only when more memory was freed since.
  if (s.free < free_after_trim_) free_after_trim_ = s.free;  // reused meanwhile
  if (s.free >= free_after_trim_ + min_free_bytes_ && s.free >= s.in_use / 4) {
    malloc_trim(0);
    trims_->Add({});
    trimmed = true;
    s = ReadHeap();
    free_after_trim_ = s.free;
  }
  heap_bytes_->Set({"in_use"}, static_cast<double>(s.in_use));
  heap_bytes_->Set({"free"}, static_cast<double>(s.free));
  return trimmed;
}

void LimitMallocArenas(int arenas) { mallopt(M_ARENA_MAX, std::max(1, arenas)); }

}  // namespace kfed::controller
