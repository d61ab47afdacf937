// The dashboard page in headless Chromium against the fixture status API (fixture_server.js):
// signing in with a bearer token (and out), 401/403/503 as the controller manager answers them,
// rendering, filters and the URL, the detail view, live updates, re-listing after HTTP 410,
// reconnecting after errors, hundreds of objects, and text never becoming markup. Fast (no
// clusters); //e2e:dashboard_browser_test covers the page on the real controller.
//
//   bazel test //e2e/browser:page_test     (or: node e2e/browser/page_test.js)
'use strict';

const assert = require('node:assert/strict');
const {test, before, after} = require('node:test');
const path = require('path');

const {launch, newPage, until, artifactPath} = require('./browser.js');
const {start, seed} = require('./fixture_server.js');

const ASSETS = process.env.KFED_DASHBOARD_ASSETS ||
               path.join(__dirname, '..', '..', 'status', 'dashboard');
const BROKEN = 'configmaps/demo/broken';
const GOOD = 'configmaps/demo/good';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  if (browser) await browser.close();
});

// Fills in the sign-in form with `token` and submits it.
async function signIn(page, token) {
  await until(page, 'the sign-in form', () => !document.getElementById('login').hidden &&
              document.getElementById('app').hidden);
  await page.fill('#login-token', token);
  await page.click('#login-submit');
}

const isLive = () => !document.getElementById('app').hidden &&
                     document.getElementById('connection').textContent === 'live';
const loginShows = (want) => !document.getElementById('login').hidden &&
                             document.getElementById('app').hidden &&
                             document.getElementById('login-error').innerText.includes(want);

// Runs `body` with a seeded fixture and the page open on it, signed in with options.token
// (default admin-token; null: not signed in, `body` does it); checks the page raised no error.
async function withDashboard(name, body, options = {}) {
  const fixture = await start({assets: ASSETS, historyLimit: options.historyLimit,
                               proxyToken: options.proxyToken});
  seed(fixture.model);
  const page = await newPage(browser);
  await page.addInitScript(pageHelpers);
  try {
    await page.goto(fixture.url + (options.query || ''));
    if (options.token !== null) {
      if (!options.proxyToken) await signIn(page, options.token || 'admin-token');
      await until(page, 'the page to go live', isLive);
    }
    await body({fixture, page});
    assert.deepEqual(page.problems, [], 'the page logged errors');
  } catch (e) {
    await page.screenshot({path: artifactPath(`page_test-${name}-failure.png`), fullPage: true})
        .catch(() => {});
    throw e;
  } finally {
    await page.context().close();
    await fixture.close();
  }
}

// Helpers defined in the page (addInitScript), for the conditions below.
function pageHelpers() {
  const cellTd = (key, cluster) => document.querySelector(
      `tr[data-object="${CSS.escape(key)}"] td[data-cluster="${CSS.escape(cluster)}"]`);
  // The state and text of one matrix cell, or null.
  window.cellOf = ([key, cluster]) => {
    const td = cellTd(key, cluster);
    return td ? {state: td.dataset.state, text: td.innerText.replace(/\s+/g, ' ').trim()} : null;
  };
  window.cellIs = ([key, cluster, state]) => {
    const td = cellTd(key, cluster);
    return !!td && td.dataset.state === state && td.innerText.includes(state);
  };
  window.visibleRows = () => [...document.querySelectorAll('tr[data-testid="object-row"]')]
      .filter((r) => !r.hidden).map((r) => r.dataset.object);
  window.rowsAre = (want) => JSON.stringify(window.visibleRows()) === JSON.stringify(want);
  window.textOf = (id) => document.getElementById(id).innerText;
}
const cellOf = (arg) => window.cellOf(arg);
const cellIs = (arg) => window.cellIs(arg);
const rowsAre = (want) => window.rowsAre(want);

function fixedBroken(model) {
  const o = model.objects.get(BROKEN);
  return {...o, propagation: 'True', reason: '', message: '',
          clusters: o.clusters.map((c) => ({cluster: c.cluster, state: 'Propagated',
                                            lastTransitionUnixMs: Date.now()}))};
}

