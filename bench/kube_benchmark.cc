// kube client hot paths: decoding list responses into per-object snapshots, decoding
// watch events, and informer event throughput (decode + cache update + handler dispatch).
//
//   bazel build -c opt //bench:kube_benchmark && bazel-bin/bench/kube_benchmark
#include <atomic>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "benchmark/benchmark.h"
#include "kube/client.h"
#include "kube/informer.h"
#include "kube/resource.h"

namespace kfed::kube {
namespace {

// A ConfigMap as a member cluster returns it: labels, annotations, managedFields, ~1 KB.
std::string ConfigMapJson(int i, int rv) {
  return absl::StrCat(
      R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm-)", i,
      R"(","namespace":"team-)", i % 20, R"(","uid":"5b0c3f7e-1d2a-4c44-9a7e-)", 100000000000 + i,
      R"(","resourceVersion":")", rv,
      R"(","creationTimestamp":"2026-11-24T14:00:00Z","labels":{"app":"web","kubefed.io/managed":"true","tier":"frontend"},)",
      R"("annotations":{"kubefed.io/origin":"host","example.com/owner":"platform-team"},)",
      R"("managedFields":[{"manager":"kfed","operation":"Apply","apiVersion":"v1","time":"2026-11-24T14:00:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:data":{"f:config.yaml":{},"f:mode":{}},"f:metadata":{"f:labels":{"f:app":{},"f:kubefed.io/managed":{},"f:tier":{}}}}}]},)",
      R"("data":{"mode":"production","config.yaml":"server:\n  port: 8080\n  workers: 4\nlogging:\n  level: info\n  format: json\nfeatures:\n  - a\n  - b\n  - c\n"}})");
}

std::string ListJson(int n) {
  std::string out = R"({"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":"99999"},"items":[)";
  for (int i = 0; i < n; ++i) {
    if (i > 0) out += ",";
    // Items of built-in lists come without apiVersion/kind.
    std::string item = ConfigMapJson(i, 1000 + i);
    out += "{" + item.substr(item.find("\"metadata\""));
  }
  out += "]}";
  return out;
}

void BM_DecodeList(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const std::string body = ListJson(n);
  size_t held = 0;
  for (auto _ : state) {
    absl::StatusOr<ObjectList> list = DecodeList(body);
    if (!list.ok() || static_cast<int>(list->items.size()) != n) {
      state.SkipWithError("decode failed");
      return;
    }
    held = 0;
    for (const ObjectPtr& o : list->items) held += ObjectBytes(o);
    benchmark::DoNotOptimize(list);
  }
  state.SetItemsProcessed(state.iterations() * n);
  state.SetBytesProcessed(state.iterations() * body.size());
  state.counters["json_bytes_per_object"] = static_cast<double>(body.size()) / n;
  state.counters["bytes_held_per_object"] = static_cast<double>(held) / n;
}
BENCHMARK(BM_DecodeList)->Arg(100)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);

void BM_DecodeWatchEvent(benchmark::State& state) {
  const std::string line = absl::StrCat(R"({"type":"MODIFIED","object":)", ConfigMapJson(7, 1234), "}");
  size_t held = 0;
  for (auto _ : state) {
    absl::StatusOr<WatchEvent> e = DecodeWatchEvent(line);
    held = ObjectBytes(e->object);
    benchmark::DoNotOptimize(e);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * line.size());
  state.counters["bytes_held_per_object"] = static_cast<double>(held);
}
BENCHMARK(BM_DecodeWatchEvent);

