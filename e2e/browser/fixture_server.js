// A stand-in for the controller manager's status HTTP API, for the dashboard's page test
// (page_test.js) and for working on the page without clusters:
//
//   node e2e/browser/fixture_server.js --port 8099   # then open http://127.0.0.1:8099/
//
// It serves status/dashboard/ and the /api/v1 endpoints of docs/user-guide.md#dashboard with
// the status model held in memory: protobuf's JSON mapping (int64 as strings, empty fields
// omitted), a revision per change, a bounded history for the long-poll watch and HTTP 410 for
// a resume point older than that history. Tests change the model through the returned handle.
// It imitates kfed's own API, not Kubernetes: the e2e test runs the real controller.
//
// Authentication as the controller manager does it (docs/user-guide.md#signing-in): every
// /api/v1 call needs `Authorization: Bearer <token>` naming one of `tokens` (401 with
// WWW-Authenticate and {"error"} otherwise); a user without `clusters` gets 403 on
// /api/v1/clusters and no cluster events in the watch; a user with `namespaces` sees objects
// in those namespaces only (lists and the watch leave the others out; /api/v1/object of one
// is 403); `unavailable(true)` answers 503 as when
// the host cannot review tokens. `proxyToken` stands in for kfedctl dashboard: requests without
// an Authorization header are sent on with that token. The page's assets stay open.
'use strict';

const fs = require('fs');
const http = require('http');
const path = require('path');

const CONTENT_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

const keyOf = (o) => `${o.ref.type}/${o.ref.namespace || ''}/${o.ref.name}`;

// Drops fields holding protobuf defaults and turns int64 fields into strings, as the real
// server's JSON mapping does.
const INT64_FIELDS = new Set(['revision', 'generation', 'lastTransitionUnixMs',
                              'memberGeneration', 'totalReplicas', 'plannedReplicas',
                              'memberReplicas', 'memberReadyReplicas', 'lastPlanUnixMs',
                              'lastReconcileUnixMs']);
function protoJson(value) {
  if (Array.isArray(value)) return value.map(protoJson);
  if (value === null || typeof value !== 'object') return value;
  const out = {};
  for (const [k, v] of Object.entries(value)) {
    if (k.startsWith('_')) continue;
    if (v === '' || v === 0 || v === false || v === null || v === undefined) continue;
    if (Array.isArray(v) && v.length === 0) continue;
    out[k] = INT64_FIELDS.has(k) ? String(v) : protoJson(v);
  }
  return out;
}

// The tokens the fixture accepts (the standalone server prints them).
const DEFAULT_TOKENS = {
  'admin-token': {username: 'admin', groups: ['system:masters', 'system:authenticated'],
                  clusters: true},
  'viewer-token': {username: 'system:serviceaccount:demo:viewer',
                   groups: ['system:serviceaccounts', 'system:authenticated'], clusters: false,
                   namespaces: ['demo']},
};

class Model {
  constructor(historyLimit) {
    this.historyLimit = historyLimit;
    this.revision = 1;
    this.clusters = new Map();
    this.objects = new Map();
    // ReplicaSchedulingPreferences (SchedulingPreference messages): listed, not watched.
    this.preferences = [];
    // Multi-cluster services (MultiClusterService messages) and the members' MCS part
    // (McsMember): listed, not watched.
    this.services = [];
    this.mcsMembers = [];
    this.history = [];         // events, oldest first
    this.oldestResumable = 0;  // a resume point below this gets 410
    this.waiters = new Set();
  }

