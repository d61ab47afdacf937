// Default runtime options for kfed's ThreadSanitizer build (--config=tsan), compiled into
// every binary and test. TSAN_OPTIONS from the environment come after these and win.
// There are no suppressions: Abseil is built from source with TSan under this config (see
// third_party/sanitizers/abseil_source.bzl), so absl::Mutex synchronization is visible.
extern "C" const char* __tsan_default_options() {
  return "halt_on_error=1:second_deadlock_stack=1:history_size=4";
}
