// Throwaway certificates for tests, generated in memory with OpenSSL (EC P-256).
#ifndef KFED_KUBE_TEST_PKI_H_
#define KFED_KUBE_TEST_PKI_H_

#include <string>
#include <vector>

#include "absl/time/time.h"

namespace kfed::kube::testing {

struct KeyPair {
  std::string cert_pem;
  std::string key_pem;
};

// A self-signed CA.
KeyPair MakeCa(const std::string& common_name);

// A certificate signed by `ca`, valid from now+not_before to now+not_after, with DNS and IP
// subject alternative names (e.g. {"DNS:localhost", "IP:127.0.0.1"}).
KeyPair MakeLeaf(const KeyPair& ca, const std::string& common_name,
                 const std::vector<std::string>& sans, bool client,
                 absl::Duration not_before = absl::Hours(-1),
                 absl::Duration not_after = absl::Hours(24));

}  // namespace kfed::kube::testing

#endif  // KFED_KUBE_TEST_PKI_H_
