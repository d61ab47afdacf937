// A node:test reporter writing JUnit XML with a tests/failures count on <testsuites>, which
// Bazel keeps as test.xml and hack/test.sh counts (node's own junit reporter omits the counts).
'use strict';

const escape = (s) => String(s).replace(/[<>&"]/g, (c) => ({'<': '&lt;', '>': '&gt;', '&': '&amp;',
                                                            '"': '&quot;'})[c]);

module.exports = async function* junit(source) {
  const cases = [];
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const {name, details} = event.data;
    if (details && details.type === 'suite') continue;
    const error = event.type === 'test:fail' ? details.error : null;
    cases.push({name, seconds: ((details && details.duration_ms) || 0) / 1000,
                failure: error ? String((error.cause && error.cause.stack) || error.stack ||
                                        error.message || error) : null});
  }
  const failures = cases.filter((c) => c.failure).length;
  yield '<?xml version="1.0" encoding="UTF-8"?>\n';
  yield `<testsuites tests="${cases.length}" failures="${failures}" errors="0">\n`;
  yield `  <testsuite name="dashboard" tests="${cases.length}" failures="${failures}" errors="0">\n`;
  for (const c of cases) {
    yield `    <testcase name="${escape(c.name)}" time="${c.seconds.toFixed(3)}"`;
    yield c.failure ? `>\n      <failure message="failed">${escape(c.failure)}</failure>\n` +
                      '    </testcase>\n' : '/>\n';
  }
  yield '  </testsuite>\n</testsuites>\n';
};
