// Shared by the dashboard's browser tests: loads playwright-core from outside the source tree,
// launches Debian's headless Chromium, waits on DOM conditions with deadlines and keeps
// screenshots as test artifacts.
'use strict';

const os = require('os');
const path = require('path');

// playwright-core is installed by e2e/browser/install.sh (hack/test.sh passes its
// node_modules as KFED_BROWSER_NODE_MODULES; the default is install.sh's default).
function nodeModules() {
  return process.env.KFED_BROWSER_NODE_MODULES ||
         path.join(process.env.KFED_CACHE || path.join(os.homedir(), '.cache', 'kfed'),
                   'browser', 'node_modules');
}

function playwright() {
  const dir = nodeModules();
  try {
    return require(path.join(dir, 'playwright-core'));
  } catch (e) {
    throw new Error(`playwright-core not found in ${dir} (${e.message}); run ` +
                    'e2e/browser/install.sh and pass --test_env=KFED_BROWSER_NODE_MODULES=<the ' +
                    'directory it prints>, or run hack/test.sh');
  }
}

// Debian's chromium, never a browser downloaded by Playwright.
const CHROMIUM = process.env.KFED_CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
                       '--disable-background-networking', '--disable-component-update',
                       '--no-first-run', '--disable-sync'];

async function launch() {
  return playwright().chromium.launch({executablePath: CHROMIUM, headless: true,
                                       args: CHROMIUM_ARGS, timeout: 60000});
}

// A page that records uncaught exceptions and console errors, so tests can require none.
// Chromium's own "Failed to load resource" lines (HTTP errors the page handles, such as 410)
// are not problems.
// `contextOptions` are Playwright's (e.g. ignoreHTTPSErrors for a self-signed server).
async function newPage(browser, viewport, contextOptions) {
  const context = await browser.newContext({viewport: viewport || {width: 1400, height: 900},
                                            ...(contextOptions || {})});
  const page = await context.newPage();
  page.problems = [];
  page.on('pageerror', (e) => page.problems.push(`uncaught: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) {
      page.problems.push(`console.error: ${m.text()}`);
    }
  });
  return page;
}

// Waits until `predicate(arg)` (run in the page) returns a truthy value, for at most
// `timeoutMs`. On timeout the error names `what` and shows the page's connection state and
// matrix text, so a failure says what the page did show.
async function until(page, what, predicate, arg, timeoutMs = 30000) {
  try {
    return await page.waitForFunction(predicate, arg, {timeout: timeoutMs, polling: 100});
  } catch (e) {
    let shown = '';
    try {
      shown = await page.evaluate(() => {
        const text = (id) => {
          const e = document.getElementById(id);
          return e ? e.innerText.replace(/\s+/g, ' ').slice(0, 1500) : '(none)';
        };
        return `connection: ${text('connection')}\nclusters: ${text('clusters')}\n` +
               `matrix: ${text('matrix')}\ndetail: ${text('detail')}`;
      });
    } catch (ignored) {
      // The page itself may be gone; the original error says why.
    }
    throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}\n${e.message}\n` +
                    `the page showed:\n${shown}\nproblems: ${page.problems.join('; ')}`);
  }
}

// Where to keep a screenshot: Bazel's undeclared outputs directory (kept under
// bazel-testlogs/<target>/test.outputs/), else the temporary directory.
function artifactPath(name) {
  return path.join(process.env.TEST_UNDECLARED_OUTPUTS_DIR || os.tmpdir(), name);
}

module.exports = {launch, newPage, until, artifactPath, playwright, CHROMIUM};
