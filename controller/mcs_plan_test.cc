#include "controller/mcs_plan.h"

#include <gtest/gtest.h>

#include <set>

#include "absl/strings/str_cat.h"
#include "base/json.h"

namespace kfed::controller::mcs {
namespace {

rapidjson::Document Parse(const std::string& text) {
  auto doc = json::Parse(text);
  EXPECT_TRUE(doc.ok()) << doc.status() << " in " << text;
  return std::move(*doc);
}

rapidjson::Document Export(const std::string& created) {
  return Parse(
      absl::StrCat(R"({"apiVersion":"multicluster.x-k8s.io/v1alpha1",)",
                   R"("kind":"ServiceExport","metadata":{"name":"web","namespace":"demo",)",
                   R"("creationTimestamp":")", created, R"("}})"));
}

ImportPort Port(const std::string& name, int port, const std::string& protocol = "TCP") {
  ImportPort p;
  p.name = name;
  p.port = port;
  p.protocol = protocol;
  return p;
}

ClusterExport Exported(const std::string& cluster, int minute, std::vector<ImportPort> ports,
                       bool headless = false, const std::string& affinity = "None") {
  ClusterExport e;
  e.cluster = cluster;
  e.created = absl::FromUnixSeconds(1700000000 + 60 * minute);
  e.ports = std::move(ports);
  e.headless = headless;
  e.session_affinity = affinity;
  return e;
}

TEST(ValidateExportTest, Table) {
  struct Case {
    std::string name;
    std::string service;  // "" : no Service
    std::string status;
    std::string reason;
    std::string message_part;
  };
  const std::vector<Case> cases = {
      {"no service", "", "False", "NoService", "Service demo/web does not exist in cluster m1"},
      {"external name", R"({"metadata":{"name":"web"},"spec":{"type":"ExternalName"}})", "False",
       "InvalidServiceType", "ExternalName"},
      {"cluster ip", R"({"metadata":{"name":"web"},"spec":{"type":"ClusterIP"}})", "True", "Valid",
       "is exported"},
      {"node port", R"({"metadata":{"name":"web"},"spec":{"type":"NodePort"}})", "True", "Valid",
       ""},
  };
  rapidjson::Document se = Export("2026-01-01T00:00:00Z");
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    rapidjson::Document svc;
    if (!c.service.empty()) svc = Parse(c.service);
    ClusterExport out;
    Condition cond = ValidateExport("m1", se, c.service.empty() ? nullptr : &svc, &out);
    EXPECT_EQ(cond.type, "Valid");
    EXPECT_EQ(cond.status, c.status);
    EXPECT_EQ(cond.reason, c.reason);
    EXPECT_NE(cond.message.find(c.message_part), std::string::npos) << cond.message;
  }
}

TEST(ValidateExportTest, ReadsPortsTypeAffinityAndCreation) {
  rapidjson::Document se = Export("2026-01-01T00:01:00Z");
  rapidjson::Document svc = Parse(R"({"metadata":{"name":"web"},"spec":{
      "clusterIP":"None","sessionAffinity":"ClientIP",
      "sessionAffinityConfig":{"clientIP":{"timeoutSeconds":30}},
      "ports":[{"name":"http","port":80,"targetPort":8080},
               {"name":"dns","port":53,"protocol":"UDP","appProtocol":"dns"}]}})");
  ClusterExport out;
  ASSERT_EQ(ValidateExport("m1", se, &svc, &out).status, "True");
  EXPECT_EQ(out.cluster, "m1");
  EXPECT_TRUE(out.headless);
  EXPECT_EQ(out.session_affinity, "ClientIP");
  EXPECT_EQ(out.session_affinity_config, R"({"clientIP":{"timeoutSeconds":30}})");
  EXPECT_EQ(out.created, absl::FromUnixSeconds(1767225660));
  ASSERT_EQ(out.ports.size(), 2u);
  EXPECT_EQ(out.ports[0], Port("http", 80));
  ImportPort dns = Port("dns", 53, "UDP");
  dns.app_protocol = "dns";
  EXPECT_EQ(out.ports[1], dns);
}

