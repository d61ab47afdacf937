#include "base/logging.h"

#include <gtest/gtest.h>

namespace kfed {
namespace {

TEST(RedactTest, ReplacesEverySecretOccurrence) {
  EXPECT_EQ(Redact("Bearer abcdefgh12345 and abcdefgh12345", "abcdefgh12345"),
            "Bearer <redacted> and <redacted>");
}

TEST(RedactTest, ShortSecretsAreNotReplaced) {
  EXPECT_EQ(Redact("a b c", "b"), "a b c");
}

TEST(LoggingTest, VerbosityIsSettable) {
  InitLogging("logging_test", 0);
  EXPECT_FALSE(VLOG_IS_ON(2));
  SetVerbosity(3);
  EXPECT_TRUE(VLOG_IS_ON(2));
  SetVerbosity(0);
}

}  // namespace
}  // namespace kfed
