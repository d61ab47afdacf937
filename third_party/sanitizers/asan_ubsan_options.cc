// Default runtime options for kfed's ASan + UBSan builds (--config=sanitize and
// --config=fuzz), compiled into every binary and test so that the controller manager and
// kfedctl started by e2e tests behave like the unit tests. ASAN_OPTIONS / UBSAN_OPTIONS /
// LSAN_OPTIONS from the environment come after these and win (the e2e fixture adds
// log_path there). See docs/reliability.md ("Sanitizers").

// Any report stops the process with a non-zero exit: a test cannot pass over it.
extern "C" const char* __asan_default_options() {
  return "halt_on_error=1:abort_on_error=0:detect_leaks=1:strict_string_checks=1:"
         "detect_stack_use_after_return=1:check_initialization_order=1:"
         "strict_init_order=1:print_suppressions=0";
}

extern "C" const char* __ubsan_default_options() {
  return "halt_on_error=1:print_stacktrace=1";
}

extern "C" const char* __lsan_default_options() { return "print_suppressions=0"; }

// Leaks inside system libraries that kfed cannot free. Each line names one and says why;
// a leak whose stack reaches kfed code is never suppressed here (fix it instead).
extern "C" const char* __lsan_default_suppressions() {
  return "";
}
