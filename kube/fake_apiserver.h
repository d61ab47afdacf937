// An in-process HTTP(S) server (cpp-httplib) on a free loopback port, for fault tests of
// the transport, client, watch and informer.
#ifndef KFED_KUBE_FAKE_APISERVER_H_
#define KFED_KUBE_FAKE_APISERVER_H_

#include <httplib.h>

#include <memory>
#include <string>
#include <atomic>
#include <thread>

#include "base/clock.h"
#include "kube/config.h"
#include "kube/test_pki.h"

namespace kfed::kube::testing {

class FakeApiServer {
 public:
  // Plain HTTP when `cert` is null, else HTTPS with that certificate.
  explicit FakeApiServer(const KeyPair* cert = nullptr);
  ~FakeApiServer();

  // Register handlers before Start().
  httplib::Server& http() { return *server_; }
  void Start();
  void Stop();
  std::string url() const;
  int port() const { return port_; }
  // A RestConfig pointing here: no limiter, short timeouts, given CA.
  RestConfig Config(const std::string& ca_pem = "") const;

 private:
  std::unique_ptr<httplib::Server> server_;
  bool tls_;
  int port_ = 0;
  std::thread thread_;
};

// Advances a FakeClock whenever some thread sleeps on it, until destroyed: lets code with
// retries and backoff run to completion in tests without real waiting.
class ClockDriver {
 public:
  ClockDriver(::kfed::FakeClock& clock, absl::Duration step);
  ~ClockDriver();

 private:
  std::atomic<bool> done_{false};
  std::thread thread_;
};

}  // namespace kfed::kube::testing

#endif  // KFED_KUBE_FAKE_APISERVER_H_