test('shows the clusters with health and version, and the object matrix', async () => {
  await withDashboard('render', async ({page}) => {
    await until(page, 'both members Ready', () => ['member1', 'member2'].every((m) => {
      const row = document.querySelector(`tr[data-testid="cluster-row"][data-cluster="${m}"]`);
      return row && row.querySelector('[data-testid="cluster-health"]').innerText === 'Ready' &&
             row.querySelector('[data-testid="cluster-version"]').innerText === 'v1.36.3';
    }));
    assert.equal(await page.evaluate(() => textOf('version')), 'v0.1.0-fixture');
    assert.deepEqual(await page.evaluate(() => visibleRows()),
                     [BROKEN, GOOD, 'deployments.apps/web/shop', 'secrets/web/token']);
    assert.deepEqual(await page.evaluate(cellOf, [BROKEN, 'member2']),
                     {state: 'Error', text: 'Error ApplyOverridesFailed'});
    assert.deepEqual(await page.evaluate(cellOf, [BROKEN, 'member1']),
                     {state: 'Propagated', text: 'Propagated'});
    assert.deepEqual(await page.evaluate(cellOf, ['deployments.apps/web/shop', 'member2']),
                     {state: 'Pending', text: 'Pending WaitingForWrite'});
    assert.deepEqual(await page.evaluate(cellOf, ['secrets/web/token', 'member2']),
                     {state: 'None', text: '—'}, 'a cluster outside the placement');
    assert.equal(await page.evaluate(() => textOf('object-count')), '4 of 4 objects shown');
    await page.screenshot({path: artifactPath('page_test-render.png'), fullPage: true});
  });
});

test('filters by state, type, namespace and text, and keeps them in the URL', async () => {
  await withDashboard('filters', async ({page, fixture}) => {
    await page.selectOption('#filter-state', 'Error');
    await until(page, 'only the broken object', rowsAre, [BROKEN]);
    assert.match(page.url(), /[?&]state=Error/);
    assert.equal(await page.evaluate(() => textOf('object-count')), '1 of 4 objects shown');

    await page.click('#filter-clear');
    await until(page, 'all objects again', () => visibleRows().length === 4);
    await page.selectOption('#filter-type', 'secrets');
    await until(page, 'only the secret', rowsAre, ['secrets/web/token']);
    await page.selectOption('#filter-type', '');
    await page.selectOption('#filter-namespace', 'web');
    await until(page, 'namespace web', rowsAre, ['deployments.apps/web/shop', 'secrets/web/token']);
    await page.fill('#filter-text', 'shop');
    await until(page, 'text search', rowsAre, ['deployments.apps/web/shop']);
    await page.fill('#filter-text', 'nothing-matches-this');
    await until(page, 'the empty note', () => visibleRows().length === 0 &&
                !document.getElementById('matrix-empty').hidden);

    // A filtered URL opens filtered.
    await page.goto(`${fixture.url}?type=configmaps&state=Propagated`);
    await until(page, 'the filters from the URL', rowsAre, [BROKEN, GOOD]);
    assert.equal(await page.inputValue('#filter-type'), 'configmaps');
    assert.equal(await page.inputValue('#filter-state'), 'Propagated');
  });
});

