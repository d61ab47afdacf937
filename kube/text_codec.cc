#include "kube/text_codec.h"

#include <zstd.h>

#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

namespace kfed::kube {
namespace {

// The first byte of an encoding.
constexpr char kRaw = 'r';
constexpr char kCompressed = 'z';
// Larger than any Kubernetes object (etcd refuses requests over 1.5 MiB by default).
constexpr unsigned long long kMaxTextBytes = 64ull << 20;

// zstd contexts are large (a decompression context ~96 KB) and not thread-safe: threads
// borrow one, and the pool keeps every context returned (as many as ever ran at once).
template <typename Ctx, Ctx* (*Create)(), size_t (*Free)(Ctx*)>
class ContextPool {
 public:
  class Lease {
   public:
    explicit Lease(ContextPool& pool) : pool_(pool), ctx_(pool.Take()) {}
    ~Lease() { pool_.Give(ctx_); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Ctx* get() const { return ctx_; }

   private:
    ContextPool& pool_;
    Ctx* ctx_;
  };

 private:
  Ctx* Take() {
    {
      absl::MutexLock lock(&mu_);
      if (!free_.empty()) {
        Ctx* c = free_.back();
        free_.pop_back();
        return c;
      }
    }
    return Create();
  }
  void Give(Ctx* c) {
    if (c == nullptr) return;
    absl::MutexLock lock(&mu_);
    free_.push_back(c);
  }
  absl::Mutex mu_;
  std::vector<Ctx*> free_ ABSL_GUARDED_BY(mu_);
};

using CompressionPool = ContextPool<ZSTD_CCtx, ZSTD_createCCtx, ZSTD_freeCCtx>;
using DecompressionPool = ContextPool<ZSTD_DCtx, ZSTD_createDCtx, ZSTD_freeDCtx>;

// Never destroyed: codecs may outlive static destruction order.
CompressionPool& Compressors() {
  static auto* pool = new CompressionPool();
  return *pool;
}
DecompressionPool& Decompressors() {
  static auto* pool = new DecompressionPool();
  return *pool;
}

std::string Raw(absl::string_view text) {
  std::string out;
  out.reserve(text.size() + 1);
  out.push_back(kRaw);
  out.append(text.data(), text.size());
  return out;
}

}  // namespace

struct TextCodec::Dictionary {
  Dictionary(const std::string& content, int level)
      : cdict(ZSTD_createCDict(content.data(), content.size(), level)),
        ddict(ZSTD_createDDict(content.data(), content.size())) {}
  ~Dictionary() {
    ZSTD_freeCDict(cdict);
    ZSTD_freeDDict(ddict);
  }
  ZSTD_CDict* const cdict;
  ZSTD_DDict* const ddict;
};

TextCodec::TextCodec() : TextCodec(Options()) {}

TextCodec::TextCodec(Options options) : options_(options) {}

TextCodec::~TextCodec() { delete dictionary_.load(std::memory_order_acquire); }

std::string TextCodec::Encode(absl::string_view text) const {
  const Dictionary* d = dictionary_.load(std::memory_order_acquire);
  if (d == nullptr || d->cdict == nullptr) return Raw(text);
  std::string out(1 + ZSTD_compressBound(text.size()), '\0');
  out[0] = kCompressed;
  CompressionPool::Lease cctx(Compressors());
  if (cctx.get() == nullptr) return Raw(text);
  size_t n = ZSTD_compress_usingCDict(cctx.get(), out.data() + 1, out.size() - 1, text.data(),
                                      text.size(), d->cdict);
  if (ZSTD_isError(n) || n + 1 >= text.size() + 1) return Raw(text);
  out.resize(n + 1);
  out.shrink_to_fit();
  return out;
}

absl::StatusOr<std::string> TextCodec::Decode(absl::string_view encoded) const {
  if (encoded.empty()) return absl::InvalidArgumentError("empty encoding");
  if (encoded[0] == kRaw) return std::string(encoded.substr(1));
  if (encoded[0] != kCompressed) {
    return absl::InvalidArgumentError(absl::StrCat("unknown encoding tag ", int{encoded[0]}));
  }
  const Dictionary* d = dictionary_.load(std::memory_order_acquire);
  if (d == nullptr || d->ddict == nullptr) {
    return absl::FailedPreconditionError("compressed text but no dictionary");
  }
  encoded.remove_prefix(1);
  unsigned long long size = ZSTD_getFrameContentSize(encoded.data(), encoded.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN) {
    return absl::InvalidArgumentError("not a zstd frame with its size");
  }
  // The size comes from the frame header: never allocate what no Encode could have made
  // (the fuzzer found headers claiming terabytes).
  if (size > kMaxTextBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("zstd frame claims ", size, " bytes, more than the ", kMaxTextBytes, " allowed"));
  }
  std::string out(size, '\0');
  DecompressionPool::Lease dctx(Decompressors());
  if (dctx.get() == nullptr) return absl::ResourceExhaustedError("no zstd context");
  size_t n = ZSTD_decompress_usingDDict(dctx.get(), out.data(), out.size(), encoded.data(),
                                        encoded.size(), d->ddict);
  if (ZSTD_isError(n)) return absl::InvalidArgumentError(ZSTD_getErrorName(n));
  if (n != size) return absl::InvalidArgumentError("zstd frame shorter than its header says");
  return out;
}

bool TextCodec::Learn(absl::string_view text) {
  if (options_.samples == 0 || HasDictionary()) return false;
  if (sample_bytes_ + text.size() <= options_.max_dictionary_bytes) {
    samples_.emplace_back(text);
    sample_bytes_ += text.size();
  }
  ++offered_;
  const bool full = sample_bytes_ >= options_.max_dictionary_bytes;
  if (offered_ < options_.samples && !full) return false;
  if (samples_.empty()) return false;  // every text larger than the limit: stay raw
  std::string content;
  content.reserve(sample_bytes_);
  for (const std::string& s : samples_) content += s;
  samples_.clear();
  samples_.shrink_to_fit();
  auto* d = new Dictionary(content, options_.level);
  if (d->cdict == nullptr || d->ddict == nullptr) {
    delete d;
    return false;
  }
  dictionary_.store(d, std::memory_order_release);
  return true;
}

bool TextCodec::HasDictionary() const {
  return dictionary_.load(std::memory_order_acquire) != nullptr;
}

size_t TextCodec::DictionaryBytes() const {
  const Dictionary* d = dictionary_.load(std::memory_order_acquire);
  if (d == nullptr) return 0;
  return ZSTD_sizeof_CDict(d->cdict) + ZSTD_sizeof_DDict(d->ddict);
}

}  // namespace kfed::kube
