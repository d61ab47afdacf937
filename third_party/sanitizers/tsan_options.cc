// Default runtime options for kfed's ThreadSanitizer build (--config=tsan), compiled into
// every binary and test. TSAN_OPTIONS from the environment come after these and win.
// Abseil is built from source with TSan under this config (third_party/sanitizers/
// abseil_source.bzl), so absl::Mutex, CondVar and Notification synchronization is visible.
extern "C" const char* __tsan_default_options() {
  return "halt_on_error=1:second_deadlock_stack=1:history_size=4";
}

// One suppression, for a false report inside Abseil 20220623 itself (not kfed code):
// absl::Mutex hides its internal synchronization from TSan (__tsan_mutex_pre_lock ignores
// it) but allocates the waiting thread's ThreadIdentity outside that region, so TSan sees
// the identity's memory written by the waiter (mmap in LowLevelAlloc) and later atomically
// written by the waking thread in Waiter::Post, with no happens-before it can see. See
// google/sanitizers#953 (the TSan authors' explanation) and abseil-cpp#1239. The frame
// matched, Waiter::Post, only touches the waiter's own futex word inside ThreadIdentity, so
// the suppression cannot hide a race on any other memory.
extern "C" const char* __tsan_default_suppressions() {
  return "race:absl::*synchronization_internal::Waiter::Post\n";
}
