#include "kube/pki.h"

#include <unistd.h>

#include <atomic>

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "glog/logging.h"

namespace kfed::kube {
namespace {

EVP_PKEY* NewKey() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  CHECK(key != nullptr);
  return key;
}

std::string CertPem(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, n);
  BIO_free(bio);
  return out;
}

std::string KeyPem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, n);
  BIO_free(bio);
  return out;
}

void AddExt(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  CHECK(ext != nullptr) << value;
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

X509* NewCert(const std::string& cn, EVP_PKEY* key, absl::Duration nb, absl::Duration na) {
  static std::atomic<long> serial{1};
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), serial++ + time(nullptr) % 100000 * 1000);
  X509_gmtime_adj(X509_getm_notBefore(cert), absl::ToInt64Seconds(nb));
  X509_gmtime_adj(X509_getm_notAfter(cert), absl::ToInt64Seconds(na));
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  return cert;
}

}  // namespace

KeyPair MakeCa(const std::string& common_name) {
  EVP_PKEY* key = NewKey();
  X509* cert = NewCert(common_name, key, absl::Hours(-1), absl::Hours(24 * 365));
  X509_set_issuer_name(cert, X509_get_subject_name(cert));
  AddExt(cert, cert, NID_basic_constraints, "critical,CA:TRUE");
  AddExt(cert, cert, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature");
  AddExt(cert, cert, NID_subject_key_identifier, "hash");
  CHECK(X509_sign(cert, key, EVP_sha256()) > 0);
  KeyPair out{CertPem(cert), KeyPem(key)};
  X509_free(cert);
  EVP_PKEY_free(key);
  return out;
}

KeyPair MakeLeaf(const KeyPair& ca, const std::string& common_name,
                 const std::vector<std::string>& sans, bool client, absl::Duration not_before,
                 absl::Duration not_after) {
  BIO* bio = BIO_new_mem_buf(ca.cert_pem.data(), static_cast<int>(ca.cert_pem.size()));
  X509* ca_cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  bio = BIO_new_mem_buf(ca.key_pem.data(), static_cast<int>(ca.key_pem.size()));
  EVP_PKEY* ca_key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  CHECK(ca_cert != nullptr && ca_key != nullptr);

  EVP_PKEY* key = NewKey();
  X509* cert = NewCert(common_name, key, not_before, not_after);
  X509_set_issuer_name(cert, X509_get_subject_name(ca_cert));
  AddExt(cert, ca_cert, NID_basic_constraints, "critical,CA:FALSE");
  AddExt(cert, ca_cert, NID_key_usage, "critical,digitalSignature,keyEncipherment");
  AddExt(cert, ca_cert, NID_ext_key_usage, client ? "clientAuth" : "serverAuth");
  if (!sans.empty()) AddExt(cert, ca_cert, NID_subject_alt_name, absl::StrJoin(sans, ","));
  CHECK(X509_sign(cert, ca_key, EVP_sha256()) > 0);
  KeyPair out{CertPem(cert), KeyPem(key)};
  X509_free(cert);
  EVP_PKEY_free(key);
  X509_free(ca_cert);
  EVP_PKEY_free(ca_key);
  return out;
}

ServingCertificate MakeServingCertificate(const std::string& common_name,
                                          std::vector<std::string> sans) {
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) == 0 && host[0] != '\0') {
    sans.push_back(absl::StrCat("DNS:", host));
  }
  for (const char* san : {"DNS:localhost", "IP:127.0.0.1", "IP:::1"}) sans.push_back(san);
  const KeyPair ca =
      MakeCa(absl::StrCat(common_name, "-ca@", absl::ToUnixSeconds(absl::Now())));
  const KeyPair leaf = MakeLeaf(ca, common_name, sans, /*client=*/false, absl::Hours(-1),
                                absl::Hours(24 * 365));
  return ServingCertificate{leaf.cert_pem + ca.cert_pem, leaf.key_pem, ca.cert_pem};
}

}  // namespace kfed::kube
