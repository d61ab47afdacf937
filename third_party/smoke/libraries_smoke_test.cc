// One test per wrapped library: RapidJSON parses and writes, yaml-cpp parses, libcurl
// fetches from an in-process cpp-httplib server on loopback, CLI11 parses flags.
#include <curl/curl.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <yaml-cpp/yaml.h>

#include <string>
#include <thread>

#include "CLI/CLI.hpp"
#include "rapidjson/document.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace {

TEST(LibrariesSmokeTest, RapidJsonRoundTrip) {
  rapidjson::Document doc;
  doc.Parse(R"({"kind":"ConfigMap","data":{"a":"1"}})");
  ASSERT_FALSE(doc.HasParseError());
  EXPECT_EQ(std::string(doc["kind"].GetString()), "ConfigMap");
  doc["data"].AddMember("b", "2", doc.GetAllocator());
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buf);
  doc.Accept(writer);
  EXPECT_EQ(std::string(buf.GetString()), R"({"kind":"ConfigMap","data":{"a":"1","b":"2"}})");
}

TEST(LibrariesSmokeTest, YamlCppParses) {
  YAML::Node node = YAML::Load("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: demo\n");
  EXPECT_EQ(node["metadata"]["name"].as<std::string>(), "demo");
}

size_t Append(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

TEST(LibrariesSmokeTest, CurlTalksToLoopbackServer) {
  httplib::Server server;
  server.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok", "text/plain");
  });
  int port = server.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread serving([&] { server.listen_after_bind(); });
  while (!server.is_running()) std::this_thread::yield();

  CURL* curl = curl_easy_init();
  ASSERT_NE(curl, nullptr);
  std::string body;
  std::string url = "http://127.0.0.1:" + std::to_string(port) + "/healthz";
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Append);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  CURLcode rc = curl_easy_perform(curl);
  long code = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
  curl_easy_cleanup(curl);
  server.stop();
  serving.join();

  ASSERT_EQ(rc, CURLE_OK) << curl_easy_strerror(rc);
  EXPECT_EQ(code, 200);
  EXPECT_EQ(body, "ok");
}

TEST(LibrariesSmokeTest, Cli11ParsesFlags) {
  CLI::App app{"test"};
  std::string ns = "kube-federation-system";
  int v = 0;
  app.add_option("--kubefed-namespace", ns);
  app.add_option("-v", v);
  const char* argv[] = {"test", "--kubefed-namespace", "fed", "-v", "4"};
  app.parse(5, argv);
  EXPECT_EQ(ns, "fed");
  EXPECT_EQ(v, 4);
}

TEST(LibrariesSmokeTest, CurlSupportsHttp2AndTls) {
  curl_version_info_data* info = curl_version_info(CURLVERSION_NOW);
  EXPECT_TRUE(info->features & CURL_VERSION_SSL);
  EXPECT_TRUE(info->features & CURL_VERSION_HTTP2);
}

}  // namespace
