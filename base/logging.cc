#include "base/logging.h"

#include <atomic>

#include "absl/strings/str_replace.h"

namespace kfed {

void InitLogging(const char* argv0, int verbosity) {
  static std::atomic<bool> initialized{false};
  FLAGS_logtostderr = true;
  FLAGS_log_year_in_prefix = false;  // klog's line format: "I1124 14:32:44.123456 ..."
  FLAGS_v = verbosity;
  if (!initialized.exchange(true)) google::InitGoogleLogging(argv0);
}

void SetVerbosity(int verbosity) { FLAGS_v = verbosity; }

std::string Redact(std::string text, const std::string& secret) {
  if (secret.size() < 8) return text;
  absl::StrReplaceAll({{secret, "<redacted>"}}, &text);
  return text;
}

}  // namespace kfed
