#include "base/testing.h"

#include <unistd.h>

#include "absl/strings/match.h"
#include "gtest/gtest-spi.h"
#include "gtest/gtest.h"

namespace kfed::testing {
namespace {

TEST(TestingTest, TempFilesRoundTrip) {
  const std::string path = WriteTempFile("round-trip.txt", "line 1\nline 2\n");
  EXPECT_EQ(path, TempPath("round-trip.txt"));
  absl::StatusOr<std::string> text = ReadTextFile(path);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, "line 1\nline 2\n");
  WriteTempFile("round-trip.txt", "shorter");  // replaced, not appended to
  EXPECT_EQ(ReadTextFileOrFail(path), "shorter");
}

TEST(TestingTest, AMissingFileIsNamed) {
  absl::StatusOr<std::string> text = ReadTextFile("/nonexistent/file.txt");
  EXPECT_EQ(text.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StrContains(text.status().message(), "/nonexistent/file.txt"));
  std::string content = "unchanged";
  EXPECT_NONFATAL_FAILURE(content = ReadTextFileOrFail("/nonexistent/file.txt"),
                          "/nonexistent/file.txt");
  EXPECT_EQ(content, "");
}

TEST(TestingTest, RunfileFindsADataDependency) {
  const std::string path = Runfile("base/testing.h");
  EXPECT_TRUE(absl::EndsWith(path, "/kfed/base/testing.h")) << path;
  EXPECT_EQ(access(path.c_str(), R_OK), 0) << path;
  EXPECT_EQ(Runfile("no/such/file"), "no/such/file");
}

}  // namespace
}  // namespace kfed::testing
