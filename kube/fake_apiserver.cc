#include "kube/fake_apiserver.h"

#include <openssl/pem.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/clock.h"
#include "glog/logging.h"

namespace kfed::kube::testing {

FakeApiServer::FakeApiServer(const KeyPair* cert) : tls_(cert != nullptr) {
  if (cert == nullptr) {
    server_ = std::make_unique<httplib::Server>();
    return;
  }
  BIO* bio = BIO_new_mem_buf(cert->cert_pem.data(), static_cast<int>(cert->cert_pem.size()));
  X509* x509 = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  bio = BIO_new_mem_buf(cert->key_pem.data(), static_cast<int>(cert->key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  CHECK(x509 != nullptr && key != nullptr);
  server_ = std::make_unique<httplib::SSLServer>(x509, key);
  X509_free(x509);
  EVP_PKEY_free(key);
}

FakeApiServer::~FakeApiServer() { Stop(); }

void FakeApiServer::Start() {
  port_ = server_->bind_to_any_port("127.0.0.1");
  CHECK_GT(port_, 0);
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  while (!server_->is_running()) absl::SleepFor(absl::Milliseconds(1));
}

void FakeApiServer::Stop() {
  if (thread_.joinable()) {
    server_->stop();
    thread_.join();
  }
}

std::string FakeApiServer::url() const {
  return absl::StrCat(tls_ ? "https" : "http", "://127.0.0.1:", port_);
}

RestConfig FakeApiServer::Config(const std::string& ca_pem) const {
  RestConfig c;
  c.server = url();
  c.ca_data = ca_pem;
  c.qps = 0;
  c.timeout = absl::Seconds(10);
  c.source = "fake apiserver";
  return c;
}

ClockDriver::ClockDriver(FakeClock& clock, absl::Duration step)
    : thread_([this, &clock, step] {
        while (!done_.load()) {
          if (clock.Sleepers() > 0) {
            clock.Advance(step);
          } else {
            absl::SleepFor(absl::Microseconds(200));
          }
        }
      }) {}

ClockDriver::~ClockDriver() {
  done_.store(true);
  thread_.join();
}

}  // namespace kfed::kube::testing
