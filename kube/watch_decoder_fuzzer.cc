// libFuzzer target for the watch event stream decoder (kube/client.h: WatchDecoder,
// DecodeWatchEvent) and list decoding (DecodeList): what kfed reads from every apiserver
// watch and list.
// Input (see testdata/watch_decoder_fuzzer_corpus/): byte 0 seeds how the stream is cut
// into chunks and after how many events the handler stops; the rest is the stream (one
// JSON event per line, as the apiserver sends it). Besides "never crashes" (ASan/UBSan),
// it checks:
// - cutting the stream into arbitrary chunks gives exactly the events (type and object)
//   and the error that one Feed of the whole stream gives, and the same bytes held back;
// - every event is an object of a known type;
// - once the handler returns false no event follows, and Feed reports OK;
// - DecodeList's items are objects, and carry the list's apiVersion when they had none.
//
//   hack/fuzz.sh watch_decoder_fuzzer
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "base/json.h"
#include "kube/client.h"
#include "kube/resource.h"

namespace {

using kfed::kube::WatchDecoder;
using kfed::kube::WatchEvent;

void Require(bool condition, const char* property) {
  if (condition) return;
  std::fprintf(stderr, "property violated: %s\n", property);
  std::abort();
}

struct Outcome {
  std::vector<std::pair<std::string, std::string>> events;  // type, object JSON
  absl::Status status;
  std::size_t buffered = 0;
};

bool Record(Outcome& out, const WatchEvent& e) {
  Require(e.object != nullptr && e.object->IsObject(), "an event's object is an object");
  absl::string_view type = kfed::kube::WatchEventTypeName(e.type);
  Require(type != "?", "an event has a known type");
  out.events.emplace_back(std::string(type), kfed::json::Serialize(*e.object));
  return true;
}

// Feeds `stream` in chunks whose sizes come from `seed` (0: one Feed of everything).
Outcome Decode(absl::string_view stream, uint32_t seed) {
  Outcome out;
  WatchDecoder decoder;
  auto handler = [&out](const WatchEvent& e) { return Record(out, e); };
  std::size_t pos = 0;
  while (pos < stream.size()) {
    std::size_t n = stream.size() - pos;
    if (seed != 0) {
      seed = seed * 1103515245u + 12345u;
      n = std::min<std::size_t>(n, 1 + (seed >> 16) % 97);
    }
    out.status = decoder.Feed(stream.substr(pos, n), handler);
    pos += n;
    if (!out.status.ok()) return out;
  }
  out.buffered = decoder.buffered();
  return out;
}

void CheckStop(absl::string_view stream, std::size_t stop_after) {
  WatchDecoder decoder;
  std::size_t seen = 0;
  auto handler = [&](const WatchEvent&) { return ++seen <= stop_after; };
  absl::Status s = decoder.Feed(stream, handler);
  if (decoder.stopped()) {
    Require(s.ok(), "a stopped decoder reports OK");
    Require(seen == stop_after + 1, "the handler stops exactly where it said");
    Require(decoder.Feed(stream, handler).ok() && seen == stop_after + 1,
            "no event after the handler returned false");
  } else {
    Require(seen <= stop_after, "the decoder stops when the handler returns false");
  }
}

void CheckList(absl::string_view body) {
  absl::StatusOr<kfed::kube::ObjectList> list = kfed::kube::DecodeList(body);
  if (!list.ok()) return;
  absl::StatusOr<rapidjson::Document> doc = kfed::json::Parse(body);
  Require(doc.ok(), "a decoded list is valid JSON");
  const std::string api_version = kfed::json::GetString(*doc, "apiVersion");
  for (const kfed::kube::ObjectPtr& item : list->items) {
    Require(item != nullptr && item->IsObject(), "list items are objects");
    if (!api_version.empty()) {
      Require(item->HasMember("apiVersion"), "list items carry an apiVersion");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t seed = data[0];
  absl::string_view stream(reinterpret_cast<const char*>(data) + 1, size - 1);

  Outcome whole = Decode(stream, 0);
  Outcome chunked = Decode(stream, seed | 1u);
  Require(whole.events == chunked.events, "chunking does not change the events");
  Require(whole.status == chunked.status, "chunking does not change the error");
  Require(whole.buffered == chunked.buffered, "chunking does not change what is held back");
  if (!whole.status.ok()) {
    Require(whole.status.code() == absl::StatusCode::kInternal, "a malformed event is kInternal");
  }
  CheckStop(stream, seed % 4);
  CheckList(stream);
  return 0;
}