TEST(MergeExportsTest, Table) {
  struct Case {
    std::string name;
    std::vector<ClusterExport> exports;
    std::string want_type;
    std::vector<ImportPort> want_ports;
    std::string want_oldest;
    // cluster -> Conflict reason ("NoConflicts" when none)
    std::map<std::string, std::string> want_reasons;
    // cluster -> a part of the Conflict message
    std::map<std::string, std::string> want_message;
  };
  const std::vector<Case> cases = {
      {"one export",
       {Exported("m1", 0, {Port("http", 80)})},
       "ClusterSetIP",
       {Port("http", 80)},
       "m1",
       {{"m1", "NoConflicts"}},
       {}},
      {"same ports from two",
       {Exported("m2", 1, {Port("http", 80)}), Exported("m1", 0, {Port("http", 80)})},
       "ClusterSetIP",
       {Port("http", 80)},
       "m1",
       {{"m1", "NoConflicts"}, {"m2", "NoConflicts"}},
       {}},
      {"ports are merged by name (union)",
       {Exported("m1", 0, {Port("http", 80)}), Exported("m2", 1, {Port("metrics", 9090)})},
       "ClusterSetIP",
       {Port("http", 80), Port("metrics", 9090)},
       "m1",
       {{"m1", "NoConflicts"}, {"m2", "NoConflicts"}},
       {}},
      {"conflicting port: the newer export loses, naming the port",
       {Exported("m2", 5, {Port("http", 8080)}), Exported("m1", 0, {Port("http", 80)})},
       "ClusterSetIP",
       {Port("http", 80)},
       "m1",
       {{"m1", "NoConflicts"}, {"m2", "PortConflict"}},
       {{"m2", "port \"http\" is 8080/TCP here but 80/TCP in cluster m1"}}},
      {"protocol differs",
       {Exported("m1", 0, {Port("dns", 53, "UDP")}), Exported("m2", 1, {Port("dns", 53)})},
       "ClusterSetIP",
       {Port("dns", 53, "UDP")},
       "m1",
       {{"m1", "NoConflicts"}, {"m2", "PortConflict"}},
       {{"m2", "53/TCP here but 53/UDP"}}},
      {"tie on creation: the cluster name decides",
       {Exported("b", 0, {Port("http", 81)}), Exported("a", 0, {Port("http", 80)})},
       "ClusterSetIP",
       {Port("http", 80)},
       "a",
       {{"a", "NoConflicts"}, {"b", "PortConflict"}},
       {}},
      {"type conflict: oldest headless wins",
       {Exported("m1", 0, {Port("http", 80)}, /*headless=*/true),
        Exported("m2", 1, {Port("http", 80)}, /*headless=*/false)},
       "Headless",
       {Port("http", 80)},
       "m1",
       {{"m1", "NoConflicts"}, {"m2", "TypeConflict"}},
       {{"m2", "type is ClusterSetIP here but Headless in cluster m1"}}},
      {"session affinity conflict",
       {Exported("m1", 0, {Port("http", 80)}),
        Exported("m2", 1, {Port("http", 80)}, false, "ClientIP")},
       "ClusterSetIP",
       {Port("http", 80)},
       "m1",
       {{"m1", "NoConflicts"}, {"m2", "SessionAffinityConflict"}},
       {{"m2", "sessionAffinity is ClientIP here but None"}}},
      {"several conflicts are joined with commas",
       {Exported("m1", 0, {Port("http", 80)}),
        Exported("m2", 1, {Port("http", 81)}, true, "ClientIP")},
       "ClusterSetIP",
       {Port("http", 80)},
       "m1",
       {{"m1", "NoConflicts"}, {"m2", "PortConflict,TypeConflict,SessionAffinityConflict"}},
       {}},
      {"another name on a protocol and number already exported",
       {Exported("m1", 0, {Port("http", 80)}),
        Exported("m2", 1, {Port("web", 80), Port("dns", 53, "UDP")})},
       "ClusterSetIP",
       {Port("http", 80), Port("dns", 53, "UDP")},
       "m1",
       {{"m1", "NoConflicts"}, {"m2", "PortConflict"}},
       {{"m2", "port \"web\" (80/TCP) has the number of port \"http\" in cluster m1"}}},
      {"the same number on another protocol is another port",
       {Exported("m1", 0, {Port("dns", 53)}), Exported("m2", 1, {Port("dns-udp", 53, "UDP")})},
       "ClusterSetIP",
       {Port("dns", 53), Port("dns-udp", 53, "UDP")},
       "m1",
       {{"m1", "NoConflicts"}, {"m2", "NoConflicts"}},
       {}},
      {"third export conflicts with the first, not the second",
       {Exported("m1", 0, {Port("http", 80)}), Exported("m2", 1, {Port("grpc", 90)}),
        Exported("m3", 2, {Port("grpc", 91), Port("http", 80)})},
       "ClusterSetIP",
       {Port("http", 80), Port("grpc", 90)},
       "m1",
       {{"m1", "NoConflicts"}, {"m2", "NoConflicts"}, {"m3", "PortConflict"}},
       {{"m3", "port \"grpc\" is 91/TCP here but 90/TCP in cluster m2"}}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    MergedService m = MergeExports(c.exports);
    EXPECT_EQ(m.type, c.want_type);
    EXPECT_EQ(m.ports, c.want_ports);
    EXPECT_EQ(m.oldest_cluster, c.want_oldest);
    ASSERT_EQ(m.conflicts.size(), c.want_reasons.size());
    for (const auto& [cluster, reason] : c.want_reasons) {
      const Condition& cond = m.conflicts.at(cluster);
      EXPECT_EQ(cond.type, "Conflict");
      EXPECT_EQ(cond.reason, reason) << cluster << ": " << cond.message;
      EXPECT_EQ(cond.status, reason == "NoConflicts" ? "False" : "True") << cluster;
    }
    for (const auto& [cluster, part] : c.want_message) {
      EXPECT_NE(m.conflicts.at(cluster).message.find(part), std::string::npos)
          << m.conflicts.at(cluster).message;
    }
    EXPECT_EQ(m.clusters.front(), c.want_oldest);
  }
}

TEST(MergeExportsTest, ExportedLabelsAndAnnotations) {
  ClusterExport a = Exported("m1", 0, {Port("http", 80)});
  a.exported_labels = {{"tier", "web"}, {"team", "a"}};
  a.exported_annotations = {{"note", "x"}};
  ClusterExport b = Exported("m2", 1, {Port("http", 80)});
  b.exported_labels = {{"tier", "frontend"}, {"zone", "eu"}};
  b.exported_annotations = {{"note", "x"}, {"owner", "b"}};
  MergedService m = MergeExports({b, a});
  EXPECT_EQ(m.labels,
            (std::map<std::string, std::string>{{"team", "a"}, {"tier", "web"}, {"zone", "eu"}}));
  EXPECT_EQ(m.annotations, (std::map<std::string, std::string>{{"note", "x"}, {"owner", "b"}}));
  EXPECT_EQ(m.conflicts["m1"].reason, "NoConflicts");
  EXPECT_EQ(m.conflicts["m2"].reason, "LabelsConflict");
  EXPECT_NE(m.conflicts["m2"].message.find(
                "exported label \"tier\" is \"frontend\" here but \"web\" in cluster m1"),
            std::string::npos)
      << m.conflicts["m2"].message;

  // Read from the ServiceExport's spec.
  rapidjson::Document se = Parse(R"({"metadata":{"name":"web","namespace":"demo"},
      "spec":{"exportedLabels":{"tier":"web"},"exportedAnnotations":{"note":"x"}}})");
  rapidjson::Document svc = Parse(R"({"metadata":{"name":"web"},"spec":{"ports":[]}})");
  ClusterExport out;
  ASSERT_EQ(ValidateExport("m1", se, &svc, &out).status, "True");
  EXPECT_EQ(out.exported_labels, (std::map<std::string, std::string>{{"tier", "web"}}));
  EXPECT_EQ(out.exported_annotations, (std::map<std::string, std::string>{{"note", "x"}}));
}

