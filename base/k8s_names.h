// Kubernetes name syntax checks (k8s.io/apimachinery/pkg/util/validation), shared by the
// label-selector and federated-type parsers. Each returns "" when valid, else Kubernetes'
// message.
#ifndef KFED_BASE_K8S_NAMES_H_
#define KFED_BASE_K8S_NAMES_H_

#include <string>

#include "absl/strings/string_view.h"

namespace kfed::k8s {

// RFC 1123 subdomain: lowercase alphanumerics, '-' and '.', at most 253 characters, each
// dot-separated part starting and ending with an alphanumeric.
std::string CheckDns1123Subdomain(absl::string_view value);
// RFC 1035 label: at most 63 characters of [a-z0-9-], starting with a letter and ending with an
// alphanumeric.
std::string CheckDns1035Label(absl::string_view value);
// Label key (qualified name): optional DNS-subdomain prefix and '/', then a name of at most
// 63 characters: alphanumerics, '-', '_', '.', starting and ending with an alphanumeric.
std::string CheckQualifiedName(absl::string_view value);
// Label value: empty, or at most 63 characters with the same rule as a name part.
std::string CheckLabelValue(absl::string_view value);

}  // namespace kfed::k8s

#endif  // KFED_BASE_K8S_NAMES_H_
