#include "kube/text_codec.h"

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace kfed::kube {
namespace {

std::string ConfigMap(int i) {
  return absl::StrCat(
      R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm-)", i,
      R"(","namespace":"bench","uid":"5b0c3f7e-1d2a-4c44-9a7e-)", 100000000000 + i,
      R"(","resourceVersion":")", 5000 + i,
      R"(","creationTimestamp":"2026-12-08T01:00:00Z","labels":{"kubefed.io/managed":"true"},)",
      R"("annotations":{"kubefed.io/version":"v)", i, R"("}},"data":{"value":"value-)", i, R"("}})");
}

TEST(TextCodecTest, RawUntilTheDictionaryThenCompressedAndEveryEncodingDecodes) {
  TextCodec::Options o;
  o.samples = 4;
  TextCodec codec(o);
  std::vector<std::string> before;
  for (int i = 0; i < 3; ++i) {
    before.push_back(codec.Encode(ConfigMap(i)));
    EXPECT_EQ(before.back().size(), ConfigMap(i).size() + 1) << "not raw before the dictionary";
    EXPECT_FALSE(codec.Learn(ConfigMap(i)));
  }
  EXPECT_FALSE(codec.HasDictionary());
  EXPECT_EQ(codec.DictionaryBytes(), 0u);
  EXPECT_TRUE(codec.Learn(ConfigMap(3)));
  EXPECT_TRUE(codec.HasDictionary());
  EXPECT_GT(codec.DictionaryBytes(), 0u);
  EXPECT_FALSE(codec.Learn(ConfigMap(4))) << "the dictionary is built once";

  for (int i = 0; i < 3; ++i) EXPECT_EQ(*codec.Decode(before[i]), ConfigMap(i));
  size_t text = 0;
  size_t encoded = 0;
  for (int i = 100; i < 200; ++i) {
    std::string e = codec.Encode(ConfigMap(i));
    text += ConfigMap(i).size();
    encoded += e.size();
    absl::StatusOr<std::string> d = codec.Decode(e);
    ASSERT_TRUE(d.ok()) << d.status();
    EXPECT_EQ(*d, ConfigMap(i));
  }
  // Objects like the samples compress several times over (measured: ~5x for these).
  EXPECT_LT(encoded * 3, text) << encoded << " bytes for " << text;
}

TEST(TextCodecTest, TextsUnlikeTheDictionaryAndEmptyTextsStillRoundTrip) {
  TextCodec::Options o;
  o.samples = 1;
  TextCodec codec(o);
  ASSERT_TRUE(codec.Learn(ConfigMap(1)));
  for (const std::string& text : {std::string(), std::string("x"), std::string(5000, 'q'),
                                  std::string("\0binary\xff", 8)}) {
    absl::StatusOr<std::string> d = codec.Decode(codec.Encode(text));
    ASSERT_TRUE(d.ok()) << d.status();
    EXPECT_EQ(*d, text);
  }
}

TEST(TextCodecTest, MalformedEncodingsAreErrorsNotCrashes) {
  TextCodec codec;
  EXPECT_FALSE(codec.Decode("").ok());
  EXPECT_FALSE(codec.Decode("?abc").ok());
  EXPECT_EQ(codec.Decode("zabc").status().code(), absl::StatusCode::kFailedPrecondition);
  TextCodec::Options o;
  o.samples = 1;
  TextCodec with(o);
  ASSERT_TRUE(with.Learn(ConfigMap(1)));
  EXPECT_FALSE(with.Decode("z\x28\xb5\x2f\xfd garbage").ok());
  std::string e = with.Encode(ConfigMap(2));
  ASSERT_EQ(e[0], 'z');
  EXPECT_FALSE(with.Decode(e.substr(0, e.size() - 3)).ok());
}

TEST(TextCodecTest, TextsLargerThanTheSizeLimitStillLetTheDictionaryBeBuilt) {
  TextCodec::Options o;
  o.samples = 3;
  o.max_dictionary_bytes = 600;  // one ConfigMap (~300 bytes) fits
  TextCodec codec(o);
  EXPECT_FALSE(codec.Learn(std::string(1000, 'a')));  // too large to keep
  EXPECT_FALSE(codec.Learn(ConfigMap(1)));
  EXPECT_TRUE(codec.Learn(std::string(1000, 'b')));  // the third offered
  EXPECT_EQ(*codec.Decode(codec.Encode(ConfigMap(2))), ConfigMap(2));
}

TEST(TextCodecTest, EncodeAndDecodeFromManyThreadsWhileTheDictionaryIsBuilt) {
  TextCodec::Options o;
  o.samples = 50;
  TextCodec codec(o);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&codec, t] {
      for (int i = 0; i < 300; ++i) {
        std::string text = ConfigMap(t * 1000 + i);
        absl::StatusOr<std::string> d = codec.Decode(codec.Encode(text));
        ASSERT_TRUE(d.ok()) << d.status();
        ASSERT_EQ(*d, text);
      }
    });
  }
  for (int i = 0; i < 60; ++i) codec.Learn(ConfigMap(i));
  for (std::thread& t : threads) t.join();
  EXPECT_TRUE(codec.HasDictionary());
}

}  // namespace
}  // namespace kfed::kube
