// kfed dashboard: lists clusters and federated objects from the status HTTP API, then follows
// the long-poll watch (api/v1/watch). On HTTP 410 (resume point too old) or any error it lists
// again, with exponential backoff, and shows "reconnecting" meanwhile.
//
// The JSON is protobuf's JSON mapping of status/status.proto: lowerCamelCase, int64 values as
// strings, and fields holding their default value ("" , 0, [], false) omitted, so every read
// below supplies the default.
//
// Sign-in (docs/user-guide.md#signing-in), as the Kubernetes Dashboard does it: the page first
// asks api/v1/whoami. 200 (e.g. behind `kfedctl dashboard`, which adds the user's token) goes
// straight in; 401 shows a form for a bearer token, kept in sessionStorage only (never
// localStorage, never in the URL) and sent as `Authorization: Bearer` on every API call. A 401
// later signs out and shows the server's message on the form; a 403 on api/v1/clusters shows a
// note instead of the clusters table while the objects the caller may see still show.
//
// Rendering is incremental: watch events mark object keys dirty and one animation frame
// updates only those rows, so hundreds of objects stay responsive. All text is set with
// textContent (never innerHTML), so names and messages cannot inject markup.
'use strict';

(() => {
  const STATES = ['Propagated', 'Pending', 'Error', 'Deleting'];
  const WATCH_TIMEOUT_SECONDS = 30;
  const BACKOFF_MIN_MS = 500;
  const BACKOFF_MAX_MS = 15000;
  const TOKEN_KEY = 'kfed.token';  // sessionStorage: gone when the tab closes

  // ---- model ------------------------------------------------------------------------------
  const clusters = new Map();  // name -> Cluster
  const objects = new Map();   // key -> FederatedObject
  let columns = [];            // cluster names shown as matrix columns, sorted

  // ---- view state -------------------------------------------------------------------------
  const rows = new Map();      // key -> {tr, sig}
  let sortedKeys = [];         // keys of `rows`, in display order
  const dirty = new Set();     // object keys to re-render
  let clustersDirty = false;
  let frameRequested = false;
  const filters = {type: '', namespace: '', state: '', q: ''};
  let selected = null;         // {key, cluster} shown in the detail view
  let detailSeq = 0;           // drops stale detail responses
  let detailRefreshTimer = 0;
  let listed = false;          // the first list arrived
  let clustersForbidden = '';  // the server's message when the caller may not list clusters
  let rspSeq = 0;              // drops stale ReplicaSchedulingPreference lists
  let serviceSeq = 0;          // drops stale multi-cluster service lists (services.js)

  // ---- session ------------------------------------------------------------------------------
  let token = '';              // the bearer token the page sends; '' when the server needs none
  let session = null;          // {abort: AbortController} while signed in, else null
  let startEpoch = 0;          // bumped by sign-in and sign-out: ends start()'s retries

  const {$, el, str, num, arr} = window.kfedDom;  // dom.js

  // ---- protobuf JSON accessors (defaults for omitted fields) ------------------------------
  const refOf = (o) => o.ref || {};
  const keyOf = (o) => {
    const r = refOf(o);
    return `${str(r.type)}/${str(r.namespace)}/${str(r.name)}`;
  };
  const statesOf = (o) => arr(o.clusters);
  const stateIn = (o, cluster) => statesOf(o).find((c) => str(c.cluster) === cluster) || null;
  const compareKeys = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

  function formatTime(ms) {
    const n = num(ms);
    if (!n) return '';
    return new Date(n).toLocaleString();
  }
  function formatAge(ms) {
    const n = num(ms);
    if (!n) return '';
    const s = Math.max(0, Math.round((Date.now() - n) / 1000));
    if (s < 60) return `${s}s ago`;
    if (s < 3600) return `${Math.floor(s / 60)}m ago`;
    if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
    return `${Math.floor(s / 86400)}d ago`;
  }

  // ---- HTTP --------------------------------------------------------------------------------
  // `reason` is the server's own message ({"error": "..."}), shown as it is on the sign-in
  // form and in notes.
  class HttpError extends Error {
    constructor(status, message, reason) {
      super(message);
      this.status = status;
      this.reason = reason || message;
    }
  }

  // Thrown instead of HttpError when the session ended (signed out) while a call was pending.
  class SessionEnded extends Error {}

  // GET `path` as JSON with the session's token. `options.token` overrides it (the sign-in
  // form checks a token before keeping it); `options.signal` aborts with the session.
  async function getJSON(path, params, timeoutMs, options) {
    const opts = options || {};
    const query = new URLSearchParams(params || {}).toString();
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs || 15000);
    const signal = opts.signal || (session && session.abort.signal);
    const onEnd = () => controller.abort();
    if (signal) {
      if (signal.aborted) throw new SessionEnded('signed out');
      signal.addEventListener('abort', onEnd);
    }
    const bearer = opts.token !== undefined ? opts.token : token;
    const headers = bearer ? {Authorization: `Bearer ${bearer}`} : {};
    try {
      const resp = await fetch(query ? `${path}?${query}` : path,
                               {cache: 'no-store', signal: controller.signal, headers,
                                credentials: 'same-origin'});
      const text = await resp.text();
      let body = null;
      try {
        body = text ? JSON.parse(text) : {};
      } catch (e) {
        throw new HttpError(resp.status, `${path}: not JSON (HTTP ${resp.status})`);
      }
      if (!resp.ok) {
        const reason = str(body && body.error) || `HTTP ${resp.status}`;
        throw new HttpError(resp.status, `${path}: HTTP ${resp.status}: ${reason}`, reason);
      }
      return body;
    } catch (e) {
      if (e.name === 'AbortError') {
        if (signal && signal.aborted) throw new SessionEnded('signed out');
        throw new HttpError(0, `${path}: timed out`);
      }
      throw e;
    } finally {
      clearTimeout(timer);
      if (signal) signal.removeEventListener('abort', onEnd);
    }
  }


  // ---- connection indicator ----------------------------------------------------------------
  function setConnection(state, detail) {
    const c = $('connection');
    const text = {connecting: 'connecting', live: 'live', reconnecting: 'reconnecting'}[state];
    if (c.dataset.conn !== state || c.textContent !== text) {
      c.dataset.conn = state;
      c.textContent = text;
    }
    c.title = detail || (state === 'live' ? 'following changes as they happen' : '');
    // The reason the page is not live, readable without hovering (e.g. the server's 503).
    const notice = $('notice');
    const text2 = state === 'reconnecting' && detail ? detail : '';
    if (notice.textContent !== text2) notice.textContent = text2;
    notice.hidden = !text2;
  }

  // ---- applying lists and events -----------------------------------------------------------
  function applyClusterList(list) {
    const seen = new Set();
    for (const c of list.clusters || []) {
      seen.add(str(c.name));
      clusters.set(str(c.name), c);
    }
    for (const name of [...clusters.keys()]) if (!seen.has(name)) clusters.delete(name);
    clustersDirty = true;
  }

  function applyObjectList(list) {
    const seen = new Set();
    for (const o of list.objects || []) {
      const key = keyOf(o);
      seen.add(key);
      objects.set(key, o);
      dirty.add(key);
    }
    for (const key of [...objects.keys()]) {
      if (!seen.has(key)) {
        objects.delete(key);
        dirty.add(key);
      }
    }
  }

  function applyEvent(ev) {
    const type = str(ev.type);
    if (type === 'BOOKMARK') return;
    if (ev.cluster) {
      if (clustersForbidden) return;  // the server sends none; never show a partial table
      const name = str(ev.cluster.name);
      if (type === 'DELETED') clusters.delete(name);
      else clusters.set(name, ev.cluster);
      clustersDirty = true;
      return;
    }
    if (ev.object) {
      const key = keyOf(ev.object);
      const known = objects.get(key);
      if (type === 'DELETED') {
        if (!known) return;
        objects.delete(key);
      } else {
        // An event no newer than what we hold (replayed after a list) changes nothing.
        const rev = num(ev.object.revision) || num(ev.revision);
        if (known && rev && num(known.revision) > rev) return;
        objects.set(key, ev.object);
      }
      dirty.add(key);
      if (selected && selected.key === key) scheduleDetailRefresh();
    }
  }

  function scheduleRender() {
    if (frameRequested) return;
    frameRequested = true;
    // requestAnimationFrame batches a burst of events into one DOM update; the timeout covers
    // hidden tabs, where animation frames do not run.
    const run = () => {
      if (!frameRequested) return;
      frameRequested = false;
      render();
    };
    requestAnimationFrame(run);
    setTimeout(run, 250);
  }

  // ---- filters -----------------------------------------------------------------------------
  function matches(o) {
    const r = refOf(o);
    if (filters.type && str(r.type) !== filters.type) return false;
    if (filters.namespace && str(r.namespace) !== filters.namespace) return false;
    if (filters.state && !statesOf(o).some((c) => str(c.state) === filters.state)) return false;
    if (filters.q) {
      const q = filters.q.toLowerCase();
      const hay = [r.type, r.kind, r.namespace, r.name, o.reason, o.message]
          .concat(statesOf(o).flatMap((c) => [c.reason, c.message]))
          .map(str).join('\n').toLowerCase();
      if (!hay.includes(q)) return false;
    }
    return true;
  }

  function readFiltersFromUrl() {
    const p = new URLSearchParams(location.search);
    filters.type = p.get('type') || '';
    filters.namespace = p.get('namespace') || '';
    filters.state = p.get('state') || '';
    filters.q = p.get('q') || '';
    const obj = p.get('object');
    const cluster = p.get('cluster');
    if (obj && cluster) selected = {key: obj, cluster};
  }

  function writeUrl() {
    const p = new URLSearchParams();
    for (const k of ['type', 'namespace', 'state', 'q']) if (filters[k]) p.set(k, filters[k]);
    if (selected) {
      p.set('object', selected.key);
      p.set('cluster', selected.cluster);
    }
    const q = p.toString();
    history.replaceState(null, '', q ? `?${q}` : location.pathname);
  }

  // Keeps a <select>'s options equal to `values` (plus the current choice, even if it has no
  // objects right now, so a filter from the URL is not lost).
  function syncOptions(select, values, allLabel, current) {
    const want = [...new Set(values.concat(current ? [current] : []))].sort();
    const have = [...select.options].slice(1).map((o) => o.value);
    if (want.length === have.length && want.every((v, i) => v === have[i])) {
      if (select.value !== current) select.value = current;
      return;
    }
    select.replaceChildren(el('option', {value: '', text: allLabel}),
                           ...want.map((v) => el('option', {value: v, text: v})));
    select.value = current;
  }

  function applyFilters() {
    for (const [key, row] of rows) {
      const o = objects.get(key);
      row.tr.hidden = !(o && matches(o));
    }
    updateSummary();
    writeUrl();
  }

  // ---- rendering ---------------------------------------------------------------------------
  function render() {
    const newColumns = computeColumns();
    const columnsChanged = newColumns.join('\n') !== columns.join('\n');
    if (columnsChanged) {
      columns = newColumns;
      renderHead();
      for (const key of objects.keys()) dirty.add(key);
      for (const row of rows.values()) row.sig = '';
    }
    if (clustersDirty || columnsChanged) {
      clustersDirty = false;
      renderClusters();
    }
    if (dirty.size) {
      const keys = [...dirty];
      dirty.clear();
      for (const key of keys) renderRow(key);
      syncOptions($('filter-type'),
                  [...new Set([...objects.values()].map((o) => str(refOf(o).type)))]
                      .filter((t) => t !== ''),
                  'all types', filters.type);
      syncOptions($('filter-namespace'),
                  [...new Set([...objects.values()].map((o) => str(refOf(o).namespace)))]
                      .filter((n) => n !== ''),
                  'all namespaces', filters.namespace);
      updateSummary();
    }
    if (selected) renderDetailFromModel();
  }

  function computeColumns() {
    const names = new Set(clusters.keys());
    for (const o of objects.values()) for (const c of statesOf(o)) names.add(str(c.cluster));
    return [...names].filter((n) => n !== '').sort();
  }

  function renderClusters() {
    $('clusters').hidden = !!clustersForbidden;
    const note = $('clusters-forbidden');
    note.hidden = !clustersForbidden;
    if (clustersForbidden) {
      note.textContent = 'You may not list member clusters, so their health is not shown; the ' +
          'objects below are those you may read. Ask for RBAC "list" on ' +
          'kubefedclusters.core.kubefed.io in the federation namespace to see them. ' +
          `(${clustersForbidden})`;
      $('cluster-count').textContent = '';
    }
    const body = $('clusters-body');
    const items = [...clusters.values()].sort((a, b) => compareKeys(str(a.name), str(b.name)));
    body.replaceChildren(...items.map((c) => {
      const health = str(c.health) || 'Unknown';
      const reason = str(c.reason);
      return el('tr', {'data-testid': 'cluster-row', 'data-cluster': str(c.name),
                       'data-health': health},
                el('th', {scope: 'row', 'data-testid': 'cluster-name', text: str(c.name)}),
                el('td', {},
                   el('span', {className: `health health-${health}`, 'data-testid': 'cluster-health',
                               text: health})),
                el('td', {'data-testid': 'cluster-version', text: str(c.kubernetesVersion) || '—'}),
                el('td', {className: 'mono', text: str(c.apiEndpoint) || '—'}),
                el('td', {title: str(c.message), text: reason || '—'},
                   str(c.message) ? el('div', {className: 'small', text: str(c.message)}) : null),
                el('td', {title: formatTime(c.lastTransitionUnixMs),
                          text: formatAge(c.lastTransitionUnixMs) || '—'}));
    }));
    if (!items.length && !clustersForbidden) {
      body.append(el('tr', {}, el('td', {colspan: 6, className: 'empty',
                                         text: 'No member clusters joined.'})));
    }
    const ready = items.filter((c) => str(c.health) === 'Ready').length;
    if (!clustersForbidden) $('cluster-count').textContent = `(${ready} of ${items.length} Ready)`;
    // Column headers carry each cluster's health too.
    for (const th of $('matrix-head').querySelectorAll('th[data-cluster]')) {
      const c = clusters.get(th.dataset.cluster);
      const health = c ? str(c.health) || 'Unknown' : clustersForbidden ? '' : 'not joined';
      const badge = th.querySelector('.col-health');
      badge.textContent = health;
      badge.className = `col-health health-${health.replace(/\s/g, '')}`;
    }
  }

  // ReplicaSchedulingPreferences the caller may see, with their distribution (not part of the
  // watch: listed again with every watch answer, so at least every WATCH_TIMEOUT_SECONDS).
  function renderRsps(list) {
    const items = arr(list.preferences);
    $('rsps-section').hidden = items.length === 0;
    $('rsp-count').textContent = items.length ? `(${items.length})` : '';
    $('rsps-body').replaceChildren(...items.map((p) => {
      const id = `${str(p.namespace)}/${str(p.name)}`;
      const dist = arr(p.clusters).map((c) => {
        const member = c.memberKnown
          ? ` (${num(c.memberReadyReplicas)}/${num(c.memberReplicas)})` : ' (no copy)';
        return el('span', {className: 'rsp-cluster', 'data-testid': 'rsp-cluster',
                           'data-cluster': str(c.cluster), 'data-planned': num(c.plannedReplicas),
                           'data-ready': c.memberKnown ? num(c.memberReadyReplicas) : '',
                           text: `${str(c.cluster)}: ${num(c.plannedReplicas)}${member}`});
      });
      const problem = str(p.problemReason);
      return el('tr', {'data-testid': 'rsp-row', 'data-rsp': id},
                el('th', {scope: 'row', className: 'mono', text: id}),
                el('td', {text: str(p.targetKind) || '—'}),
                el('td', {'data-testid': 'rsp-total', text: String(num(p.totalReplicas))}),
                el('td', {'data-testid': 'rsp-distribution'},
                   ...(dist.length ? dist.flatMap((d, i) => (i ? [' ', d] : [d])) : ['—'])),
                el('td', {'data-testid': 'rsp-problem', title: str(p.problemMessage),
                          text: problem || '—'},
                   problem ? el('div', {className: 'small', text: str(p.problemMessage)}) : null));
    }));
  }

  async function refreshRsps() {
    const seq = ++rspSeq;
    try {
      const list = await getJSON('api/v1/schedulingpreferences');
      if (seq === rspSeq) renderRsps(list);
    } catch (e) {
      // The objects and clusters report trouble; this panel keeps its last state.
    }
  }

  // Multi-cluster services (services.js renders them); listed like the RSPs.
  async function refreshServices() {
    const seq = ++serviceSeq;
    try {
      const list = await getJSON('api/v1/multiclusterservices');
      if (seq === serviceSeq) window.kfedServices.render(list);
    } catch (e) {
      // The objects and clusters report trouble; this panel keeps its last state.
    }
  }

  function renderHead() {
    const head = $('matrix-head');
    head.replaceChildren(
        el('th', {scope: 'col', text: 'Object'}),
        el('th', {scope: 'col', text: 'Propagation'}),
        ...columns.map((name) => el('th', {scope: 'col', 'data-cluster': name,
                                           'data-testid': 'column'},
                                    el('span', {className: 'col-name', text: name}),
                                    el('span', {className: 'col-health'}))));
  }

  // A row's content as a string, to skip DOM work when a watch event changed nothing visible.
  function signature(o) {
    return JSON.stringify([o.propagation, o.reason, o.message, o.generation,
                           columns.map((c) => {
                             const s = stateIn(o, c);
                             return s ? [s.state, s.reason, s.message] : null;
                           })]);
  }

  function renderRow(key) {
    const o = objects.get(key);
    const row = rows.get(key);
    if (!o) {
      if (row) {
        row.tr.remove();
        rows.delete(key);
        const i = sortedKeys.indexOf(key);
        if (i >= 0) sortedKeys.splice(i, 1);
      }
      return;
    }
    const sig = signature(o);
    if (row && row.sig === sig) {
      row.tr.hidden = !matches(o);
      return;
    }
    const tr = buildRow(key, o);
    tr.hidden = !matches(o);
    if (row) {
      row.tr.replaceWith(tr);
      row.tr = tr;
      row.sig = sig;
      return;
    }
    // Insert in sorted position (binary search), before the next row's element.
    let lo = 0;
    let hi = sortedKeys.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareKeys(sortedKeys[mid], key) < 0) lo = mid + 1;
      else hi = mid;
    }
    const next = lo < sortedKeys.length ? rows.get(sortedKeys[lo]).tr : null;
    $('matrix-body').insertBefore(tr, next);
    sortedKeys.splice(lo, 0, key);
    rows.set(key, {tr, sig});
  }

  function buildRow(key, o) {
    const r = refOf(o);
    const ns = str(r.namespace);
    const prop = str(o.propagation);
    const propText = prop === 'True' ? 'OK' : str(o.reason) || (prop ? 'Not propagated' : '—');
    const tr = el('tr', {'data-testid': 'object-row', 'data-object': key, 'data-type': str(r.type),
                         'data-namespace': ns, 'data-name': str(r.name)},
                  el('th', {scope: 'row', className: 'obj'},
                     el('span', {className: 'obj-name', 'data-testid': 'object-name',
                                 text: ns ? `${ns}/${str(r.name)}` : str(r.name)}),
                     el('span', {className: 'obj-kind', text: str(r.kind) || str(r.type)})),
                  el('td', {className: `prop prop-${prop || 'none'}`,
                            'data-testid': 'object-propagation', title: str(o.message),
                            text: propText}));
    for (const cluster of columns) {
      const s = stateIn(o, cluster);
      if (!s) {
        tr.append(el('td', {className: 'cell state-none', 'data-testid': 'cell',
                            'data-cluster': cluster, 'data-state': 'None'},
                         el('span', {'aria-label': `not placed in ${cluster}`, text: '—'})));
        continue;
      }
      const state = str(s.state) || 'Pending';
      const reason = str(s.reason);
      const isSelected = selected && selected.key === key && selected.cluster === cluster;
      tr.append(el('td', {className: `cell state-${state}${isSelected ? ' selected' : ''}`,
                          'data-testid': 'cell', 'data-cluster': cluster, 'data-state': state},
                   el('button', {type: 'button', className: 'cell-button',
                                 'data-object': key, 'data-cluster': cluster,
                                 title: str(s.message) || `${state} in ${cluster}`,
                                 'aria-label': `${str(r.name)} in ${cluster}: ${state}` +
                                     (reason ? `, ${reason}` : '') + '. Show details.'},
                      el('span', {className: 'cell-state', 'data-testid': 'cell-state',
                                  text: state}),
                      reason ? el('span', {className: 'cell-reason', 'data-testid': 'cell-reason',
                                           text: reason}) : null)));
    }
    return tr;
  }

  function updateSummary() {
    let visible = 0;
    const totals = {};
    for (const [key, row] of rows) {
      if (row.tr.hidden) continue;
      visible++;
      for (const c of statesOf(objects.get(key))) {
        const s = str(c.state) || 'Pending';
        totals[s] = (totals[s] || 0) + 1;
      }
    }
    $('object-count').textContent = `${visible} of ${objects.size} objects shown`;
    $('state-totals').replaceChildren(...STATES.filter((s) => totals[s]).map(
        (s) => el('span', {className: `total state-${s}`, 'data-state': s,
                           text: `${totals[s]} ${s}`})));
    $('matrix-empty').hidden = visible > 0;
  }

  // ---- detail view -------------------------------------------------------------------------
  function openDetail(key, cluster, focus) {
    selected = {key, cluster};
    for (const td of document.querySelectorAll('td.cell.selected')) td.classList.remove('selected');
    const row = rows.get(key);
    if (row) {
      const td = row.tr.querySelector(`td[data-cluster="${CSS.escape(cluster)}"]`);
      if (td) td.classList.add('selected');
    }
    const panel = $('detail');
    panel.hidden = false;
    document.body.classList.add('with-detail');
    for (const id of ['detail-render-error', 'detail-overrides', 'detail-rendered']) {
      $(id).textContent = 'loading…';
    }
    renderDetailFromModel();
    writeUrl();
    if (focus) panel.focus();
    fetchDetail();
  }

  function closeDetail() {
    const prev = selected;
    selected = null;
    $('detail').hidden = true;
    document.body.classList.remove('with-detail');
    for (const td of document.querySelectorAll('td.cell.selected')) td.classList.remove('selected');
    writeUrl();
    if (prev) {
      const row = rows.get(prev.key);
      const button = row && row.tr.querySelector(
          `button[data-cluster="${CSS.escape(prev.cluster)}"]`);
      if (button) button.focus();
    }
  }

  // The fields the list model already has: shown at once, and kept current by the watch.
  function renderDetailFromModel() {
    const {key, cluster} = selected;
    const o = objects.get(key);
    const [type, ns, ...nameParts] = key.split('/');
    const name = nameParts.join('/');
    $('detail-title').textContent = `${type} ${ns ? `${ns}/` : ''}${name} in ${cluster}`;
    const s = o ? stateIn(o, cluster) : null;
    const state = s ? str(s.state) || 'Pending'
                    : !listed ? 'loading…' : o ? 'not placed in this cluster' : 'deleted';
    const stateEl = $('detail-state');
    stateEl.textContent = state;
    stateEl.className = s ? `state-text state-${state}` : 'state-text';
    stateEl.dataset.state = s ? state : 'None';
    $('detail-reason').textContent = (s && str(s.reason)) || '—';
    $('detail-message').textContent = (s && str(s.message)) || '—';
    $('detail-transition').textContent = s && num(s.lastTransitionUnixMs)
        ? `${formatTime(s.lastTransitionUnixMs)} (${formatAge(s.lastTransitionUnixMs)})` : '—';
    $('detail-latency').textContent = s && num(s.propagationLatencySeconds)
        ? `${num(s.propagationLatencySeconds).toFixed(3)} s` : '—';
    $('detail-member-generation').textContent = (s && num(s.memberGeneration)) || '—';
    $('detail-generation').textContent = (o && num(o.generation)) || '—';
    $('detail-propagation').textContent = o
        ? [str(o.propagation) || '—', str(o.reason), str(o.message)].filter(Boolean).join(' · ')
        : '—';
  }

  function scheduleDetailRefresh() {
    clearTimeout(detailRefreshTimer);
    detailRefreshTimer = setTimeout(fetchDetail, 200);
  }

  function pretty(jsonText) {
    if (!jsonText) return '';
    try {
      return JSON.stringify(JSON.parse(jsonText), null, 2);
    } catch (e) {
      return jsonText;
    }
  }

  async function fetchDetail() {
    if (!selected) return;
    const {key, cluster} = selected;
    const [type, namespace, ...nameParts] = key.split('/');
    const seq = ++detailSeq;
    const errorEl = $('detail-error');
    try {
      const resp = await getJSON('api/v1/object',
                                 {type, namespace, name: nameParts.join('/'), cluster});
      if (seq !== detailSeq) return;
      errorEl.hidden = true;
      const known = objects.get(key);
      if (resp.object && (!known || num(resp.object.revision) >= num(known.revision))) {
        objects.set(key, resp.object);
        dirty.add(key);
        scheduleRender();
      }
      $('detail-render-error').textContent = str(resp.renderError) || '—';
      $('detail-render-error').classList.toggle('none', !str(resp.renderError));
      $('detail-overrides').textContent = pretty(str(resp.overridesJson)) || '(none)';
      $('detail-rendered').textContent = pretty(str(resp.renderedJson)) ||
          (str(resp.renderError) ? '(not rendered: see the render error)'
                                 : '(not rendered for this cluster)');
    } catch (e) {
      if (e instanceof SessionEnded) return;
      if (e instanceof HttpError && e.status === 401) {
        signOut(`Signed out: ${e.reason}`);
        return;
      }
      if (seq !== detailSeq) return;
      errorEl.hidden = false;
      errorEl.textContent = e.status === 404 ? 'This object no longer exists.'
          : e.status === 403 ? `You may not read this object: ${e.reason}` : e.message;
      for (const id of ['detail-render-error', 'detail-overrides', 'detail-rendered']) {
        if ($(id).textContent === 'loading…') $(id).textContent = '—';
      }
    }
  }

  // ---- list + watch loop -------------------------------------------------------------------
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  async function loadVersion() {
    try {
      const v = await getJSON('api/v1/version');
      $('version').textContent = str(v.version) ? `v${str(v.version).replace(/^v/, '')}` : '';
    } catch (e) {
      // The version is decoration; the list calls report real trouble.
    }
  }

  // Clusters answered 403: the caller may not list KubeFedClusters; objects still show.
  async function listClusters() {
    try {
      const cl = await getJSON('api/v1/clusters');
      clustersForbidden = '';
      return cl;
    } catch (e) {
      if (!(e instanceof HttpError) || e.status !== 403) throw e;
      clustersForbidden = e.reason;
      return {clusters: [], forbidden: true};
    }
  }

  async function listAll() {
    const [cl, ob] = await Promise.all([listClusters(), getJSON('api/v1/objects')]);
    applyClusterList(cl);
    applyObjectList(ob);
    listed = true;
    clustersDirty = true;
    scheduleRender();
    // Both lists are consistent with their own revision; following from the older one
    // replays at most a few changes the newer list already holds (applied idempotently).
    return cl.forbidden ? num(ob.revision) : Math.min(num(cl.revision), num(ob.revision));
  }

  async function run(current) {
    let failures = 0;
    while (session === current) {
      try {
        if (failures === 0) loadVersion();
        let revision = await listAll();
        refreshRsps();
        refreshServices();
        setConnection('live');
        failures = 0;
        for (;;) {
          const resp = await getJSON('api/v1/watch',
                                     {resume_from: String(revision),
                                      timeout_seconds: String(WATCH_TIMEOUT_SECONDS)},
                                     (WATCH_TIMEOUT_SECONDS + 15) * 1000);
          for (const ev of resp.events || []) {
            applyEvent(ev);
            revision = Math.max(revision, num(ev.revision));
          }
          revision = Math.max(revision, num(resp.revision));
          refreshRsps();
          refreshServices();
          scheduleRender();
          setConnection('live');
        }
      } catch (e) {
        if (e instanceof SessionEnded || session !== current) return;
        if (e instanceof HttpError && e.status === 401) {
          signOut(`Signed out: ${e.reason}`);
          return;
        }
        failures++;
        const gone = e.status === 410;
        setConnection('reconnecting', e.status === 503 || e.status === 403 ? e.reason : e.message);
        // A 410 asks for a fresh list at once; errors back off (with jitter) before it.
        if (!gone || failures > 1) {
          const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.min(failures, 10));
          await sleep(base / 2 + Math.random() * base / 2);
        }
      }
    }
  }

  // ---- signing in and out -----------------------------------------------------------------
  function readToken() {
    try {
      return sessionStorage.getItem(TOKEN_KEY) || '';
    } catch (e) {
      return '';  // storage disabled: the user signs in again after a reload
    }
  }
  function keepToken(value) {
    try {
      if (value) sessionStorage.setItem(TOKEN_KEY, value);
      else sessionStorage.removeItem(TOKEN_KEY);
    } catch (e) {
      // Storage disabled: the token lives in this page's memory only.
    }
  }

  function showLogin(message) {
    $('app').hidden = true;
    $('user').hidden = true;
    setConnection('connecting');
    $('connection').hidden = true;
    $('login').hidden = false;
    showLoginError(message);
    $('login-token').value = '';
    $('login-token').focus();
  }

  // Drops everything the session showed, so the next user starts from an empty page.
  function resetModel() {
    clusters.clear();
    objects.clear();
    for (const row of rows.values()) row.tr.remove();
    rows.clear();
    sortedKeys = [];
    dirty.clear();
    columns = [];
    listed = false;
    clustersForbidden = '';
    $('matrix-head').replaceChildren();
    $('clusters-body').replaceChildren();
    rspSeq++;
    $('rsps-body').replaceChildren();
    $('rsps-section').hidden = true;
    $('rsp-count').textContent = '';
    serviceSeq++;
    window.kfedServices.reset();
    $('cluster-count').textContent = '';
    $('object-count').textContent = '';
    $('state-totals').replaceChildren();
    if (selected) {
      selected = null;
      $('detail').hidden = true;
      document.body.classList.remove('with-detail');
    }
  }

  function signOut(message) {
    startEpoch++;
    if (session) session.abort.abort();
    session = null;
    token = '';
    keepToken('');
    resetModel();
    showLogin(message);
  }

  // `who` is the whoami answer, or null when the server has no whoami (no authentication).
  function enter(who, pageToken) {
    token = pageToken;
    $('login').hidden = true;
    $('app').hidden = false;
    $('connection').hidden = false;
    const name = who ? str(who.username) : '';
    $('user').hidden = !name;
    $('user-name').textContent = name;
    $('user-name').title = who && Array.isArray(who.groups) ? `groups: ${who.groups.join(', ')}` : '';
    // A token the proxy adds (kfedctl dashboard) is not the page's to forget.
    $('sign-out').hidden = !pageToken;
    $('user-via').hidden = !!pageToken;
    session = {abort: new AbortController()};
    if (selected) openDetail(selected.key, selected.cluster, false);
    run(session);
  }

  // Who the server says we are with `candidate` ('' = no token from the page).
  async function whoami(candidate) {
    try {
      return await getJSON('api/v1/whoami', null, 15000,
                           {token: candidate, signal: new AbortController().signal});
    } catch (e) {
      if (e instanceof HttpError && e.status === 404) return null;  // a server without auth
      throw e;
    }
  }

  function showLoginError(message) {
    const err = $('login-error');
    err.textContent = message || '';
    err.hidden = !message;
  }

  // On load: go in when the server knows us (a stored token, or a proxy adding one), else
  // show the form. While the server cannot answer (503: the host cannot review tokens; or it
  // is down) the form shows why and the page keeps asking, so a proxy's session starts as
  // soon as the server can review it.
  async function start() {
    const stored = readToken();
    const epoch = startEpoch;
    for (let failures = 0; epoch === startEpoch; failures++) {
      try {
        const who = await whoami(stored);
        if (epoch === startEpoch) enter(who, stored);
        return;
      } catch (e) {
        if (epoch !== startEpoch) return;  // signed in (or out) with the form meanwhile
        if (e instanceof HttpError && e.status === 401) {
          keepToken('');
          if (failures === 0) showLogin('');
          if (stored) showLoginError(`Signed out: ${e.reason}`);
          return;
        }
        if (failures === 0) showLogin('');
        showLoginError(e.reason || e.message);
        const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.min(failures + 1, 10));
        await sleep(base / 2 + Math.random() * base / 2);
      }
    }
  }

  async function submitLogin(e) {
    e.preventDefault();
    // Accept a pasted "Bearer xyz" as well as the bare token.
    const candidate = $('login-token').value.trim().replace(/^Bearer\s+/i, '');
    if (!candidate) {
      showLoginError('Paste a bearer token first.');
      return;
    }
    const button = $('login-submit');
    button.disabled = true;
    try {
      const who = await whoami(candidate);
      if (session !== null) return;  // signed in already (a double submit)
      startEpoch++;
      keepToken(candidate);
      enter(who, candidate);
    } catch (ex) {
      // 401: the host rejected the token; 503: it could not review it. Either way, say why.
      showLoginError(ex.status === 401 ? `Sign-in failed: ${ex.reason}` : ex.reason || ex.message);
    } finally {
      button.disabled = false;
    }
  }

  // ---- wiring ------------------------------------------------------------------------------
  function init() {
    readFiltersFromUrl();
    $('filter-type').value = filters.type;
    $('filter-state').value = filters.state;
    $('filter-text').value = filters.q;
    syncOptions($('filter-type'), [], 'all types', filters.type);
    syncOptions($('filter-namespace'), [], 'all namespaces', filters.namespace);
    const onFilter = () => {
      filters.type = $('filter-type').value;
      filters.namespace = $('filter-namespace').value;
      filters.state = $('filter-state').value;
      filters.q = $('filter-text').value.trim();
      applyFilters();
    };
    $('filters').addEventListener('change', onFilter);
    $('filter-text').addEventListener('input', onFilter);
    $('filters').addEventListener('submit', (e) => e.preventDefault());
    $('filter-clear').addEventListener('click', () => {
      for (const id of ['filter-type', 'filter-namespace', 'filter-state']) $(id).value = '';
      $('filter-text').value = '';
      onFilter();
    });
    $('matrix-body').addEventListener('click', (e) => {
      const button = e.target.closest('button.cell-button');
      if (button) openDetail(button.dataset.object, button.dataset.cluster, true);
    });
    $('detail-close').addEventListener('click', closeDetail);
    document.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && selected) closeDetail();
    });
    // Relative times ("5s ago") age without events.
    setInterval(() => {
      clustersDirty = true;
      scheduleRender();
    }, 10000);
    $('login-form').addEventListener('submit', submitLogin);
    $('sign-out').addEventListener('click', () => signOut(''));
    start();
  }

  init();
})();