// A client whose list is empty and whose single watch replays a prepared byte stream
// through the real WatchDecoder in 16 KiB chunks, then idles until stopped.
class ReplayClient : public Client {
 public:
  explicit ReplayClient(std::string stream) : stream_(std::move(stream)) {}
  absl::StatusOr<ObjectList> List(const GroupVersionResource&, absl::string_view, const ListOptions&) override {
    ObjectList l;
    l.resource_version = "1";
    return l;
  }
  absl::Status Watch(const GroupVersionResource&, absl::string_view, const WatchOptions&,
                     const WatchHandler& handler, const CancellationToken* stop) override {
    if (!replayed_.exchange(true)) {
      WatchDecoder decoder;
      for (size_t i = 0; i < stream_.size(); i += 16384) {
        absl::Status s = decoder.Feed(absl::string_view(stream_).substr(i, 16384), handler);
        if (!s.ok()) return s;
      }
    }
    stop->Wait();
    return absl::CancelledError("stopped");
  }
  absl::StatusOr<ObjectPtr> Get(const GroupVersionResource&, absl::string_view, absl::string_view) override { return absl::UnimplementedError(""); }
  absl::StatusOr<ObjectPtr> Create(const GroupVersionResource&, absl::string_view, const rapidjson::Value&, const WriteOptions&) override { return absl::UnimplementedError(""); }
  absl::StatusOr<ObjectPtr> Update(const GroupVersionResource&, absl::string_view, const rapidjson::Value&, const WriteOptions&) override { return absl::UnimplementedError(""); }
  absl::StatusOr<ObjectPtr> UpdateStatus(const GroupVersionResource&, absl::string_view, const rapidjson::Value&, const WriteOptions&) override { return absl::UnimplementedError(""); }
  absl::StatusOr<ObjectPtr> Patch(const GroupVersionResource&, absl::string_view, absl::string_view, PatchType, absl::string_view, const PatchOptions&, absl::string_view) override { return absl::UnimplementedError(""); }
  absl::Status Delete(const GroupVersionResource&, absl::string_view, absl::string_view, const DeleteOptions&) override { return absl::UnimplementedError(""); }
  absl::Status DeleteCollection(const GroupVersionResource&, absl::string_view, const DeleteOptions&, const ListOptions&) override { return absl::UnimplementedError(""); }
  absl::StatusOr<std::string> GetRaw(absl::string_view) override { return absl::UnimplementedError(""); }

 private:
  const std::string stream_;
  std::atomic<bool> replayed_{false};
};

// Events/s through an informer: 5,000 objects added, then modified repeatedly; each event
// is decoded from JSON, stored (with namespace and label indexes) and handed to a handler.
void BM_InformerEventThroughput(benchmark::State& state) {
  const int events = static_cast<int>(state.range(0));
  constexpr int kObjects = 5000;
  std::string stream;
  for (int i = 0; i < events; ++i) {
    absl::StrAppend(&stream, R"({"type":")", i < kObjects ? "ADDED" : "MODIFIED", R"(","object":)",
                    ConfigMapJson(i % kObjects, 2000 + i), "}\n");
  }
  size_t held = 0;
  for (auto _ : state) {
    ReplayClient client(stream);
    InformerOptions o;
    o.gvr = ConfigMapsResource();
    Informer informer(client, o);
    informer.AddIndexer("app", LabelIndex("app"));
    absl::Mutex mu;
    int seen = 0;
    EventHandlers h;
    h.on_add = [&](const ObjectPtr&) { absl::MutexLock l(&mu); ++seen; };
    h.on_update = [&](const ObjectPtr&, const ObjectPtr&) { absl::MutexLock l(&mu); ++seen; };
    informer.AddEventHandler(h);
    informer.Start();
    {
      absl::MutexLock l(&mu);
      auto done = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return seen >= events; };
      mu.Await(absl::Condition(&done));
    }
    held = informer.CachedBytes();
    informer.Stop();
  }
  state.SetItemsProcessed(state.iterations() * events);
  state.SetBytesProcessed(state.iterations() * stream.size());
  state.counters["bytes_held_per_object"] = static_cast<double>(held) / kObjects;
}
BENCHMARK(BM_InformerEventThroughput)->Arg(50000)->Unit(benchmark::kMillisecond)->UseRealTime();

// What a cache read costs now that the store keeps text: Get parses a snapshot (a ConfigMap
// as the cache holds it, managedFields dropped).
void BM_InformerGet(benchmark::State& state) {
  constexpr int kObjects = 1000;
  std::string stream;
  for (int i = 0; i < kObjects; ++i) {
    absl::StrAppend(&stream, R"({"type":"ADDED","object":)", ConfigMapJson(i, 2000 + i), "}\n");
  }
  ReplayClient client(stream);
  InformerOptions o;
  o.gvr = ConfigMapsResource();
  Informer informer(client, o);
  informer.Start();
  while (informer.Size() < static_cast<size_t>(kObjects)) absl::SleepFor(absl::Milliseconds(1));
  int i = 0;
  for (auto _ : state) {
    ObjectPtr obj = informer.Get(absl::StrCat("team-", i % 20), absl::StrCat("cm-", i));
    if (obj == nullptr) {
      state.SkipWithError("missing object");
      break;
    }
    benchmark::DoNotOptimize(obj);
    i = (i + 1) % kObjects;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["bytes_held_per_object"] = static_cast<double>(informer.CachedBytes()) / kObjects;
  informer.Stop();
}
BENCHMARK(BM_InformerGet);

}  // namespace
}  // namespace kfed::kube