test('the detail view shows the error, the overrides and the rendered object', async () => {
  await withDashboard('detail', async ({page, fixture}) => {
    await page.click(`tr[data-object="${BROKEN}"] td[data-cluster="member2"] button`);
    await until(page, 'the broken cell in the detail view', () =>
      textOf('detail-title') === 'configmaps demo/broken in member2' &&
      textOf('detail-reason') === 'ApplyOverridesFailed' &&
      textOf('detail-message').includes('/data/missing/deeper') &&
      textOf('detail-render-error').includes('path not found: /data/missing does not exist') &&
      textOf('detail-overrides').includes('"path": "/data/missing/deeper"'));
    assert.equal(await page.evaluate(() => textOf('detail-state')), 'Error');
    assert.match(page.url(), /object=configmaps%2Fdemo%2Fbroken&cluster=member2/);

    await page.click(`tr[data-object="${GOOD}"] td[data-cluster="member2"] button`);
    await until(page, 'the rendered object', () =>
      textOf('detail-title') === 'configmaps demo/good in member2' &&
      textOf('detail-rendered').includes('"color": "green"') &&
      textOf('detail-render-error') === '—');

    await page.keyboard.press('Escape');
    await until(page, 'the detail view closed', () =>
      document.getElementById('detail').hidden);

    // A URL naming a cell opens its detail view.
    await page.goto(`${fixture.url}?object=${encodeURIComponent(BROKEN)}&cluster=member2`);
    await until(page, 'the detail view from the URL', () =>
      !document.getElementById('detail').hidden &&
      textOf('detail-reason') === 'ApplyOverridesFailed');
  });
});

test('follows the watch: cells, rows, columns and health change without a reload',
     async () => {
  await withDashboard('live', async ({page, fixture}) => {
    const {model} = fixture;
    await page.evaluate(() => { window.notReloaded = true; });
    await page.click(`tr[data-object="${BROKEN}"] td[data-cluster="member2"] button`);
    await until(page, 'the detail view', () => textOf('detail-reason') === 'ApplyOverridesFailed');

    model.upsertObject(fixedBroken(model));
    await until(page, 'the broken cell Propagated', cellIs, [BROKEN, 'member2', 'Propagated']);
    await until(page, 'the detail view Propagated', () =>
      textOf('detail-state') === 'Propagated' && textOf('detail-reason') === '—');

    model.deleteObject(GOOD);
    await until(page, 'the deleted row gone', () =>
      !document.querySelector('tr[data-object="configmaps/demo/good"]'));

    model.upsertCluster({name: 'member3', health: 'Offline', reason: 'ClusterNotReachable',
                         message: 'connection refused'});
    await until(page, 'member3 Offline', () => {
      const row = document.querySelector('tr[data-testid="cluster-row"][data-cluster="member3"]');
      return row && row.innerText.includes('Offline') &&
             !!document.querySelector('th[data-cluster="member3"]');
    });
    model.upsertCluster({...model.clusters.get('member2'), health: 'NotReady',
                         reason: 'ClusterNotReady'});
    await until(page, 'member2 NotReady', () => document.querySelector(
        'tr[data-cluster="member2"] [data-testid="cluster-health"]').innerText === 'NotReady');
    assert.equal(await page.evaluate(() => window.notReloaded), true);
    assert.equal(await page.evaluate(() => textOf('connection')), 'live');
  });
});

test('lists again when the resume point is too old (HTTP 410)', async () => {
  await withDashboard('gone', async ({page, fixture}) => {
    const {model} = fixture;
    // The page's pending watch wakes for the first change; the others push the history past
    // its next resume point, so that watch gets 410.
    const listsBefore = fixture.stats.lists;
    const o = model.objects.get('deployments.apps/web/shop');
    for (let i = 0; i < 5; i++) {
      model.upsertObject({...o, generation: 10 + i,
                          clusters: [{cluster: 'member1', state: 'Propagated'},
                                     {cluster: 'member2', state: i === 4 ? 'Error' : 'Pending',
                                      reason: i === 4 ? 'UpdateFailed' : 'WaitingForWrite'}]});
    }
    await until(page, 'the last change', cellIs, ['deployments.apps/web/shop', 'member2', 'Error']);
    assert.ok(fixture.stats.gone >= 1, 'the page never got 410');
    assert.ok(fixture.stats.lists > listsBefore, 'the page did not list again');
    await until(page, 'live again', () => textOf('connection') === 'live');
  }, {historyLimit: 2});
});