  record(event) {
    this.history.push(event);
    while (this.history.length > this.historyLimit) {
      const dropped = this.history.shift();
      this.oldestResumable = dropped.revision;
    }
    // A woken watch that finds nothing for its caller (a cluster event a user may not see)
    // waits again: it adds itself back, so clear first.
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const wake of waiters) wake();
  }

  upsertCluster(cluster) {
    const type = this.clusters.has(cluster.name) ? 'MODIFIED' : 'ADDED';
    this.revision++;
    this.clusters.set(cluster.name, cluster);
    this.record({type, revision: this.revision, cluster});
  }

  upsertObject(object) {
    const key = keyOf(object);
    const type = this.objects.has(key) ? 'MODIFIED' : 'ADDED';
    this.revision++;
    const stored = {...object, revision: this.revision};
    this.objects.set(key, stored);
    this.record({type, revision: this.revision, object: stored});
  }

  deleteObject(key) {
    const object = this.objects.get(key);
    if (!object) return;
    this.revision++;
    this.objects.delete(key);
    this.record({type: 'DELETED', revision: this.revision, object});
  }

  // Forgets all history: every resume point before now gets 410.
  compact() {
    this.history = [];
    this.oldestResumable = this.revision;
  }
}

function start(options = {}) {
  const assets = path.resolve(options.assets ||
                              path.join(__dirname, '..', '..', 'status', 'dashboard'));
  const model = new Model(options.historyLimit || 1000);
  let failNext = 0;  // answer this many API requests with HTTP 500
  let unavailable = false;  // answer 503: the host cannot review tokens
  const tokens = {...(options.tokens || DEFAULT_TOKENS)};
  // What the page asked, for tests; `authorizations` holds each API call's Authorization
  // header (or '') and `paths` each API call's path with its query.
  const stats = {requests: 0, lists: 0, gone: 0, unauthorized: 0, authorizations: [], paths: []};

  function send(res, status, body, headers) {
    const text = JSON.stringify(body);
    res.writeHead(status, {'Content-Type': 'application/json', 'Cache-Control': 'no-store',
                           ...(headers || {})});
    res.end(text);
  }

  // The caller, or null after answering 401/503 as the controller manager does.
  function authenticate(req, res) {
    let header = req.headers.authorization || '';
    stats.authorizations.push(header);
    if (!header && options.proxyToken) header = `Bearer ${options.proxyToken}`;
    if (unavailable) {
      send(res, 503, {error: 'cannot review the token: the host cluster is unreachable ' +
                             '(TokenReview: connection refused); try again later'});
      return null;
    }
    const challenge = {'WWW-Authenticate': 'Bearer realm="kfed"'};
    const m = /^Bearer (\S+)$/.exec(header);
    if (!m) {
      stats.unauthorized++;
      send(res, 401, {error: 'no bearer token: send Authorization: Bearer <token>'}, challenge);
      return null;
    }
    const user = tokens[m[1]];
    if (!user) {
      stats.unauthorized++;
      send(res, 401, {error: 'the host cluster did not accept the token (TokenReview: ' +
                             'token not valid)'}, challenge);
      return null;
    }
    return user;
  }

  function handleApi(req, url, res) {
    stats.requests++;
    stats.paths.push(url.pathname + url.search);
    if (failNext > 0) {
      failNext--;
      return send(res, 500, {error: 'injected failure'});
    }
    const user = authenticate(req, res);
    if (!user) return undefined;
    const q = url.searchParams;
    const mayRead = (o) => !user.namespaces || user.namespaces.includes(o.ref.namespace || '');
    switch (url.pathname) {
      case '/api/v1/whoami':
        return send(res, 200, {username: user.username, groups: user.groups});
      case '/api/v1/version':
        return send(res, 200, protoJson({version: '0.1.0-fixture'}));
      case '/api/v1/clusters':
        if (!user.clusters) {
          return send(res, 403, {error: `user "${user.username}" cannot list resource ` +
                                        '"kubefedclusters" in API group "core.kubefed.io" in ' +
                                        'the namespace "kube-federation-system"'});
        }
        return send(res, 200, protoJson({clusters: [...model.clusters.values()],
                                         revision: model.revision}));
      case '/api/v1/objects': {
        stats.lists++;
        const objects = [...model.objects.values()].filter((o) => mayRead(o) &&
          (!q.get('type') || o.ref.type === q.get('type')) &&
          (!q.get('namespace') || (o.ref.namespace || '') === q.get('namespace')) &&
          (!q.get('state') || (o.clusters || []).some((c) => c.state === q.get('state'))));
        return send(res, 200, protoJson({objects, revision: model.revision}));
      }
      case '/api/v1/object': {
        const key = `${q.get('type')}/${q.get('namespace') || ''}/${q.get('name')}`;
        const object = model.objects.get(key);
        if (!object) return send(res, 404, {error: `${key} not found`});
        if (!mayRead(object)) {
          return send(res, 403, {error: `user "${user.username}" cannot get resource ` +
                                        `"federated${object.ref.type}" in the namespace ` +
                                        `"${object.ref.namespace}"`});
        }
        const detail = ((object._detail || {})[q.get('cluster') || '']) || {};
        return send(res, 200, protoJson({object, ...detail}));
      }
      case '/api/v1/watch':
        return watch(q, res, user, mayRead);
      case '/api/v1/schedulingpreferences': {
        const preferences = model.preferences.filter((p) =>
          (!user.namespaces || user.namespaces.includes(p.namespace)) &&
          (!q.get('namespace') || p.namespace === q.get('namespace')));
        return send(res, 200, protoJson({preferences}));
      }
      case '/api/v1/multiclusterservices': {
        // As the controller manager: `get serviceexports` per namespace (here: the user's
        // namespaces), the members' part only for users who may list clusters.
        const services = model.services.filter((s) =>
          (!user.namespaces || user.namespaces.includes(s.namespace)) &&
          (!q.get('namespace') || s.namespace === q.get('namespace')));
        return send(res, 200, protoJson({services, members: user.clusters ? model.mcsMembers : []}));
      }
      default:
        return send(res, 404, {error: `no such endpoint ${url.pathname}`});
    }
  }

  function watch(q, res, user, mayRead) {
    const from = Number(q.get('resume_from') || '0');
    const timeoutMs = Math.min(60, Number(q.get('timeout_seconds') || '30')) * 1000;
    if (from < model.oldestResumable) {
      stats.gone++;
      return send(res, 410, {error: `resume point ${from} is too old; list again`});
    }
    const deadline = Date.now() + timeoutMs;
    const attempt = () => {
      const events = model.history.filter((e) => e.revision > from &&
                                                 (e.cluster ? user.clusters : mayRead(e.object)));
      if (events.length || Date.now() >= deadline) {
        clearTimeout(timer);
        model.waiters.delete(attempt);
        return send(res, 200, protoJson({events, revision: model.revision}));
      }
      model.waiters.add(attempt);
    };
    const timer = setTimeout(attempt, timeoutMs);
    res.on('close', () => {
      clearTimeout(timer);
      model.waiters.delete(attempt);
    });
    attempt();
  }

  function handleAsset(url, res) {
    const name = url.pathname === '/' ? 'index.html' : url.pathname.slice(1);
    if (!/^[A-Za-z0-9._-]+$/.test(name)) {
      res.writeHead(404);
      return res.end('not found');
    }
    fs.readFile(path.join(assets, name), (err, data) => {
      if (err) {
        res.writeHead(404);
        return res.end('not found');
      }
      res.writeHead(200, {'Content-Type': CONTENT_TYPES[path.extname(name)] ||
                                          'application/octet-stream'});
      res.end(data);
    });
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://fixture');
    if (url.pathname.startsWith('/api/')) return handleApi(req, url, res);
    return handleAsset(url, res);
  });

  return new Promise((resolve) => {
    server.listen(options.port || 0, '127.0.0.1', () => {
      const port = server.address().port;
      resolve({
        url: `http://127.0.0.1:${port}/`,
        model,
        failNext: (n) => { failNext = n; },
        unavailable: (on) => { unavailable = on; },
        // Revokes a token: its next call gets 401.
        revoke: (token) => { delete tokens[token]; },
        stats,
        close: () => new Promise((done) => {
          for (const wake of model.waiters) wake();
          server.closeAllConnections();
          server.close(done);
        }),
      });
    });
  });
}

