#include "status/dashboard_assets.h"

#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>
#include <vector>

#include "base/testing.h"

namespace kfed::status {
namespace {

using ::kfed::testing::ReadTextFileOrFail;
using ::kfed::testing::Runfile;

// The dashboard directory in the test's runfiles.
std::string DashboardDir() { return Runfile("status/dashboard"); }

void ListFiles(const std::string& root, const std::string& rel, std::vector<std::string>* out) {
  DIR* dir = opendir((root + rel).c_str());
  ASSERT_NE(dir, nullptr) << root + rel;
  while (dirent* e = readdir(dir)) {
    const std::string name = e->d_name;
    if (name == "." || name == ".." || name == "node_modules") continue;
    struct stat st;
    ASSERT_EQ(stat((root + rel + "/" + name).c_str(), &st), 0);
    if (S_ISDIR(st.st_mode)) {
      ListFiles(root, rel + "/" + name, out);
    } else {
      out->push_back(rel + "/" + name);
    }
  }
  closedir(dir);
}

TEST(DashboardAssetsTest, EveryFileIsEmbeddedWithItsBytes) {
  std::vector<std::string> files;
  ListFiles(DashboardDir(), "", &files);
  ASSERT_FALSE(files.empty());
  EXPECT_EQ(files.size(), kDashboardAssetCount);
  for (const std::string& f : files) {
    const Asset* asset = FindDashboardAsset(f);
    ASSERT_NE(asset, nullptr) << f;
    EXPECT_EQ(asset->data, ReadTextFileOrFail(DashboardDir() + f)) << f;
    EXPECT_EQ(asset->content_type, ContentTypeFor(f));
  }
}

TEST(DashboardAssetsTest, IndexAndUnknownPaths) {
  const Asset* index = FindDashboardAsset("/index.html");
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(index->content_type, "text/html; charset=utf-8");
  EXPECT_EQ(FindDashboardAsset("/no-such-file.js"), nullptr);
  EXPECT_EQ(FindDashboardAsset("index.html"), nullptr);
  EXPECT_EQ(FindDashboardAsset(""), nullptr);
}

TEST(DashboardAssetsTest, ContentTypesByExtension) {
  EXPECT_EQ(ContentTypeFor("/a.html"), "text/html; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("/js/app.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("/style.css"), "text/css; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("/logo.svg"), "image/svg+xml");
  EXPECT_EQ(ContentTypeFor("/logo.PNG"), "image/png");
  EXPECT_EQ(ContentTypeFor("/data.json"), "application/json");
  EXPECT_EQ(ContentTypeFor("/blob"), "application/octet-stream");
}

}  // namespace
}  // namespace kfed::status
