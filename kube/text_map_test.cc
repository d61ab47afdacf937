#include "kube/text_map.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "absl/strings/str_cat.h"

namespace kfed::kube {
namespace {

TEST(TextMapTest, SetFindReplaceErase) {
  TextMap m;
  EXPECT_FALSE(m.Find("ns/a").has_value());
  EXPECT_TRUE(m.Set("ns/a", "first"));
  EXPECT_TRUE(m.Set("b", ""));  // a cluster-scoped key; an empty text
  EXPECT_EQ(m.Find("ns/a"), "first");
  EXPECT_EQ(m.Find("b"), "");
  EXPECT_FALSE(m.Set("ns/a", "a longer second text, with more bytes than before"));
  EXPECT_EQ(m.Find("ns/a"), "a longer second text, with more bytes than before");
  EXPECT_EQ(m.size(), 2u);
  EXPECT_TRUE(m.Erase("ns/a"));
  EXPECT_FALSE(m.Erase("ns/a"));
  EXPECT_FALSE(m.Contains("ns/a"));
  EXPECT_TRUE(m.Contains("b"));
  EXPECT_EQ(m.size(), 1u);
}

TEST(TextMapTest, KeepsBinaryTextsAndKeysApart) {
  TextMap m;
  const std::string binary("z\0\x01\xff", 4);
  m.Set("ns/x", binary);
  m.Set("ns/x2", "x");
  EXPECT_EQ(m.Find("ns/x"), binary);
  EXPECT_EQ(m.Find("ns/x2"), "x");
  EXPECT_FALSE(m.Find("ns/").has_value());
}

// Many entries, replaced, erased and transformed: the map reads back what a std::map would.
TEST(TextMapTest, AgreesWithAStdMapThroughManyChanges) {
  TextMap m;
  std::map<std::string, std::string> want;
  for (int i = 0; i < 5000; ++i) {
    const std::string key = absl::StrCat("namespace-", i % 7, "/object-", i);
    const std::string text = std::string(i % 300, static_cast<char>('a' + i % 26));
    m.Set(key, text);
    want[key] = text;
  }
  for (int i = 0; i < 5000; i += 3) {
    const std::string key = absl::StrCat("namespace-", i % 7, "/object-", i);
    m.Erase(key);
    want.erase(key);
  }
  for (int i = 1; i < 5000; i += 5) {
    const std::string key = absl::StrCat("namespace-", i % 7, "/object-", i);
    m.Set(key, absl::StrCat("v2-", i));
    want[key] = absl::StrCat("v2-", i);
  }
  m.Transform([](absl::string_view key, absl::string_view text) {
    return absl::StrCat(text, "|", key.size());
  });
  for (auto& [key, text] : want) text = absl::StrCat(text, "|", key.size());

  std::map<std::string, std::string> got;
  m.ForEach([&](absl::string_view key, absl::string_view text) {
    got.emplace(std::string(key), std::string(text));
  });
  EXPECT_EQ(got, want);
  EXPECT_EQ(m.size(), want.size());
  for (const auto& [key, text] : want) EXPECT_EQ(m.Find(key), text) << key;
}

TEST(TextMapTest, HoldsLessThanAMapOfStrings) {
  TextMap m;
  size_t texts = 0;
  for (int i = 0; i < 10000; ++i) {
    const std::string text(180, 'x');
    m.Set(absl::StrCat("bench-namespace/cm-", i), text);
    texts += text.size();
  }
  // Per entry: an 8-byte slot at the table's load, 8 bytes of sizes and the key beside the
  // text; a map of strings needs 64-byte slots and two blocks.
  const double overhead = static_cast<double>(m.HeapBytes() - texts) / m.size();
  EXPECT_LT(overhead, 50.0) << overhead;
}

}  // namespace
}  // namespace kfed::kube