test('shows "reconnecting" while the API fails and recovers with the changes', async () => {
  await withDashboard('reconnect', async ({page, fixture}) => {
    const {model} = fixture;
    fixture.failNext(3);
    // Ends the pending watch; the next requests fail.
    model.upsertCluster({...model.clusters.get('member1'), message: 'poke'});
    await until(page, 'reconnecting', () => textOf('connection') === 'reconnecting');
    model.upsertObject(fixedBroken(model));
    await until(page, 'live again', () => textOf('connection') === 'live', undefined, 60000);
    await until(page, 'the change made while failing', cellIs, [BROKEN, 'member2', 'Propagated']);
  });
});

test('handles hundreds of objects and re-renders only the rows that changed', async () => {
  await withDashboard('scale', async ({page, fixture}) => {
    const {model} = fixture;
    const states = ['Propagated', 'Pending', 'Error'];
    for (let i = 0; i < 600; i++) {
      model.upsertObject({
        ref: {type: i % 2 ? 'configmaps' : 'secrets', kind: i % 2 ? 'FederatedConfigMap'
                                                                    : 'FederatedSecret',
              namespace: `ns-${i % 7}`, name: `obj-${String(i).padStart(4, '0')}`},
        generation: 1, propagation: 'True',
        clusters: ['member1', 'member2'].map((c, j) => ({cluster: c,
                                                          state: states[(i + j) % 3]})),
      });
    }
    await until(page, '604 objects', () => textOf('object-count') === '604 of 604 objects shown');
    const target = 'configmaps/ns-1/obj-0001';
    const bystander = 'configmaps/ns-3/obj-0003';
    await page.evaluate((keys) => {
      for (const k of keys) document.querySelector(`tr[data-object="${k}"]`).kfedMark = k;
    }, [target, bystander]);
    const o = model.objects.get(target);
    model.upsertObject({...o, clusters: [{cluster: 'member1', state: 'Deleting'}]});
    await until(page, 'the changed cell', cellIs, [target, 'member1', 'Deleting']);
    const marks = await page.evaluate((keys) => keys.map(
        (k) => document.querySelector(`tr[data-object="${k}"]`).kfedMark || null),
        [target, bystander]);
    assert.deepEqual(marks, [null, bystander], 'only the changed row is rebuilt');

    await page.selectOption('#filter-namespace', 'ns-3');
    await until(page, 'namespace ns-3', () => visibleRows().length > 0 &&
                visibleRows().every((k) => k.split('/')[1] === 'ns-3'));
    assert.equal(await page.evaluate(() => visibleRows().length), 86);
  });
});

test('shows names and messages as text, never as markup', async () => {
  await withDashboard('escape', async ({page, fixture}) => {
    const {model} = fixture;
    const evil = '<img src=x onerror="window.injected=1"><b>bold</b>';
    const o = model.objects.get(BROKEN);
    model.upsertObject({...o, message: evil,
                        clusters: [o.clusters[0], {...o.clusters[1], message: evil}]});
    await page.click(`tr[data-object="${BROKEN}"] td[data-cluster="member2"] button`);
    await until(page, 'the message as text', (want) => textOf('detail-message') === want, evil);
    assert.equal(await page.evaluate(() => document.querySelectorAll('main img, aside img').length),
                 0);
    assert.equal(await page.evaluate(() => window.injected), undefined);
  });
});

// ---- signing in ----------------------------------------------------------------------------

const stored = () => ({session: sessionStorage.getItem('kfed.token'),
                       local: localStorage.length});

