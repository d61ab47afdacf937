// Throwaway certificates for tests, generated in memory (kube/pki.h).
#ifndef KFED_KUBE_TEST_PKI_H_
#define KFED_KUBE_TEST_PKI_H_

#include "kube/pki.h"

namespace kfed::kube::testing {

using ::kfed::kube::KeyPair;
using ::kfed::kube::MakeCa;
using ::kfed::kube::MakeLeaf;

}  // namespace kfed::kube::testing

#endif  // KFED_KUBE_TEST_PKI_H_
