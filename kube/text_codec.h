// Compresses the texts of one cache (an informer's objects, all of one resource) with zstd
// against a dictionary made of the first texts it learns.
//
// Objects of one resource share most of their bytes (keys, labels, annotations, the shape of
// the spec), which compress poorly one at a time (a 700-byte ConfigMap on its own: ~1.5x) and
// well against a dictionary that holds similar objects (docs/benchmarks.md, "kube client").
// The dictionary is zstd's raw-content kind: the concatenated sample texts, no training step.
// It is built once, from the first `samples` texts Learn()ed, and never replaced, so every
// encoding stays decodable for the codec's lifetime; texts encoded before it exists are kept
// as they are (tagged raw) until the caller re-encodes them.
//
// Threads: Encode and Decode run on any thread at once (zstd contexts come from a pool and
// are reused, not created per call). Learn must not run concurrently with itself (the
// informer calls it under its lock); it may run alongside Encode and Decode.
#ifndef KFED_KUBE_TEXT_CODEC_H_
#define KFED_KUBE_TEXT_CODEC_H_

#include <atomic>
#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace kfed::kube {

class TextCodec {
 public:
  struct Options {
    // The dictionary is built once this many texts were offered (those that fit the size
    // limit are in it); 0: never build one (Encode keeps texts raw).
    size_t samples = 16;
    // The dictionary's size limit: samples stop being added once it is reached.
    size_t max_dictionary_bytes = 32 * 1024;
    // zstd's level for the dictionary's compression tables (1: fastest).
    int level = 3;
  };
  TextCodec();
  explicit TextCodec(Options options);
  ~TextCodec();
  TextCodec(const TextCodec&) = delete;
  TextCodec& operator=(const TextCodec&) = delete;

  // `text` encoded: compressed against the dictionary once it exists (when that is smaller),
  // else raw. Never fails: a zstd error keeps the text raw.
  std::string Encode(absl::string_view text) const;
  // The text an Encode of this codec returned. An error only for bytes no Encode made.
  absl::StatusOr<std::string> Decode(absl::string_view encoded) const;

  // Offers a text as a dictionary sample; returns true when this call built the dictionary
  // (texts encoded before it are raw: re-encode them to compress them). False afterwards.
  bool Learn(absl::string_view text);
  bool HasDictionary() const;
  // The dictionary's bytes (0 before it exists): memory held besides the encodings.
  size_t DictionaryBytes() const;

 private:
  struct Dictionary;
  const Options options_;
  std::vector<std::string> samples_;  // Learn's thread only
  size_t sample_bytes_ = 0;
  size_t offered_ = 0;  // texts Learn()ed, kept as samples or not
  std::atomic<const Dictionary*> dictionary_{nullptr};
};

}  // namespace kfed::kube

#endif  // KFED_KUBE_TEXT_CODEC_H_
