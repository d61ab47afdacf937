// The browser half of //e2e:dashboard_browser_test (e2e/dashboard_browser_test.cc starts the
// controller on the real local clusters, creates the objects below and runs this script).
//
// Environment:
//   KFED_DASHBOARD_URL        the dashboard, e.g. http://127.0.0.1:PORT/
//   KFED_DASHBOARD_NAMESPACE  the host namespace holding this test's objects:
//                             FederatedConfigMaps "good" (both members) and "broken" (an override
//                             for member2 replacing a path that does not exist), a
//                             FederatedSecret "token" (member1 only) and the namespace's own
//                             FederatedNamespace
//   KFED_DASHBOARD_BAD_PATH   the override path that does not exist
//   KFED_DASHBOARD_FIX        a JSON argv that fixes the override (kubectl patch on the host)
//   KFED_DASHBOARD_TOKEN      a bearer token the host accepts, whose user may read this test's
//                             objects and list the clusters: the page is signed in with it
//                             through the sign-in form (after a wrong token is refused). Unset:
//                             the controller asks for none.
//   KFED_DASHBOARD_USER       the username the page must show once signed in (optional)
//   KFED_DASHBOARD_SERVICE    "namespace/name" of a Service member1 exports (Multi-Cluster
//                             Services, one Ready pod): the panel must show it (optional)
//
// Every check waits on the page's DOM with a deadline; the page is never reloaded, so the
// final Propagated cell must arrive through the live watch. Screenshots are kept in
// $TEST_UNDECLARED_OUTPUTS_DIR: dashboard-error.png (the broken cell's detail) and
// dashboard.png (after the fix).
'use strict';

const {execFileSync} = require('child_process');

const {launch, newPage, until, artifactPath} = require('./browser.js');

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (run by //e2e:dashboard_browser_test)`);
  return v;
};
const URL = env('KFED_DASHBOARD_URL');
const NS = env('KFED_DASHBOARD_NAMESPACE');
const BAD_PATH = env('KFED_DASHBOARD_BAD_PATH');
const FIX = JSON.parse(env('KFED_DASHBOARD_FIX'));
const SIGN_IN_TOKEN = process.env.KFED_DASHBOARD_TOKEN || '';
const SIGN_IN_USER = process.env.KFED_DASHBOARD_USER || '';
const SERVICE = process.env.KFED_DASHBOARD_SERVICE || '';
const MEMBERS = ['member1', 'member2'];
const BROKEN = `configmaps/${NS}/broken`;
const GOOD = `configmaps/${NS}/good`;
const TOKEN = `secrets/${NS}/token`;
// The test's namespace is federated too (a FederatedNamespace named after it).
const NAMESPACE = `namespaces/${NS}/${NS}`;
// The machine is shared with builds and clusters: generous deadlines, never fixed sleeps.
const DEADLINE_MS = 90000;

const step = (what) => console.log(`[dashboard_test] ${new Date().toISOString()} ${what}`);

// Condition helpers, defined in the page.
function pageHelpers() {
  const cellTd = (key, cluster) => document.querySelector(
      `tr[data-object="${CSS.escape(key)}"] td[data-cluster="${CSS.escape(cluster)}"]`);
  window.cellIs = ([key, cluster, state, reason]) => {
    const td = cellTd(key, cluster);
    return !!td && td.dataset.state === state && td.innerText.includes(state) &&
           (!reason || td.innerText.includes(reason));
  };
  window.visibleRows = () => [...document.querySelectorAll('tr[data-testid="object-row"]')]
      .filter((r) => !r.hidden).map((r) => r.dataset.object);
  window.rowsAre = (want) => JSON.stringify(window.visibleRows()) === JSON.stringify(want);
  window.textOf = (id) => document.getElementById(id).innerText;
}
const cellIs = (arg) => window.cellIs(arg);
const rowsAre = (want) => window.rowsAre(want);

