// A map from key to text that keeps each entry, key and text together, in one allocation of
// its own, and only a pointer in the hash table: the informer store's container.
//
// An absl::flat_hash_map<std::string, std::string> holds two 32-byte strings per slot (at a
// load factor of 7/16 to 7/8) plus a heap block for each string longer than 15 bytes: ~110
// bytes per entry before the text itself, for an informer text of ~200 bytes compressed
// (docs/benchmarks.md, memory). Here a slot is 8 bytes and an entry one block of
// 8 + key + text bytes.
//
// Not thread-safe (the informer guards it with its mutex). Views returned by Find and passed
// to ForEach are valid until the entry is next set or erased.
#ifndef KFED_KUBE_TEXT_MAP_H_
#define KFED_KUBE_TEXT_MAP_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/strings/string_view.h"

namespace kfed::kube {

class TextMap {
 public:
  // The text stored under `key`, if any.
  std::optional<absl::string_view> Find(absl::string_view key) const;
  bool Contains(absl::string_view key) const { return entries_.contains(key); }
  // Stores `text` under `key` (replacing the text there); returns whether the key is new.
  bool Set(absl::string_view key, absl::string_view text);
  // Returns whether there was an entry.
  bool Erase(absl::string_view key);
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }

  // Calls `fn(key, text)` for every entry, in no particular order.
  void ForEach(const std::function<void(absl::string_view key, absl::string_view text)>& fn) const;
  // Replaces each entry's text by `fn(key, text)`'s (e.g. to re-encode them all).
  void Transform(const std::function<std::string(absl::string_view key, absl::string_view text)>& fn);

  // Heap bytes held: the table's slots and control bytes, and the entries' blocks.
  size_t HeapBytes() const;

 private:
  // One block: [uint32 key size][uint32 text size][key][text].
  class Entry {
   public:
    Entry(absl::string_view key, absl::string_view text);
    absl::string_view key() const;
    absl::string_view text() const;
    size_t bytes() const;
    // A new block with the same key: the hashed part does not change, so this may be done
    // to an element of the set (hence const, on a mutable block).
    void SetText(absl::string_view text) const;

   private:
    mutable std::unique_ptr<char[]> block_;
  };
  struct Hash {
    using is_transparent = void;
    size_t operator()(absl::string_view key) const { return absl::Hash<absl::string_view>()(key); }
    size_t operator()(const Entry& e) const { return (*this)(e.key()); }
  };
  struct Eq {
    using is_transparent = void;
    static absl::string_view KeyOf(absl::string_view key) { return key; }
    static absl::string_view KeyOf(const Entry& e) { return e.key(); }
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return KeyOf(a) == KeyOf(b);
    }
  };

  absl::flat_hash_set<Entry, Hash, Eq> entries_;
};

}  // namespace kfed::kube

#endif  // KFED_KUBE_TEXT_MAP_H_