TEST(ImportSpecTest, ClusterSetIpAndHeadless) {
  MergedService m = MergeExports({Exported("m1", 0, {Port("http", 80)}, false, "ClientIP")});
  m.session_affinity_config = R"({"clientIP":{"timeoutSeconds":30}})";
  rapidjson::Document spec = ImportSpec(m, {"240.96.0.1"});
  EXPECT_EQ(json::Serialize(spec),
            R"({"ports":[{"name":"http","protocol":"TCP","port":80}],"type":"ClusterSetIP",)"
            R"("ips":["240.96.0.1"],"sessionAffinity":"ClientIP",)"
            R"("sessionAffinityConfig":{"clientIP":{"timeoutSeconds":30}}})");

  MergedService headless = MergeExports({Exported("m1", 0, {Port("", 80)}, true)});
  EXPECT_EQ(json::Serialize(ImportSpec(headless, {"240.96.0.1"})),
            R"({"ports":[{"protocol":"TCP","port":80}],"type":"Headless",)"
            R"("sessionAffinity":"None"})");
}

TEST(DeriveEndpointSliceTest, CopiesEndpointsAndLabelsTheSource) {
  rapidjson::Document source = Parse(R"({
    "apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice",
    "metadata":{"name":"web-abcde","namespace":"demo","resourceVersion":"7",
                "labels":{"kubernetes.io/service-name":"web",
                          "endpointslice.kubernetes.io/managed-by":"endpointslice-controller.k8s.io"}},
    "addressType":"IPv4",
    "endpoints":[{"addresses":["10.0.0.5"],"conditions":{"ready":true},"nodeName":"n1",
                  "targetRef":{"kind":"Pod","name":"web-1"},"zone":"z1"}],
    "ports":[{"name":"http","port":8080,"protocol":"TCP"}]})");
  rapidjson::Document d = DeriveEndpointSlice("demo", "web", "uid-1", source);
  EXPECT_EQ(kube::Name(d), DerivedSliceName("web", "uid-1", "web-abcde"));
  EXPECT_EQ(kube::Namespace(d), "demo");
  EXPECT_EQ(json::Serialize(*json::FindPath(d, {"metadata", "labels"})),
            R"({"multicluster.kubernetes.io/service-name":"web",)"
            R"("multicluster.kubernetes.io/source-cluster":"uid-1",)"
            R"("endpointslice.kubernetes.io/managed-by":"mcs-controller.kfed.io",)"
            R"("app.kubernetes.io/managed-by":"kfed"})");
  EXPECT_EQ(json::Serialize(*json::Find(d, "endpoints")),
            R"([{"addresses":["10.0.0.5"],"conditions":{"ready":true},"zone":"z1"}])");
  EXPECT_EQ(json::Serialize(*json::Find(d, "ports")),
            R"([{"name":"http","port":8080,"protocol":"TCP"}])");
  EXPECT_TRUE(SliceUpToDate(d, d));
  EXPECT_EQ(json::FindPath(d, {"metadata", "ownerReferences"}), nullptr);

  // Owned by the importing cluster's ServiceImport; another owner uid is out of date.
  rapidjson::Document owned = DeriveEndpointSlice("demo", "web", "uid-1", source, "import-uid");
  EXPECT_EQ(json::Serialize(*json::FindPath(owned, {"metadata", "ownerReferences"})),
            R"([{"apiVersion":"multicluster.x-k8s.io/v1alpha1","kind":"ServiceImport",)"
            R"("name":"web","uid":"import-uid","controller":false}])");
  EXPECT_FALSE(SliceUpToDate(d, owned));
  EXPECT_FALSE(SliceUpToDate(owned, DeriveEndpointSlice("demo", "web", "uid-1", source, "other")));
  EXPECT_TRUE(SliceUpToDate(owned, owned));

  // The same slice with another endpoint is out of date; an empty slice stays valid JSON.
  rapidjson::Document changed = json::Clone(d);
  (*json::FindMutable(changed, "endpoints"))[0]["addresses"][0].SetString("10.0.0.6");
  EXPECT_FALSE(SliceUpToDate(changed, d));
  rapidjson::Document empty = DeriveEndpointSlice(
      "demo", "web", "uid-1", Parse(R"({"metadata":{"name":"web-x"},"addressType":"IPv4"})"));
  EXPECT_EQ(json::Serialize(*json::Find(empty, "endpoints")), "[]");
}