test('asks for a token, rejects a wrong one with the server\'s message, then signs in',
     async () => {
  await withDashboard('login', async ({page, fixture}) => {
    await until(page, 'the sign-in form', () => !document.getElementById('login').hidden);
    assert.equal(await page.evaluate(() => document.getElementById('app').hidden), true);
    // Without a token the page asked who it is and nothing else.
    assert.deepEqual(fixture.stats.paths, ['/api/v1/whoami']);
    assert.equal(await page.evaluate(() => document.querySelectorAll(
        'tr[data-testid="object-row"]').length), 0);

    await page.fill('#login-token', 'not-a-valid-token');
    await page.click('#login-submit');
    await until(page, 'the rejection on the form', loginShows,
                'Sign-in failed: the host cluster did not accept the token');
    assert.deepEqual(await page.evaluate(stored), {session: null, local: 0});

    // A pasted "Bearer ..." works as well as the bare token.
    await page.fill('#login-token', '  Bearer admin-token\n');
    await page.click('#login-submit');
    await until(page, 'the page to go live', isLive);
    await until(page, 'the objects', () => visibleRows().length === 4 &&
                document.querySelectorAll('tr[data-testid="cluster-row"]').length === 2);
    assert.equal(await page.evaluate(() => textOf('user-name')), 'admin');
    assert.equal(await page.evaluate(() => document.getElementById('sign-out').hidden), false);
    // The token is in sessionStorage only, never in localStorage or the address.
    assert.deepEqual(await page.evaluate(stored), {session: 'admin-token', local: 0});
    assert.ok(!page.url().includes('admin-token'), page.url());
    // Every API call after signing in carried it.
    const i = fixture.stats.authorizations.indexOf('Bearer admin-token');
    assert.ok(i > 0);
    assert.deepEqual([...new Set(fixture.stats.authorizations.slice(i))], ['Bearer admin-token']);
    assert.ok(!fixture.stats.paths.some((p) => p.includes('admin-token')));

    // A reload keeps the session (same tab) and goes straight in.
    await page.reload();
    await until(page, 'live after a reload', isLive);
    assert.equal(await page.evaluate(() => textOf('user-name')), 'admin');
  }, {token: null});
});

test('sign out forgets the token and the data', async () => {
  await withDashboard('signout', async ({page}) => {
    await until(page, 'the objects', () => visibleRows().length === 4);
    await page.click(`tr[data-object="${BROKEN}"] td[data-cluster="member2"] button`);
    await until(page, 'the detail view', () => textOf('detail-reason') === 'ApplyOverridesFailed');
    await page.click('#sign-out');
    await until(page, 'the sign-in form', loginShows, '');
    assert.deepEqual(await page.evaluate(stored), {session: null, local: 0});
    assert.equal(await page.evaluate(() => document.querySelectorAll(
        'tr[data-testid="object-row"], tr[data-testid="cluster-row"]').length), 0);
    assert.equal(await page.evaluate(() => document.getElementById('detail').hidden), true);
    await page.reload();
    await until(page, 'the sign-in form after a reload', loginShows, '');
    // Signing in again as someone else shows what they may see.
    await signIn(page, 'viewer-token');
    await until(page, 'live as the viewer', isLive);
    assert.equal(await page.evaluate(() => textOf('user-name')),
                 'system:serviceaccount:demo:viewer');
  });
});

test('a token the server stops accepting returns to the sign-in form with its message',
     async () => {
  await withDashboard('revoked', async ({page, fixture}) => {
    const {model} = fixture;
    fixture.revoke('admin-token');
    // Ends the pending watch; the next call gets 401.
    model.upsertObject(fixedBroken(model));
    await until(page, 'the sign-in form with the reason', loginShows,
                'Signed out: the host cluster did not accept the token');
    assert.deepEqual(await page.evaluate(stored), {session: null, local: 0});
    assert.equal(await page.evaluate(() => document.querySelectorAll(
        'tr[data-testid="object-row"]').length), 0);
  });
});

