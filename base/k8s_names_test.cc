#include "base/k8s_names.h"

#include <string>

#include "gtest/gtest.h"

namespace kfed::k8s {
namespace {

TEST(ValidationTest, Dns1123Subdomain) {
  for (const char* ok : {"apps", "networking.k8s.io", "a-b.c1", "0a"}) {
    EXPECT_EQ(CheckDns1123Subdomain(ok), "") << ok;
  }
  for (const char* bad : {"", "Apps", "a..b", "-a", "a-", "a_b", ".a"}) {
    EXPECT_NE(CheckDns1123Subdomain(bad), "") << bad;
  }
  EXPECT_NE(CheckDns1123Subdomain(std::string(254, 'a')), "");
}

TEST(ValidationTest, Dns1035Label) {
  for (const char* ok : {"v1", "v1beta1", "deployments", "a-b"}) {
    EXPECT_EQ(CheckDns1035Label(ok), "") << ok;
  }
  for (const char* bad : {"", "1v", "V1", "a.b", "a-", "a_b"}) {
    EXPECT_NE(CheckDns1035Label(bad), "") << bad;
  }
  EXPECT_NE(CheckDns1035Label(std::string(64, 'a')), "");
}

TEST(ValidationTest, QualifiedName) {
  for (const char* ok : {"app", "kubefed.io/managed", "A_b.c-D", "example.com/Name", "x"}) {
    EXPECT_EQ(CheckQualifiedName(ok), "") << ok;
  }
  for (const char* bad : {"", "/a", "a/", "a/b/c", "-a", "a-", "Example.com/a", "a b", "a@b"}) {
    EXPECT_NE(CheckQualifiedName(bad), "") << bad;
  }
  EXPECT_EQ(CheckQualifiedName(std::string(63, 'a')), "");
  EXPECT_NE(CheckQualifiedName(std::string(64, 'a')), "");
}

TEST(ValidationTest, LabelValue) {
  for (const char* ok : {"", "a", "v1.2_3-x", "A"}) {
    EXPECT_EQ(CheckLabelValue(ok), "") << ok;
  }
  for (const char* bad : {"-a", "a-", "a/b", "a b", "_"}) {
    EXPECT_NE(CheckLabelValue(bad), "") << bad;
  }
  EXPECT_NE(CheckLabelValue(std::string(64, 'a')), "");
}

}  // namespace
}  // namespace kfed::k8s
