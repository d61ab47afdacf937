// Certificates generated in memory with OpenSSL (EC P-256): the self-signed serving
// certificate the controller manager uses when it is given none (as controller-runtime's
// secure serving does), and throwaway CAs and leaves for tests (kube/test_pki.h).
#ifndef KFED_KUBE_PKI_H_
#define KFED_KUBE_PKI_H_

#include <string>
#include <vector>

#include "absl/time/time.h"

namespace kfed::kube {

struct KeyPair {
  std::string cert_pem;
  std::string key_pem;
};

// A self-signed CA, valid for a year.
KeyPair MakeCa(const std::string& common_name);

// A certificate signed by `ca`, valid from now+not_before to now+not_after, with DNS and IP
// subject alternative names (e.g. {"DNS:localhost", "IP:127.0.0.1"}).
KeyPair MakeLeaf(const KeyPair& ca, const std::string& common_name,
                 const std::vector<std::string>& sans, bool client,
                 absl::Duration not_before = absl::Hours(-1),
                 absl::Duration not_after = absl::Hours(24));

struct ServingCertificate {
  std::string cert_chain_pem;  // the server certificate, then its CA
  std::string key_pem;
  std::string ca_pem;  // what a client trusts (e.g. curl --cacert, kfedctl --status-ca-file)
};

// A server certificate for `common_name`, valid for a year, signed by a CA made for it alone
// (whose key is thrown away), for `sans` plus this machine's host name, localhost, 127.0.0.1
// and ::1.
ServingCertificate MakeServingCertificate(const std::string& common_name,
                                          std::vector<std::string> sans = {});

}  // namespace kfed::kube

#endif  // KFED_KUBE_PKI_H_