test('403 on the clusters: a note instead of the table, and the objects the user may read',
     async () => {
  await withDashboard('forbidden', async ({page, fixture}) => {
    const {model} = fixture;
    await until(page, 'the note', () => {
      const note = document.getElementById('clusters-forbidden');
      return !note.hidden && note.innerText.includes('You may not list member clusters') &&
             note.innerText.includes('cannot list resource "kubefedclusters"');
    });
    assert.equal(await page.evaluate(() => document.getElementById('clusters').hidden), true);
    // The viewer may read namespace demo only: web's objects are left out without notice.
    await until(page, 'the objects of demo', rowsAre, [BROKEN, GOOD]);
    assert.deepEqual(await page.evaluate(cellOf, [BROKEN, 'member2']),
                     {state: 'Error', text: 'Error ApplyOverridesFailed'});
    // Objects follow the watch; cluster changes never reach this user.
    model.upsertCluster({name: 'member9', health: 'Offline'});
    model.upsertObject(fixedBroken(model));
    await until(page, 'the fixed cell', cellIs, [BROKEN, 'member2', 'Propagated']);
    assert.equal(await page.evaluate(() => !!document.querySelector('th[data-cluster="member9"]')),
                 false);
    // Nor do changes to objects elsewhere.
    model.upsertObject({ref: {type: 'configmaps', kind: 'FederatedConfigMap', namespace: 'web',
                              name: 'elsewhere'}, propagation: 'True'});
    const good = model.objects.get(GOOD);
    model.upsertObject({...good, clusters: [good.clusters[0],
                                            {cluster: 'member2', state: 'Error',
                                             reason: 'UpdateFailed'}]});
    // Events arrive in order: once the later one shows, the earlier one was left out.
    await until(page, 'the later change in demo', cellIs, [GOOD, 'member2', 'Error']);
    assert.deepEqual(await page.evaluate(() => visibleRows()), [BROKEN, GOOD]);
    assert.equal(await page.evaluate(() => textOf('connection')), 'live');

    // A link to an object the user may not read: the detail view says so (403).
    await page.goto(`${fixture.url}?object=${encodeURIComponent('secrets/web/token')}` +
                    '&cluster=member1');
    await until(page, 'the refusal in the detail view', () =>
      !document.getElementById('detail-error').hidden &&
      textOf('detail-error').startsWith('You may not read this object: ') &&
      textOf('detail-error').includes('cannot get resource "federatedsecrets"'));
  }, {token: 'viewer-token'});
});

test('replica scheduling: each RSP with its distribution and problem, as the user may see',
     async () => {
  const rsp = (namespace, name, clusters, problem) => ({
    namespace, name, targetKind: 'FederatedDeployment', totalReplicas: 9, clusters,
    problemReason: problem ? 'ReplicasUnplaced' : '', problemMessage: problem || '',
  });
  const rspText = (id) => {
    const row = document.querySelector(`tr[data-testid="rsp-row"][data-rsp="${CSS.escape(id)}"]`);
    return row ? row.innerText.replace(/\s+/g, ' ').trim() : null;
  };
  // Admin: both RSPs; the panel stays hidden while there are none.
  await withDashboard('rsps', async ({page, fixture}) => {
    assert.equal(await page.evaluate(() => document.getElementById('rsps-section').hidden), true);
    fixture.model.preferences = [
      rsp('demo', 'web', [{cluster: 'member1', plannedReplicas: 3, memberKnown: true,
                           memberReplicas: 3, memberReadyReplicas: 3},
                          {cluster: 'member2', plannedReplicas: 6}]),
      rsp('web', 'shop', [{cluster: 'member1', plannedReplicas: 7, memberKnown: true,
                           memberReplicas: 7, memberReadyReplicas: 5}],
          '2 of 9 replicas fit in no ready cluster'),
    ];
    // Listed again with the next watch answer: a change wakes it.
    fixture.model.upsertCluster({...fixture.model.clusters.get('member1'), message: 'poke'});
    await until(page, 'both RSPs', (id) => !!document.querySelector(
        `tr[data-testid="rsp-row"][data-rsp="${CSS.escape(id)}"]`), 'web/shop');
    assert.equal(await page.evaluate(rspText, 'demo/web'),
                 'demo/web FederatedDeployment 9 member1: 3 (3/3) member2: 6 (no copy) —');
    assert.equal(await page.evaluate(rspText, 'web/shop'),
                 'web/shop FederatedDeployment 9 member1: 7 (5/7) ReplicasUnplaced ' +
                 '2 of 9 replicas fit in no ready cluster');
    assert.equal(await page.evaluate(() => textOf('rsp-count')), '(2)');
  });
  // The viewer may read namespace demo only: web's RSP is left out.
  await withDashboard('rsps-viewer', async ({page, fixture}) => {
    fixture.model.preferences = [
      rsp('demo', 'web', [{cluster: 'member1', plannedReplicas: 9}]),
      rsp('web', 'shop', [{cluster: 'member1', plannedReplicas: 9}]),
    ];
    fixture.model.upsertObject(fixedBroken(fixture.model));
    await until(page, 'demo\'s RSP', (id) => !!document.querySelector(
        `tr[data-testid="rsp-row"][data-rsp="${CSS.escape(id)}"]`), 'demo/web');
    assert.equal(await page.evaluate(() => document.querySelectorAll(
        'tr[data-testid="rsp-row"]').length), 1);
  }, {token: 'viewer-token'});
});

