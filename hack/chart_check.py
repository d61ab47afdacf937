#!/usr/bin/env python3
"""Checks a `helm template` rendering of charts/kfed (read from stdin) as hack/chart-check.sh
asks: every document parses and has apiVersion, kind and a name, namespaced objects are in the
release namespace, and what the chart promises holds for the given values (CASE): secure
serving, probes, RBAC equal to config/rbac/host/, the KubeFedConfig, the FederatedTypeConfigs
and their CRDs, the metrics Service, the ServiceMonitor.

Usage: hack/chart_check.py CASE NAMESPACE [--crds] < rendered.yaml
CASE: default | namespaced | certsecret | servicemonitor | replicas1 | crds (a file of CRDs only)
Prints nothing and exits 0 when every check holds; else one line per problem and exits 1.
"""
import os
import sys

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLUSTER_KINDS = {"ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "Namespace",
                 "MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding"}
FTC_NAMES = {
    "clusterroles.rbac.authorization.k8s.io", "configmaps", "deployments.apps",
    "ingresses.networking.k8s.io", "jobs.batch", "namespaces", "replicasets.apps", "secrets",
    "serviceaccounts", "services",
}
STATIC_CRDS = {
    "clusterpropagatedversions.core.kubefed.io", "federatedtypeconfigs.core.kubefed.io",
    "kubefedclusters.core.kubefed.io", "kubefedconfigs.core.kubefed.io",
    "propagatedversions.core.kubefed.io", "replicaschedulingpreferences.scheduling.kubefed.io",
    "federatedservicestatuses.core.kubefed.io",
}

problems = []


def expect(ok, what):
    if not ok:
        problems.append(what)
    return ok


def load(stream):
    docs = []
    for doc in yaml.safe_load_all(stream):
        if doc is None:
            continue
        docs.append(doc)
    return docs


def schema_problems(value, schema, path):
    """What in `value` the CRD's OpenAPI `schema` refuses: types, enums, required fields,
    unknown fields (pruned by the apiserver, so a misspelt value would be lost). CEL rules
    (x-kubernetes-validations) need an apiserver and are not evaluated here."""
    out = []
    if schema.get("x-kubernetes-preserve-unknown-fields") or schema.get("x-kubernetes-int-or-string"):
        return out
    t = schema.get("type")
    types = {"object": dict, "array": list, "string": str, "boolean": bool, "integer": int,
             "number": (int, float)}
    if t in types and (not isinstance(value, types[t]) or (t == "integer" and isinstance(value, bool))):
        return [f"{path}: {value!r} is not of type {t}"]
    if "enum" in schema and value not in schema["enum"]:
        out.append(f"{path}: {value!r} is not one of {schema['enum']}")
    if t == "object":
        props = schema.get("properties", {})
        for k in schema.get("required", []):
            if k not in value:
                out.append(f"{path}.{k}: required")
        for k, v in value.items():
            if k in props:
                out += schema_problems(v, props[k], f"{path}.{k}")
            elif "additionalProperties" in schema and isinstance(schema["additionalProperties"], dict):
                out += schema_problems(v, schema["additionalProperties"], f"{path}.{k}")
            elif props and not (path == "" and k in ("apiVersion", "kind", "metadata")):
                out.append(f"{path}.{k}: unknown field")
    if t == "array":
        for i, item in enumerate(value):
            out += schema_problems(item, schema.get("items", {}), f"{path}[{i}]")
    return out


def check_custom_resources(docs):
    """Each object whose kind a CRD in `docs` defines holds to that CRD's schema."""
    crds = {}
    for d in docs:
        if d.get("kind") == "CustomResourceDefinition":
            spec = d["spec"]
            for v in spec["versions"]:
                crds[(f"{spec['group']}/{v['name']}", spec["names"]["kind"])] = v["schema"]["openAPIV3Schema"]
    for d in docs:
        schema = crds.get((d.get("apiVersion"), d.get("kind")))
        if schema is not None:
            for p in schema_problems(d, schema, ""):
                problems.append(f"{d['kind']} {d['metadata']['name']}: {p}")


def kfed_version():
    with open(os.path.join(REPO, "kube/transport.h")) as f:
        for line in f:
            if "kKfedVersion[] = " in line:
                return line.split('"')[1]
    return "?"


def rules_of(docs, kind, name):
    for d in docs:
        if d.get("kind") == kind and d["metadata"]["name"] == name:
            return d.get("rules")
    return None