// Sample data: two members, a good and a broken ConfigMap, a Deployment and a Secret.
function seed(model) {
  const now = Date.now();
  model.upsertCluster({name: 'member1', health: 'Ready', reason: 'ClusterReady',
                       message: '/healthz responded with ok', kubernetesVersion: 'v1.36.3',
                       apiEndpoint: 'https://127.0.0.1:6443', lastTransitionUnixMs: now - 60000});
  model.upsertCluster({name: 'member2', health: 'Ready', reason: 'ClusterReady',
                       message: '/healthz responded with ok', kubernetesVersion: 'v1.36.3',
                       apiEndpoint: 'https://127.0.0.1:6444', lastTransitionUnixMs: now - 60000});
  const ok = (cluster) => ({cluster, state: 'Propagated', lastTransitionUnixMs: now - 5000,
                            propagationLatencySeconds: 0.042, memberGeneration: 1});
  const cm = (name, data) => JSON.stringify({apiVersion: 'v1', kind: 'ConfigMap',
                                             metadata: {name, namespace: 'demo',
                                                        labels: {'kubefed.io/managed': 'true'}},
                                             data});
  model.upsertObject({
    ref: {type: 'configmaps', kind: 'FederatedConfigMap', namespace: 'demo', name: 'good'},
    generation: 1, propagation: 'True', clusters: [ok('member1'), ok('member2')],
    _detail: {member1: {renderedJson: cm('good', {color: 'blue'}), overridesJson: '[]'},
              member2: {renderedJson: cm('good', {color: 'green'}),
                        overridesJson: '[{"path":"/data/color","value":"green"}]'}},
  });
  const brokenMessage = 'overrides[0] for cluster "member2": clusterOverrides[0] ' +
      '(replace /data/missing/deeper): path not found: /data/missing does not exist';
  model.upsertObject({
    ref: {type: 'configmaps', kind: 'FederatedConfigMap', namespace: 'demo', name: 'broken'},
    generation: 1, propagation: 'False', reason: 'CheckClusters',
    message: '1 of 2 clusters not propagated (member2: ApplyOverridesFailed)',
    clusters: [ok('member1'), {cluster: 'member2', state: 'Error', reason: 'ApplyOverridesFailed',
                               message: brokenMessage, lastTransitionUnixMs: now - 2000}],
    _detail: {member1: {renderedJson: cm('broken', {color: 'blue'}), overridesJson: '[]'},
              member2: {renderError: brokenMessage,
                        overridesJson: '[{"path":"/data/missing/deeper","value":"x"}]'}},
  });
  model.upsertObject({
    ref: {type: 'deployments.apps', kind: 'FederatedDeployment', namespace: 'web', name: 'shop'},
    generation: 3, propagation: 'True',
    clusters: [ok('member1'), {cluster: 'member2', state: 'Pending', reason: 'WaitingForWrite'}],
  });
  model.upsertObject({
    ref: {type: 'secrets', kind: 'FederatedSecret', namespace: 'web', name: 'token'},
    generation: 1, propagation: 'True', clusters: [ok('member1')],
  });
}

module.exports = {start, seed, keyOf, DEFAULT_TOKENS};

if (require.main === module) {
  const args = process.argv.slice(2);
  const i = args.indexOf('--port');
  const port = i >= 0 ? Number(args[i + 1]) : 8099;
  start({port}).then((fixture) => {
    seed(fixture.model);
    console.log(`fixture dashboard at ${fixture.url}; sign in with ` +
                `${Object.keys(DEFAULT_TOKENS).join(' or ')}`);
  });
}