test('multi-cluster services: import, export conditions, endpoints, members without CRDs',
     async () => {
  const condition = (type, status, reason, message) => ({type, status, reason, message});
  const fine = [condition('Valid', 'True', 'Valid', ''), condition('Conflict', 'False', 'NoConflicts', ''),
                condition('Ready', 'True', 'Exported', 'ServiceImport demo/web is in 2 clusters')];
  const service = (namespace, name) => ({
    namespace, name, type: 'ClusterSetIP', ips: ['240.96.0.1'],
    ports: [{name: 'http', protocol: 'TCP', port: 80}], sessionAffinity: 'None',
    exports: [
      {cluster: 'member1', clusterId: 'uid-1', conditions: fine},
      {cluster: 'member2', clusterId: 'uid-2', conditions: [
        condition('Valid', 'True', 'Valid', ''),
        condition('Conflict', 'True', 'PortConflict', 'port "http": 80/TCP from member1 wins over 81/TCP'),
        condition('Ready', 'True', 'Exported', '')]},
    ],
    endpoints: [{cluster: 'member1', clusterId: 'uid-1', ready: 2, total: 3},
                {cluster: 'member2', clusterId: 'uid-2', ready: 0, total: 0}],
    importingClusters: ['member1', 'member2'],
    namespaceMissingClusters: ['member3'],
    lastReconcileUnixMs: Date.now(),
  });
  const serviceInfo = (id) => {
    const row = document.querySelector(
        `tr[data-testid="service-row"][data-service="${CSS.escape(id)}"]`);
    if (!row) return null;
    const cell = (t) => row.querySelector(`[data-testid="${t}"]`).innerText.replace(/\s+/g, ' ').trim();
    return {
      import: cell('service-import'),
      exports: [...row.querySelectorAll('[data-testid="service-export"]')].map((e) =>
        `${e.dataset.cluster}:${e.dataset.ok}`),
      problems: [...row.querySelectorAll('[data-testid="service-problem"]')].map((e) => e.textContent),
      endpoints: [...row.querySelectorAll('[data-testid="service-endpoints"]')].map((e) =>
        `${e.dataset.cluster}=${e.dataset.ready}/${e.dataset.total}`),
      importing: cell('service-importing'),
    };
  };
  await withDashboard('services', async ({page, fixture}) => {
    assert.equal(await page.evaluate(() => document.getElementById('services-section').hidden), true);
    fixture.model.services = [service('demo', 'web'), service('web', '<b>shop</b>')];
    fixture.model.mcsMembers = [{cluster: 'member1', state: 'Active'},
                                {cluster: 'member3', state: 'NoCrds',
                                 message: 'mcs: cluster member3 does not serve the mcs-api CRDs'}];
    fixture.model.upsertCluster({...fixture.model.clusters.get('member1'), message: 'poke'});
    await until(page, 'both services', (id) => !!document.querySelector(
        `tr[data-testid="service-row"][data-service="${CSS.escape(id)}"]`), 'web/<b>shop</b>');
    const web = await page.evaluate(serviceInfo, 'demo/web');
    assert.equal(web.import, 'ClusterSetIP 240.96.0.1 http:80/TCP');
    assert.deepEqual(web.exports, ['member1:true', 'member2:false']);
    assert.deepEqual(web.problems,
                     ['Conflict PortConflict: port "http": 80/TCP from member1 wins over 81/TCP']);
    assert.deepEqual(web.endpoints, ['member1=2/3', 'member2=0/0']);
    assert.equal(web.importing, 'member1, member2 namespace missing in member3');
    assert.equal(await page.evaluate(() => textOf('service-count')), '(2)');
    // A name is text, never markup.
    assert.equal(await page.evaluate(() => document.querySelectorAll('#services-body b').length), 0);
    // Only members that take no part are listed.
    assert.deepEqual(await page.evaluate(() => [...document.querySelectorAll(
        '[data-testid="mcs-member"]')].map((e) => `${e.dataset.cluster}:${e.dataset.state}`)),
                     ['member3:NoCrds']);
    // The service goes: its row goes with the next list.
    fixture.model.services = [service('demo', 'web')];
    fixture.model.upsertCluster({...fixture.model.clusters.get('member1'), message: 'poke 2'});
    await until(page, 'one service', () => document.querySelectorAll(
        'tr[data-testid="service-row"]').length === 1);
  });
  // The viewer may read namespace demo only and may not list clusters: demo's service, no
  // member list.
  await withDashboard('services-viewer', async ({page, fixture}) => {
    fixture.model.services = [service('demo', 'web'), service('web', 'shop')];
    fixture.model.mcsMembers = [{cluster: 'member3', state: 'NoCrds', message: 'no CRDs'}];
    fixture.model.upsertObject(fixedBroken(fixture.model));
    await until(page, 'demo\'s service', (id) => !!document.querySelector(
        `tr[data-testid="service-row"][data-service="${CSS.escape(id)}"]`), 'demo/web');
    assert.equal(await page.evaluate(() => document.querySelectorAll(
        'tr[data-testid="service-row"]').length), 1);
    assert.equal(await page.evaluate(() => document.getElementById('mcs-members').hidden), true);
  }, {token: 'viewer-token'});
});