async function main() {
  const browser = await launch();
  // The controller's certificate is self-signed (made at start); the page's own checks are
  // what this test is about, so the browser accepts it.
  const page = await newPage(browser, {width: 1500, height: 950}, {ignoreHTTPSErrors: true});
  await page.addInitScript(pageHelpers);
  try {
    step(`opening ${URL}`);
    await page.goto(URL);
    await until(page, 'the page title', () => document.title.includes('kfed'), undefined,
                DEADLINE_MS);
    if (SIGN_IN_TOKEN) {
      step('signing in: a wrong token is refused with the controller\'s message');
      await until(page, 'the sign-in form', () => !document.getElementById('login').hidden &&
                  document.getElementById('app').hidden, undefined, DEADLINE_MS);
      await page.fill('#login-token', 'not-a-token-the-host-knows');
      await page.click('#login-submit');
      await until(page, 'the refusal', () => {
        const err = document.getElementById('login-error');
        return !err.hidden && err.innerText.startsWith('Sign-in failed: ') &&
               document.getElementById('app').hidden;
      }, undefined, DEADLINE_MS);
      step('signing in with the fixture\'s token');
      await page.fill('#login-token', SIGN_IN_TOKEN);
      await page.click('#login-submit');
      await until(page, 'signed in', (user) => !document.getElementById('user').hidden &&
                  (!user || textOf('user-name') === user), SIGN_IN_USER, DEADLINE_MS);
      const stored = await page.evaluate(() => [sessionStorage.getItem('kfed.token') !== null,
                                                localStorage.length]);
      if (stored[0] !== true || stored[1] !== 0) {
        throw new Error(`the token must be in sessionStorage only: ${stored}`);
      }
      if (page.url().includes(SIGN_IN_TOKEN)) throw new Error('the token is in the address');
    }
    await until(page, 'the live indicator', () => textOf('connection') === 'live', undefined,
                DEADLINE_MS);

    step('both members are listed with health Ready');
    await until(page, 'member1 and member2 Ready', (members) => members.every((m) => {
      const row = document.querySelector(`tr[data-testid="cluster-row"][data-cluster="${m}"]`);
      return !!row && row.querySelector('[data-testid="cluster-health"]').innerText === 'Ready';
    }), MEMBERS, DEADLINE_MS);
    await until(page, 'a matrix column per member', (members) => members.every(
        (m) => !!document.querySelector(`#matrix-head th[data-cluster="${m}"]`)), MEMBERS,
                DEADLINE_MS);

    if (SERVICE) {
      step(`multi-cluster services: ${SERVICE} exported from member1, imported in both`);
      await until(page, 'the exported service with its conditions and endpoints', (id) => {
        const row = document.querySelector(
            `tr[data-testid="service-row"][data-service="${CSS.escape(id)}"]`);
        if (!row || document.getElementById('services-section').hidden) return false;
        const exports = [...row.querySelectorAll('[data-testid="service-export"]')];
        const endpoints = [...row.querySelectorAll('[data-testid="service-endpoints"]')];
        return exports.length === 1 && exports[0].dataset.cluster === 'member1' &&
               exports[0].dataset.ok === 'true' &&
               exports[0].innerText.includes('Valid=True Conflict=False Ready=True') &&
               endpoints.length === 1 && endpoints[0].dataset.ready === '1' &&
               endpoints[0].dataset.total === '1' &&
               row.querySelector('[data-testid="service-import"]').innerText
                   .startsWith('ClusterSetIP 240.') &&
               row.querySelector('[data-testid="service-importing"]').innerText
                   .startsWith('member1, member2');
      }, SERVICE, DEADLINE_MS);
    }

    step(`namespace filter ${NS}: this test's objects and its FederatedNamespace`);
    await until(page, 'the namespace among the filter options', (ns) =>
      [...document.getElementById('filter-namespace').options].some((o) => o.value === ns),
                NS, DEADLINE_MS);
    await page.selectOption('#filter-namespace', NS);
    await until(page, 'only this namespace\'s objects', rowsAre,
                [BROKEN, GOOD, NAMESPACE, TOKEN], DEADLINE_MS);

    step('cells: the broken override is an Error in member2 only');
    await until(page, 'broken/member2 Error ApplyOverridesFailed', cellIs,
                [BROKEN, 'member2', 'Error', 'ApplyOverridesFailed'], DEADLINE_MS);
    for (const [key, cluster] of [[BROKEN, 'member1'], [GOOD, 'member1'], [GOOD, 'member2'],
                                  [TOKEN, 'member1']]) {
      await until(page, `${key} in ${cluster} Propagated`, cellIs, [key, cluster, 'Propagated'],
                  DEADLINE_MS);
    }
    await until(page, 'the secret not placed in member2', (key) => {
      const td = document.querySelector(`tr[data-object="${key}"] td[data-cluster="member2"]`);
      return !!td && td.dataset.state === 'None';
    }, TOKEN, DEADLINE_MS);

    step('filters: state Error, then type secrets');
    await page.selectOption('#filter-state', 'Error');
    await until(page, 'state=Error shows only the broken object', rowsAre, [BROKEN], DEADLINE_MS);
    await page.selectOption('#filter-state', '');
    await page.selectOption('#filter-type', 'secrets');
    await until(page, 'type=secrets shows only the secret', rowsAre, [TOKEN], DEADLINE_MS);
    await page.selectOption('#filter-type', 'configmaps');
    await until(page, 'type=configmaps shows the two ConfigMaps', rowsAre, [BROKEN, GOOD],
                DEADLINE_MS);

    step('detail: member1 renders the template');
    await page.click(`tr[data-object="${BROKEN}"] td[data-cluster="member1"] button`);
    await until(page, 'the rendered ConfigMap for member1', () =>
      textOf('detail-title').endsWith('broken in member1') &&
      textOf('detail-state') === 'Propagated' &&
      textOf('detail-rendered').includes('"kind": "ConfigMap"') &&
      textOf('detail-rendered').includes('"color": "blue"'), undefined, DEADLINE_MS);

    step('detail: member2 names the missing path');
    await page.click(`tr[data-object="${BROKEN}"] td[data-cluster="member2"] button`);
    await until(page, 'the error in the detail view', (path) =>
      textOf('detail-title').endsWith('broken in member2') &&
      textOf('detail-state') === 'Error' &&
      textOf('detail-reason') === 'ApplyOverridesFailed' &&
      textOf('detail-message').includes(path) &&
      textOf('detail-render-error').includes(path) &&
      textOf('detail-overrides').includes(path), BAD_PATH, DEADLINE_MS);
    await page.screenshot({path: artifactPath('dashboard-error.png'), fullPage: true});

    step(`fixing the override: ${FIX.slice(-4).join(' ')}`);
    await page.evaluate(() => { window.kfedNotReloaded = true; });
    execFileSync(FIX[0], FIX.slice(1), {stdio: 'inherit', timeout: 60000});

    step('the cell turns Propagated live');
    await until(page, 'broken/member2 Propagated', cellIs, [BROKEN, 'member2', 'Propagated'],
                DEADLINE_MS);
    await until(page, 'the detail view Propagated with the fixed rendering', () =>
      textOf('detail-state') === 'Propagated' && textOf('detail-reason') === '—' &&
      textOf('detail-render-error') === '—' &&
      textOf('detail-rendered').includes('"color": "fixed"'), undefined, DEADLINE_MS);
    await page.selectOption('#filter-state', 'Error');
    await until(page, 'state=Error shows nothing here now', rowsAre, [], DEADLINE_MS);
    await page.selectOption('#filter-state', '');
    await until(page, 'both ConfigMaps again', rowsAre, [BROKEN, GOOD], DEADLINE_MS);
    if (await page.evaluate(() => window.kfedNotReloaded) !== true) {
      throw new Error('the page reloaded: the change must arrive through the watch');
    }
    if (page.problems.length) throw new Error(`the page logged errors: ${page.problems}`);
    await page.screenshot({path: artifactPath('dashboard.png'), fullPage: true});
    step(`PASS; screenshots in ${artifactPath('')}`);
  } catch (e) {
    await page.screenshot({path: artifactPath('dashboard-failure.png'), fullPage: true})
        .catch(() => {});
    throw e;
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  console.error(`[dashboard_test] FAIL: ${e.stack || e}`);
  process.exit(1);
});
