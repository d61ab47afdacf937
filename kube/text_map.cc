#include "kube/text_map.h"

#include <cstring>

namespace kfed::kube {
namespace {

constexpr size_t kHeader = 2 * sizeof(uint32_t);

std::unique_ptr<char[]> MakeBlock(absl::string_view key, absl::string_view text) {
  const uint32_t sizes[2] = {static_cast<uint32_t>(key.size()), static_cast<uint32_t>(text.size())};
  std::unique_ptr<char[]> block(new char[kHeader + key.size() + text.size()]);
  std::memcpy(block.get(), sizes, kHeader);
  if (!key.empty()) std::memcpy(block.get() + kHeader, key.data(), key.size());
  if (!text.empty()) std::memcpy(block.get() + kHeader + key.size(), text.data(), text.size());
  return block;
}

void Sizes(const char* block, uint32_t* key, uint32_t* text) {
  uint32_t sizes[2];
  std::memcpy(sizes, block, kHeader);
  *key = sizes[0];
  *text = sizes[1];
}

}  // namespace

TextMap::Entry::Entry(absl::string_view key, absl::string_view text)
    : block_(MakeBlock(key, text)) {}

absl::string_view TextMap::Entry::key() const {
  uint32_t k, t;
  Sizes(block_.get(), &k, &t);
  return absl::string_view(block_.get() + kHeader, k);
}

absl::string_view TextMap::Entry::text() const {
  uint32_t k, t;
  Sizes(block_.get(), &k, &t);
  return absl::string_view(block_.get() + kHeader + k, t);
}

size_t TextMap::Entry::bytes() const {
  uint32_t k, t;
  Sizes(block_.get(), &k, &t);
  return kHeader + k + t;
}

void TextMap::Entry::SetText(absl::string_view text) const {
  block_ = MakeBlock(key(), text);
}

std::optional<absl::string_view> TextMap::Find(absl::string_view key) const {
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  return it->text();
}

bool TextMap::Set(absl::string_view key, absl::string_view text) {
  auto it = entries_.find(key);
  if (it != entries_.end()) {
    it->SetText(text);
    return false;
  }
  entries_.emplace(key, text);
  return true;
}

bool TextMap::Erase(absl::string_view key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return false;
  entries_.erase(it);
  return true;
}

void TextMap::ForEach(
    const std::function<void(absl::string_view key, absl::string_view text)>& fn) const {
  for (const Entry& e : entries_) fn(e.key(), e.text());
}

void TextMap::Transform(
    const std::function<std::string(absl::string_view key, absl::string_view text)>& fn) {
  for (const Entry& e : entries_) e.SetText(fn(e.key(), e.text()));
}

size_t TextMap::HeapBytes() const {
  size_t bytes = entries_.capacity() * (sizeof(Entry) + 1);
  for (const Entry& e : entries_) bytes += e.bytes();
  return bytes;
}

}  // namespace kfed::kube
