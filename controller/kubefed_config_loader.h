// Where kfed-controller-manager's settings come from: KubeFedConfig `kubefed` in the KubeFed
// namespace of the host (created with KubeFed's defaults when absent), or a YAML file
// (KubeFed's --kubefed-config). Plain functions on a borrowed host client: no threads of their
// own, no state; Manager::Run calls them on its thread before it campaigns for leadership.
// Errors name the KubeFedConfig (namespace/name or the file) and what to do.
#ifndef KFED_CONTROLLER_KUBEFED_CONFIG_LOADER_H_
#define KFED_CONTROLLER_KUBEFED_CONFIG_LOADER_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/cancellation.h"
#include "base/clock.h"
#include "federated_types/kubefed_config.h"
#include "kube/client.h"

namespace kfed::controller {

// The annotation the chart puts on KubeFedConfig `kubefed`: a checksum of its spec as rendered.
inline constexpr char kKubeFedConfigChecksumAnnotation[] = "kfed.io/chart-checksum";
// Long enough for a Helm upgrade to apply the rest of its objects on a loaded apiserver; a Pod
// that gives up exits with an error and its restart looks again.
inline constexpr absl::Duration kKubeFedConfigChecksumWait = absl::Minutes(2);

// `config_file` non-empty: parses that file (nothing is written to the host). Else reads
// KubeFedConfig `kubefed` in `kubefed_namespace`, creating it with KubeFed's defaults when it
// does not exist. kInvalidArgument for an unreadable file or an invalid KubeFedConfig; a read
// error keeps its code and says to install kfed's CRDs.
absl::StatusOr<federated_types::KubeFedConfig> LoadKubeFedConfig(
    kube::Client& host, const std::string& kubefed_namespace, const std::string& config_file);

// The chart's --kubefed-config-checksum: polls (every second on `clock`) until KubeFedConfig
// `kubefed` carries `checksum` in kKubeFedConfigChecksumAnnotation. OK at once for an empty
// `checksum`. kDeadlineExceeded after kKubeFedConfigChecksumWait; kCancelled when `stop` is
// cancelled first.
absl::Status AwaitKubeFedConfigChecksum(kube::Client& host, const std::string& kubefed_namespace,
                                        const std::string& checksum, const CancellationToken& stop,
                                        Clock& clock = Clock::Real());

}  // namespace kfed::controller

#endif  // KFED_CONTROLLER_KUBEFED_CONFIG_LOADER_H_