def normalized(rules):
    return sorted(
        (tuple(r.get("apiGroups", [])), tuple(r.get("resources", [])),
         tuple(r.get("resourceNames", [])), tuple(r.get("nonResourceURLs", [])),
         tuple(sorted(r.get("verbs", []))))
        for r in rules or [])


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    case, ns = sys.argv[1], sys.argv[2]
    with_crds = "--crds" in sys.argv[3:]
    try:
        docs = load(sys.stdin)
    except yaml.YAMLError as e:
        print(f"the rendering does not parse as YAML: {e}")
        return 1

    # Every object: apiVersion, kind, name; namespace exactly where it belongs; no duplicates.
    seen = set()
    by_kind = {}
    for d in docs:
        if not expect(isinstance(d, dict) and d.get("apiVersion") and d.get("kind")
                      and d.get("metadata", {}).get("name"),
                      f"a document without apiVersion, kind or metadata.name: {str(d)[:120]}"):
            continue
        kind, meta = d["kind"], d["metadata"]
        key = (kind, meta.get("namespace"), meta["name"])
        expect(key not in seen, f"{kind} {meta['name']} rendered twice")
        seen.add(key)
        by_kind.setdefault(kind, []).append(d)
        if kind in CLUSTER_KINDS:
            expect("namespace" not in meta, f"cluster-scoped {kind} {meta['name']} has a namespace")
        else:
            expect(meta.get("namespace") == ns,
                   f"{kind} {meta['name']} is in namespace {meta.get('namespace')!r}, not {ns!r}")
    if problems:
        return report()

    if case == "crds":
        # config/deploy/crds.yaml: the six static CRDs and the ten Federated ones, and the
        # KubeFedConfig defaulting policy (kubefedconfigs-defaults.yaml), nothing else.
        crd_docs = by_kind.get("CustomResourceDefinition", [])
        names = {d["metadata"]["name"] for d in crd_docs}
        expect(set(by_kind) == {"CustomResourceDefinition", "MutatingAdmissionPolicy",
                                "MutatingAdmissionPolicyBinding"},
               f"kinds {sorted(by_kind)}, want CRDs and the KubeFedConfig defaulting policy")
        for kind in ("MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding"):
            got = [d["metadata"]["name"] for d in by_kind.get(kind, [])]
            expect(got == ["kubefedconfigs.core.kubefed.io"], f"{kind}: {got}")
        expect(STATIC_CRDS <= names, f"static CRDs missing: {sorted(STATIC_CRDS - names)}")
        federated = {n for n in names if n.endswith(".types.kubefed.io")}
        expect(len(crd_docs) == 17 and len(federated) == 10,
               f"{len(crd_docs)} CRDs ({len(federated)} federated), want 17 (10 federated)")
        return report()

    # The controller Deployment: flags, secure serving, probes.
    deployments = by_kind.get("Deployment", [])
    if expect(len(deployments) == 1, f"{len(deployments)} Deployments, want 1"):
        dep = deployments[0]
        pod = dep["spec"]["template"]["spec"]
        want_replicas = 1 if case == "replicas1" else 2
        expect(dep["spec"]["replicas"] == want_replicas,
               f"Deployment replicas {dep['spec']['replicas']}, want {want_replicas}")
        c = pod["containers"][0]
        args = c.get("args", [])
        for a in (f"--kubefed-namespace={ns}", "--healthz-addr=:8080", "--metrics-addr=:9090",
                  "--status-addr=:9091", "--leader-elect", "--v=0"):
            expect(a in args, f"controller args lack {a}: {args}")
        expect(not any("insecure-local" in a for a in args), f"controller args have --insecure-local: {args}")
        want_image = f"kfed:{kfed_version()}"
        expect(c["image"] == want_image, f"image {c['image']}, want {want_image} (kfed's version)")
        psc, sc = pod.get("securityContext", {}), c.get("securityContext", {})
        expect(psc.get("runAsNonRoot") is True and psc.get("runAsUser") == 65532,
               f"pod securityContext {psc}: want runAsNonRoot and runAsUser 65532")
        expect(sc.get("readOnlyRootFilesystem") is True, "container root filesystem is writable")
        expect(sc.get("allowPrivilegeEscalation") is False, "container allows privilege escalation")
        expect(sc.get("capabilities", {}).get("drop") == ["ALL"], f"capabilities {sc.get('capabilities')}: want drop [ALL]")
        expect(sc.get("runAsNonRoot") is True, "container securityContext lacks runAsNonRoot")
        ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
        expect(ports == {"healthz": 8080, "https": 9090, "grpc": 9091}, f"container ports {ports}")
        live, ready = c.get("livenessProbe", {}).get("httpGet", {}), c.get("readinessProbe", {}).get("httpGet", {})
        expect(live == {"path": "/healthz", "port": "healthz"}, f"livenessProbe {live}")
        expect(ready == {"path": "/readyz", "port": "healthz"}, f"readinessProbe {ready}")
        expect(pod.get("serviceAccountName") == "kfed-controller-manager",
               f"serviceAccountName {pod.get('serviceAccountName')}")
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        mounts = {m["name"]: m["mountPath"] for m in c.get("volumeMounts", [])}
        if case == "certsecret":
            expect("--tls-cert-file=/etc/kfed/tls/tls.crt" in args and "--tls-key-file=/etc/kfed/tls/tls.key" in args,
                   f"tls.certSecret set but args lack --tls-cert-file/--tls-key-file: {args}")
            expect(not any(a.startswith("--cert-dir") for a in args), "tls.certSecret set but --cert-dir passed")
            expect(volumes.get("serving-cert", {}).get("secret", {}).get("secretName") == "kfed-serving-cert",
                   f"no volume from Secret kfed-serving-cert: {volumes}")
            expect(mounts.get("serving-cert") == "/etc/kfed/tls", f"serving-cert mounted at {mounts.get('serving-cert')}")
        else:
            cert_dirs = [a.split("=", 1)[1] for a in args if a.startswith("--cert-dir=")]
            expect(len(cert_dirs) == 1 and "emptyDir" in volumes.get("serving-certs", {})
                   and mounts.get("serving-certs") == cert_dirs[0],
                   f"without tls.certSecret want --cert-dir on an emptyDir: args {args}, mounts {mounts}")
            expect(not any(a.startswith("--tls-cert-file") for a in args), "--tls-cert-file without tls.certSecret")
        expect("emptyDir" in volumes.get("tmp", {}) and mounts.get("tmp") == "/tmp", "no writable /tmp emptyDir")

    # RBAC: the controller's rules equal config/rbac/host/'s; reader roles; aggregation.
    with open(os.path.join(REPO, "config/rbac/host/cluster.yaml")) as f:
        host_cluster = load(f)
    with open(os.path.join(REPO, "config/rbac/host/namespace.yaml")) as f:
        host_ns = load(f)
    for kind, name, source in (("ClusterRole", "kfed-controller-manager", host_cluster),
                               ("Role", "kfed-controller-manager", host_ns),
                               ("ClusterRole", "kfed-status-viewer", host_cluster)):
        got = rules_of(docs, kind, name)
        if expect(got is not None, f"no {kind} {name}"):
            expect(normalized(got) == normalized(rules_of(source, kind, name)),
                   f"{kind} {name}: rules differ from config/rbac/host/")
    for kind, ref_kind in (("ClusterRoleBinding", "ClusterRole"), ("RoleBinding", "Role")):
        b = [d for d in by_kind.get(kind, []) if d["metadata"]["name"] == "kfed-controller-manager"]
        if expect(len(b) == 1, f"no {kind} kfed-controller-manager"):
            expect(b[0]["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": ref_kind,
                                       "name": "kfed-controller-manager"}, f"{kind} roleRef {b[0]['roleRef']}")
            expect(b[0]["subjects"] == [{"kind": "ServiceAccount", "name": "kfed-controller-manager",
                                         "namespace": ns}], f"{kind} subjects {b[0]['subjects']}")
    expect(any(d["metadata"]["name"] == "kfed-controller-manager" for d in by_kind.get("ServiceAccount", [])),
           "no ServiceAccount kfed-controller-manager")
    aggregated = {d["metadata"]["name"]: d for d in by_kind.get("ClusterRole", [])
                  if any(k.startswith("rbac.authorization.k8s.io/aggregate-to-")
                         for k in d["metadata"].get("labels", {}))}
    if case == "namespaced":
        expect(not aggregated, f"aggregated ClusterRoles in Namespaced scope: {sorted(aggregated)}")
    else:
        for verb in ("admin", "edit", "view"):
            r = aggregated.get(f"kfed-{verb}")
            expect(r is not None and r["metadata"]["labels"].get(f"rbac.authorization.k8s.io/aggregate-to-{verb}") == "true",
                   f"no ClusterRole kfed-{verb} aggregated to {verb}")
        view = aggregated.get("kfed-view")
        if view:
            resources = [res for rule in view["rules"] for res in rule["resources"]]
            expect("federatedsecrets" not in resources and "*" not in resources,
                   f"kfed-view reads FederatedSecrets: {resources}")
            expect("federatedconfigmaps" in resources, f"kfed-view lacks federatedconfigmaps: {resources}")

    # The metrics Service, the PodDisruptionBudget, the ServiceMonitor.
    services = by_kind.get("Service", [])
    if expect(len(services) == 1, f"{len(services)} Services, want 1"):
        s = services[0]
        a = s["metadata"].get("annotations", {})
        expect(a.get("prometheus.io/scrape") == "true" and a.get("prometheus.io/port") == "9090"
               and a.get("prometheus.io/scheme") == "https", f"Service annotations {a}")
        ports = {p["name"]: p["port"] for p in s["spec"]["ports"]}
        expect(ports == {"https": 9090, "grpc": 9091}, f"Service ports {ports}")
        expect(s["spec"]["selector"] == deployments[0]["spec"]["selector"]["matchLabels"],
               "the Service selects other pods than the Deployment's")
    pdbs = by_kind.get("PodDisruptionBudget", [])
    expect(len(pdbs) == 1 and pdbs[0]["spec"]["selector"]["matchLabels"] == deployments[0]["spec"]["selector"]["matchLabels"],
           "no PodDisruptionBudget for the controller's pods")
    monitors = by_kind.get("ServiceMonitor", [])
    if case == "servicemonitor":
        if expect(len(monitors) == 1, "metrics.serviceMonitor.enabled but no ServiceMonitor"):
            ep = monitors[0]["spec"]["endpoints"][0]
            expect(ep.get("scheme") == "https" and ep.get("port") == "https", f"ServiceMonitor endpoint {ep}")
            expect(ep.get("bearerTokenFile") == "/var/run/secrets/kubernetes.io/serviceaccount/token",
                   f"ServiceMonitor bearerTokenFile {ep.get('bearerTokenFile')}")
            expect("tlsConfig" in ep, "ServiceMonitor endpoint without tlsConfig")
        expect(any(d["metadata"]["name"].endswith("metrics-reader") for d in by_kind.get("ClusterRoleBinding", [])),
               "metrics.prometheusServiceAccount set but kfed-metrics-reader not bound")
    else:
        expect(not monitors, "a ServiceMonitor although metrics.serviceMonitor.enabled is false")

    # KubeFedConfig and the FederatedTypeConfigs (with their CRDs).
    kfcs = by_kind.get("KubeFedConfig", [])
    if expect(len(kfcs) == 1 and kfcs[0]["metadata"]["name"] == "kubefed", "no KubeFedConfig kubefed"):
        spec = kfcs[0]["spec"]
        want_scope = "Namespaced" if case == "namespaced" else "Cluster"
        expect(spec.get("scope") == want_scope, f"KubeFedConfig scope {spec.get('scope')}, want {want_scope}")
        gates = {g["name"]: g["configuration"] for g in spec.get("featureGates", [])}
        expect(gates == {"PushReconciler": "Enabled", "SchedulerPreferences": "Enabled",
                         "RawResourceStatusCollection": "Disabled"}, f"feature gates {gates}")
        for section in ("controllerDuration", "leaderElect", "clusterHealthCheck", "syncController", "statusController"):
            expect(section in spec, f"KubeFedConfig lacks {section}")
    ftcs = {d["metadata"]["name"]: d for d in by_kind.get("FederatedTypeConfig", [])}
    expect(set(ftcs) == FTC_NAMES, f"FederatedTypeConfigs {sorted(ftcs)}, want KubeFed's ten")
    if with_crds:
        # The KubeFedConfig and the FederatedTypeConfigs against their CRDs' schemas.
        check_custom_resources(docs)
        crds = {d["metadata"]["name"] for d in by_kind.get("CustomResourceDefinition", [])}
        expect(STATIC_CRDS <= crds, f"static CRDs missing: {sorted(STATIC_CRDS - crds)}")
        for name, ftc in ftcs.items():
            ft = ftc["spec"]["federatedType"]
            crd = f"{ft['pluralName']}.{ft['group']}"
            expect(crd in crds, f"FederatedTypeConfig {name}: no CRD {crd}")
        expect(len(crds) == len(STATIC_CRDS) + len(FTC_NAMES), f"{len(crds)} CRDs, want 17")
    return report()


def report():
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
