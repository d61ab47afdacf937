// Logging for every kfed binary: glog, which writes klog-compatible lines
// ("I1124 14:32:44.123456   4242 file.cc:10] message") to stderr, with `-v N` verbosity.
// Use LOG(INFO), LOG(WARNING), LOG(ERROR), VLOG(n) and CHECK from glog.
#ifndef KFED_BASE_LOGGING_H_
#define KFED_BASE_LOGGING_H_

#include <glog/logging.h>

#include <string>

namespace kfed {

// Sets logging up once per process: stderr only, verbosity `v`. Safe to call more than once.
void InitLogging(const char* argv0, int verbosity);

// Changes the verbosity at run time.
void SetVerbosity(int verbosity);

// Replaces every occurrence of a secret (token, key) in `text` with "<redacted>". Secrets
// shorter than 8 bytes are left alone (too likely to match ordinary words).
std::string Redact(std::string text, const std::string& secret);

}  // namespace kfed

#endif  // KFED_BASE_LOGGING_H_