test('503 (the host cannot review tokens) shows the server\'s message', async () => {
  await withDashboard('unavailable', async ({page, fixture}) => {
    const {model} = fixture;
    // On the form: the sign-in cannot be checked.
    fixture.unavailable(true);
    await page.fill('#login-token', 'admin-token');
    await page.click('#login-submit');
    await until(page, 'the message on the form', loginShows, 'cannot review the token');
    fixture.unavailable(false);
    await page.click('#login-submit');
    await until(page, 'the page to go live', isLive);

    // Signed in: the page says why it is not live, and recovers.
    fixture.unavailable(true);
    model.upsertObject(fixedBroken(model));
    await until(page, 'the notice', () => textOf('connection') === 'reconnecting' &&
                !document.getElementById('notice').hidden &&
                textOf('notice').includes('cannot review the token'));
    fixture.unavailable(false);
    await until(page, 'live again', isLive, undefined, 60000);
    await until(page, 'the change made meanwhile', cellIs, [BROKEN, 'member2', 'Propagated']);
    assert.equal(await page.evaluate(() => document.getElementById('notice').hidden), true);
  }, {token: null});
});

test('behind a proxy that adds the token (kfedctl dashboard) the page goes straight in',
     async () => {
  await withDashboard('proxied', async ({page, fixture}) => {
    await until(page, 'the objects', () => visibleRows().length === 4);
    assert.equal(await page.evaluate(() => textOf('user-name')), 'admin');
    assert.equal(await page.evaluate(() => document.getElementById('sign-out').hidden), true);
    assert.equal(await page.evaluate(() => document.getElementById('login').hidden), true);
    assert.deepEqual(await page.evaluate(stored), {session: null, local: 0});
    assert.deepEqual([...new Set(fixture.stats.authorizations)], ['']);
  }, {proxyToken: 'admin-token'});
});
