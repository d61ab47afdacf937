// Proves the gRPC/protobuf wiring: generated code from status.proto, a server on a
// loopback port and a client call through it.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <memory>

#include "status/status.grpc.pb.h"

namespace kfed::status {
namespace {

class VersionService final : public v1::FederationStatus::Service {
  grpc::Status GetVersion(grpc::ServerContext*, const v1::GetVersionRequest*,
                          v1::GetVersionResponse* response) override {
    response->set_version("0.1.0-test");
    return grpc::Status::OK;
  }
};

TEST(GrpcRoundTripTest, ClientCallsServerOnLoopback) {
  VersionService service;
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  ASSERT_GT(port, 0);

  auto channel =
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials());
  auto stub = v1::FederationStatus::NewStub(channel);
  grpc::ClientContext context;
  v1::GetVersionResponse response;
  grpc::Status status = stub->GetVersion(&context, v1::GetVersionRequest(), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.version(), "0.1.0-test");
  server->Shutdown();
}

}  // namespace
}  // namespace kfed::status