TEST(DerivedSliceNameTest, StableDistinctAndShort) {
  EXPECT_EQ(DerivedSliceName("web", "uid-1", "web-abc"),
            DerivedSliceName("web", "uid-1", "web-abc"));
  EXPECT_NE(DerivedSliceName("web", "uid-1", "web-abc"),
            DerivedSliceName("web", "uid-2", "web-abc"));
  EXPECT_NE(DerivedSliceName("web", "uid-1", "web-abc"),
            DerivedSliceName("web", "uid-1", "web-abd"));
  std::string long_name(63, 'a');
  long_name[49] = '-';
  std::string n = DerivedSliceName(long_name, "uid", "s");
  EXPECT_LE(n.size(), 63u);
  EXPECT_EQ(n.find("--"), std::string::npos) << n;
}

TEST(ClusterSetIpAllocatorTest, RejectsBadRanges) {
  for (const char* bad :
       {"", "10.0.0.0", "10.0.0.0/33", "10.0.0.1/24", "300.0.0.0/8", "fd00::/64", "10.0.0/24"}) {
    SCOPED_TRACE(bad);
    auto a = ClusterSetIpAllocator::Create(bad);
    EXPECT_EQ(a.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(ClusterSetIpAllocatorTest, NoDuplicatesStableAndReusesReleased) {
  auto a = ClusterSetIpAllocator::Create("240.96.0.0/16");
  ASSERT_TRUE(a.ok()) << a.status();
  std::set<std::string> seen;
  for (int i = 0; i < 300; ++i) {
    auto ip = (*a)->Allocate(absl::StrCat("ns/svc", i));
    ASSERT_TRUE(ip.ok()) << ip.status();
    EXPECT_TRUE(seen.insert(*ip).second) << "duplicate " << *ip;
  }
  EXPECT_EQ(*(*a)->Allocate("ns/svc0"), "240.96.0.1");  // the network address is skipped
  EXPECT_EQ(*(*a)->Allocate("ns/svc7"), "240.96.0.8");  // same key, same address
  (*a)->Release("ns/svc7");
  EXPECT_EQ((*a)->Get("ns/svc7"), "");
  EXPECT_EQ(*(*a)->Allocate("ns/new"), "240.96.0.8");  // the lowest free one
}

TEST(ClusterSetIpAllocatorTest, RecoversAllocationsAfterARestart) {
  auto before = ClusterSetIpAllocator::Create("240.96.0.0/24");
  ASSERT_TRUE(before.ok());
  std::map<std::string, std::string> written;
  for (const char* key : {"a/x", "b/y", "c/z"}) written[key] = *(*before)->Allocate(key);
  (*before)->Release("b/y");

  // A new process reads back what the ServiceImports carry, then allocates for a new key.
  auto after = ClusterSetIpAllocator::Create("240.96.0.0/24");
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE((*after)->Recover("c/z", written["c/z"]).ok());
  EXPECT_TRUE((*after)->Recover("a/x", written["a/x"]).ok());
  EXPECT_TRUE((*after)->Recover("a/x", written["a/x"]).ok());  // idempotent
  EXPECT_EQ((*after)->Allocate("a/x").value(), written["a/x"]);
  EXPECT_EQ((*after)->Allocate("c/z").value(), written["c/z"]);
  std::string fresh = (*after)->Allocate("d/w").value();
  EXPECT_NE(fresh, written["a/x"]);
  EXPECT_NE(fresh, written["c/z"]);

  // Another key claiming a held address, a key claiming a second one, an address outside.
  EXPECT_EQ((*after)->Recover("e/v", written["a/x"]).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ((*after)->Recover("a/x", "240.96.0.200").code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ((*after)->Recover("f/u", "10.0.0.1").code(), absl::StatusCode::kInvalidArgument);
}

TEST(ClusterSetIpAllocatorTest, ExhaustionIsAClearError) {
  auto a = ClusterSetIpAllocator::Create("240.96.0.0/30");  // two usable addresses
  ASSERT_TRUE(a.ok());
  EXPECT_EQ((*a)->Capacity(), 2u);
  EXPECT_EQ(*(*a)->Allocate("n/a"), "240.96.0.1");
  EXPECT_EQ(*(*a)->Allocate("n/b"), "240.96.0.2");
  auto full = (*a)->Allocate("n/c");
  EXPECT_EQ(full.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(full.status().message().find("ClusterSetIP range 240.96.0.0/30 is exhausted"),
            std::string::npos)
      << full.status();
  (*a)->Release("n/a");
  EXPECT_EQ(*(*a)->Allocate("n/c"), "240.96.0.1");

  auto single = ClusterSetIpAllocator::Create("240.96.0.7/32");
  ASSERT_TRUE(single.ok());
  EXPECT_EQ(*(*single)->Allocate("n/a"), "240.96.0.7");
  EXPECT_FALSE((*single)->Allocate("n/b").ok());
}

}  // namespace
}  // namespace kfed::controller::mcs
