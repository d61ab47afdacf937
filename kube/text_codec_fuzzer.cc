// libFuzzer target for the informers' cache compression (kube/text_codec.h): every cached
// object goes through Encode and comes back through Decode on each read.
// Input (see testdata/text_codec_fuzzer_corpus/): byte 0 is how many of the following lines
// ('\n'-separated) are offered to Learn (the dictionary is built after 1 + byte0 % 8 of
// them); the lines after those are encoded. Besides "never crashes" (ASan/UBSan), it checks:
// - Decode(Encode(text)) == text for every line, before and after the dictionary exists;
// - Decode of the raw lines themselves (arbitrary bytes, compressed-tagged or not) returns
//   a value or an error, never a crash.
//
//   hack/fuzz.sh text_codec_fuzzer
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "kube/text_codec.h"

namespace {

void Require(bool condition, const char* property) {
  if (condition) return;
  std::fprintf(stderr, "property violated: %s\n", property);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  kfed::kube::TextCodec::Options o;
  o.samples = 1 + data[0] % 8;
  o.max_dictionary_bytes = 2048;
  kfed::kube::TextCodec codec(o);
  std::vector<absl::string_view> lines = absl::StrSplit(
      absl::string_view(reinterpret_cast<const char*>(data) + 1, size - 1), '\n');
  for (size_t i = 0; i < lines.size(); ++i) {
    const absl::string_view line = lines[i];
    if (i < o.samples) {
      std::string before = codec.Encode(line);
      codec.Learn(line);
      absl::StatusOr<std::string> back = codec.Decode(before);
      Require(back.ok() && *back == line, "an encoding from before the dictionary decodes");
    }
    absl::StatusOr<std::string> back = codec.Decode(codec.Encode(line));
    Require(back.ok(), "every encoding decodes");
    Require(*back == line, "decoding gives the encoded text");
    (void)codec.Decode(line);  // arbitrary bytes: a value or an error
  }
  return 0;
}
