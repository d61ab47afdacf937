// kfed-controller-manager: the federation controller manager. Flags follow KubeFed's
// controller manager where they exist.
#include <pthread.h>
#include <signal.h>

#include <iostream>
#include <thread>

#include "CLI/CLI.hpp"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/cancellation.h"
#include "base/logging.h"
#include "controller/clusterset_controller.h"
#include "controller/manager.h"
#include "controller/mcs_plan.h"
#include "controller/memory_trimmer.h"
#include "kube/client.h"
#include "kube/config.h"
#include "kube/transport.h"

int main(int argc, char** argv) {
  // SIGTERM and SIGINT are taken by one thread with sigwait() (below), not by a handler:
  // stopping runs the shutdown (controllers, then the Lease), which no handler may do. Blocked
  // here, before any thread starts, so every thread inherits the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  // Before any thread starts: at most 4 malloc arenas (glibc's default is 8 per core), so
  // memory freed after a burst is not stranded in a dozen arenas (docs/benchmarks.md).
  kfed::controller::LimitMallocArenas(4);
  // Debian builds Abseil without NDEBUG, so every Mutex::Lock also maintained a process-wide
  // lock-order graph (GraphCycles, ~2% of the controller's CPU in a cold start profile). The
  // unit and sanitizer tests keep the check; the shipped binary does not pay for it.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  CLI::App app{
      "kfed-controller-manager: propagates Federated<Kind> resources from a host cluster to "
      "member clusters (KubeFed v0.10 compatible).\n\nExample:\n  kfed-controller-manager "
      "--kubeconfig ~/.kube/config --context host --kubefed-namespace kube-federation-system"};
  std::string kubeconfig, context, master;
  kfed::controller::ManagerOptions options;
  double qps = 100;
  int burst = 200;
  int verbosity = 0;
  bool version = false;
  app.add_option("--kubeconfig", kubeconfig,
                 "Path to a kubeconfig for the host cluster (default: $KUBECONFIG, "
                 "~/.kube/config, or in-cluster config)");
  app.add_option("--context", context,
                 "The kubeconfig context of the host cluster (default: current-context)");
  app.add_option("--master", master,
                 "The host API server address; overrides the kubeconfig's server");
  app.add_option("--kubefed-namespace", options.kubefed_namespace,
                 "The namespace kfed runs in and reads "
                 "KubeFedClusters, FederatedTypeConfigs and "
                 "KubeFedConfig from (in a Pod without this flag: the ServiceAccount's namespace)")
      ->capture_default_str();
  app.add_option("--healthz-addr", options.healthz_addr, "Address to serve /healthz and /readyz on")
      ->capture_default_str();
  app.add_option("--metrics-addr", options.metrics_addr, "Address to serve Prometheus /metrics on")
      ->capture_default_str();
  app.add_option("--status-addr", options.status_addr,
                 "Address to serve the gRPC status API on (kfed.status.v1.FederationStatus, "
                 "health, reflection); \"\" disables it")
      ->capture_default_str();
  app.add_option("--tls-cert-file,--status-tls-cert-file", options.tls_cert_file,
                 "PEM certificate chain for HTTPS on --metrics-addr (/metrics, the dashboard and "
                 "its API) and TLS on --status-addr (with --tls-key-file); default: a "
                 "self-signed certificate made at start");
  app.add_option("--tls-key-file,--status-tls-key-file", options.tls_key_file,
                 "PEM private key of --tls-cert-file");
  app.add_option("--cert-dir", options.cert_dir,
                 "Without --tls-cert-file: write the self-signed certificate here (tls.crt, "
                 "tls.key, ca.crt) so that clients can trust ca.crt");
  app.add_flag("--insecure-local", options.insecure_local,
               "Serve --metrics-addr and --status-addr without TLS, on loopback only (\":PORT\" "
               "becomes 127.0.0.1:PORT; other hosts are an error). Bearer tokens and the host's "
               "RBAC are still required. For a local machine (hack/up.sh), never for a cluster");
  app.add_option("--rest-config-qps", qps, "Requests per second to the host API server")
      ->capture_default_str();
  app.add_option("--rest-config-burst", burst, "Burst of requests to the host API server")
      ->capture_default_str();
  app.add_option("--member-qps", options.member_qps,
                 "Requests per second to each member API server")
      ->capture_default_str();
  app.add_option("--member-burst", options.member_burst,
                 "Burst of requests to each member API server")
      ->capture_default_str();
  std::string member_request_timeout = "30s";
  app.add_option("--member-request-timeout", member_request_timeout,
                 "How long one request to a member API server may take (Go duration, e.g. "
                 "\"30s\": KubeFed's dispatch timeout). A member write without an answer by then "
                 "is reported as CreationTimedOut, UpdateTimedOut, DeletionTimedOut or "
                 "LabelRemovalTimedOut and retried with backoff")
      ->capture_default_str()
      ->check([](const std::string& text) {
        absl::Duration d;
        if (!absl::ParseDuration(text, &d) || d <= absl::ZeroDuration() ||
            d == absl::InfiniteDuration()) {
          return std::string("must be a positive duration such as 30s or 1m");
        }
        return std::string();
      });
  app.add_option("--event-qps", options.event_qps,
                 "Events written per second to the host (their own client and limiter; events "
                 "about one object that wait are merged into one naming every cluster)")
      ->capture_default_str();
  app.add_option("--event-burst", options.event_burst, "Burst of Event writes to the host")
      ->capture_default_str();
  app.add_option("--kubefed-config", options.kubefed_config_file,
                 "Path to a KubeFedConfig YAML file to use instead of KubeFedConfig `kubefed` in "
                 "the host (KubeFed's flag, for tests)")
      ->check(CLI::ExistingFile);
  app.add_option("--kubefed-config-checksum", options.kubefed_config_checksum,
                 "Wait at start until KubeFedConfig `kubefed` has this value in its annotation "
                 "kfed.io/chart-checksum (the Helm chart sets both)");
  app.add_option("--clusterset-name", options.clusterset_name,
                 "The ClusterSet (KEP-2149) this federation forms: the value of the "
                 "clusterset.k8s.io ClusterProperty kept in every member")
      ->capture_default_str()
      ->check([](const std::string& name) {
        absl::Status valid = kfed::controller::ClusterSetController::ValidateName(name);
        return valid.ok() ? std::string() : std::string(valid.message());
      });
  app.add_option("--clusterset-ip-range", options.clusterset_ip_range,
                 "IPv4 CIDR from which Multi-Cluster Services' ClusterSetIPs (ServiceImport "
                 "spec.ips) are allocated; the default lies in the reserved 240.0.0.0/4, which "
                 "no Service CIDR uses")
      ->capture_default_str()
      ->check([](const std::string& cidr) {
        auto allocator = kfed::controller::mcs::ClusterSetIpAllocator::Create(cidr);
        return allocator.ok() ? std::string() : std::string(allocator.status().message());
      });
  app.add_option("--cluster-workers", options.cluster_workers,
                 "Workers per member cluster and federated type")
      ->capture_default_str();
  app.add_option("--host-workers", options.host_workers,
                 "Host reconcile workers per federated type (0: from KubeFedConfig, at least 4)")
      ->capture_default_str();
  app.add_flag("--leader-elect,!--no-leader-elect", options.leader_elect,
               "Campaign for the kubefed-controller-manager Lease so that several replicas can run")
      ->capture_default_str();
  app.add_option("--leader-election-identity", options.identity,
                 "Identity in the Lease (default: hostname_<random UUID>, as KubeFed)");
  app.add_option("-v,--v", verbosity,
                 "Log verbosity (klog levels: 0 quiet .. 4 per-object detail)");
  app.add_flag("--version", version, "Print the version and exit");
  CLI11_PARSE(app, argc, argv);
  if (version) {
    std::cout << "kfed-controller-manager " << kfed::kube::kKfedVersion << std::endl;
    return 0;
  }
  kfed::InitLogging(argv[0], verbosity);
  (void)absl::ParseDuration(member_request_timeout, &options.member_request_timeout);

  absl::StatusOr<kfed::kube::RestConfig> config;
  const bool in_cluster = kubeconfig.empty() && std::getenv("KUBECONFIG") == nullptr &&
                          std::getenv("KUBERNETES_SERVICE_HOST") != nullptr;
  if (in_cluster) {
    config = kfed::kube::InClusterConfig();
  } else {
    kfed::kube::KubeconfigOptions ko;
    if (!kubeconfig.empty()) ko.paths = {kubeconfig};
    ko.context = context;
    config = kfed::kube::LoadKubeconfig(ko);
  }
  if (!config.ok()) {
    std::cerr << "error: host cluster configuration: " << config.status().message() << std::endl;
    return 2;
  }
  // In a Pod, as KubeFed: without --kubefed-namespace, the namespace of the ServiceAccount
  // (the mounted namespace file), so a chart installed into any namespace just works.
  if (in_cluster && app.count("--kubefed-namespace") == 0 && !config->default_namespace.empty()) {
    options.kubefed_namespace = config->default_namespace;
  }
  if (!master.empty()) config->server = master;
  // The host clients, each with its own request budget: the controllers' (KubeFed's
  // --rest-config-qps/burst), Events', and the status readers' TokenReviews and
  // SubjectAccessReviews (short timeout: a reader waits for the answer).
  std::unique_ptr<kfed::kube::RestClient> host, event_client, review_client;
  for (auto [client, what, client_qps, client_burst, timeout] :
       {std::make_tuple(&host, "", qps, burst, config->timeout),
        std::make_tuple(&event_client, " for events", options.event_qps, options.event_burst,
                        config->timeout),
        std::make_tuple(&review_client, " for access reviews", 20.0, 50, absl::Seconds(10))}) {
    kfed::kube::RestConfig c = *config;
    c.qps = client_qps;
    c.burst = client_burst;
    c.timeout = timeout;
    absl::StatusOr<std::unique_ptr<kfed::kube::RestClient>> made =
        kfed::kube::RestClient::Create(c);
    if (!made.ok()) {
      std::cerr << "error: host client" << what << ": " << made.status().message() << std::endl;
      return 2;
    }
    *client = std::move(*made);
  }

  LOG(INFO) << "kfed-controller-manager " << kfed::kube::kKfedVersion << " starting against "
            << config->server;
  kfed::controller::Manager manager(std::move(host), options, std::move(event_client),
                                    std::move(review_client));
  kfed::CancellationToken stop;
  // Waits for SIGTERM or SIGINT and stops the manager (Cancel() runs its shutdown on this
  // thread). Once Run() returned without a signal, main sends one to end it.
  std::thread signals([&stop, &stop_signals] {
    int signal = 0;
    sigwait(&stop_signals, &signal);
    if (!stop.IsCancelled()) {
      LOG(INFO) << "received " << (signal == SIGINT ? "SIGINT" : "SIGTERM") << ": shutting down";
    }
    stop.Cancel();
  });
  absl::Status result = manager.Run(stop);
  if (!stop.IsCancelled()) {
    stop.Cancel();
    pthread_kill(signals.native_handle(), SIGTERM);
  }
  signals.join();
  if (!result.ok()) {
    LOG(ERROR) << result;
    std::cerr << "error: " << result.message() << std::endl;
    return 1;
  }
  LOG(INFO) << "shut down cleanly";
  return 0;
}
