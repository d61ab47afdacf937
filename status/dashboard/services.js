// kfed dashboard: the "Multi-cluster services" panel (KEP-1645). app.js lists
// api/v1/multiclusterservices with every watch answer (the list is not part of the watch) and
// hands the answer to render(); reset() empties the panel when the session ends.
//
// Per exported service: the ServiceImport kfed derived (type, ClusterSetIP, ports), each
// member's ServiceExport with its conditions (Valid, Conflict, Ready: reason and message when
// not fine), the endpoints each exporting cluster contributes (ready/total) and the members
// holding the import. Members that take no part (no mcs-api CRDs, unreadable) are listed below
// the table; the API sends them only to callers who may list member clusters.
//
// The JSON is protobuf's JSON mapping (fields at their default omitted). All text is set with
// textContent, never markup.
'use strict';

window.kfedServices = (() => {
  const {$, el, str, num, arr} = window.kfedDom;
  const spaced = (items) => (items.length ? items.flatMap((d, i) => (i ? [' ', d] : [d])) : ['—']);

  // What a healthy export says: Valid=True, Conflict=False, Ready=True.
  const FINE = {Valid: 'True', Conflict: 'False', Ready: 'True'};
  const fine = (c) => FINE[str(c.type)] === undefined || FINE[str(c.type)] === str(c.status);

  function importText(s) {
    const type = str(s.type);
    if (!type) return 'no valid export';
    const ips = arr(s.ips).map(str).join(', ');
    const ports = arr(s.ports).map((p) => `${str(p.name) ? `${str(p.name)}:` : ''}${num(p.port)}/` +
                                           `${str(p.protocol) || 'TCP'}`).join(', ');
    return [type, ips, ports].filter(Boolean).join(' ');
  }

  function exportCell(e) {
    const conditions = arr(e.conditions);
    const bad = conditions.filter((c) => !fine(c));
    const summary = conditions.map((c) => `${str(c.type)}=${str(c.status) || 'Unknown'}`).join(' ');
    const details = conditions.map((c) => `${str(c.type)}: ${str(c.reason)}` +
                                           (str(c.message) ? ` (${str(c.message)})` : ''));
    return el('span', {className: `svc-export${bad.length ? ' svc-bad' : ''}`,
                       'data-testid': 'service-export', 'data-cluster': str(e.cluster),
                       'data-ok': bad.length ? 'false' : 'true', title: details.join('\n')},
              el('span', {className: 'svc-cluster', text: `${str(e.cluster)}: `}),
              el('span', {'data-testid': 'service-conditions', text: summary || 'no conditions yet'}),
              ...bad.map((c) => el('div', {className: 'small error-text',
                                           'data-testid': 'service-problem',
                                           text: `${str(c.type)} ${str(c.reason)}: ${str(c.message)}`})));
  }

  function row(s) {
    const id = `${str(s.namespace)}/${str(s.name)}`;
    const endpoints = arr(s.endpoints).map((c) => el(
        'span', {className: 'rsp-cluster', 'data-testid': 'service-endpoints',
                 'data-cluster': str(c.cluster), 'data-ready': num(c.ready), 'data-total': num(c.total),
                 text: `${str(c.cluster)}: ${num(c.ready)}/${num(c.total)}`}));
    const importing = arr(s.importingClusters).map(str);
    const missing = arr(s.namespaceMissingClusters).map(str);
    return el('tr', {'data-testid': 'service-row', 'data-service': id},
              el('th', {scope: 'row', className: 'mono', text: id}),
              el('td', {'data-testid': 'service-import', text: importText(s)}),
              el('td', {'data-testid': 'service-exports'}, ...spaced(arr(s.exports).map(exportCell))),
              el('td', {'data-testid': 'service-endpoint-counts'}, ...spaced(endpoints)),
              el('td', {'data-testid': 'service-importing', text: importing.join(', ') || '—'},
                 missing.length ? el('div', {className: 'small',
                                             text: `namespace missing in ${missing.join(', ')}`})
                                : null));
  }

  function render(list) {
    const items = arr(list.services);
    const members = arr(list.members).filter((m) => str(m.state) !== 'Active');
    $('services-section').hidden = items.length === 0 && members.length === 0;
    $('service-count').textContent = items.length ? `(${items.length})` : '';
    $('services-body').replaceChildren(...items.map(row));
    $('mcs-members').hidden = members.length === 0;
    $('mcs-members').replaceChildren(...members.map((m) => el(
        'li', {'data-testid': 'mcs-member', 'data-cluster': str(m.cluster), 'data-state': str(m.state)},
        el('strong', {text: `${str(m.cluster)}: ${str(m.state)}`}),
        str(m.message) ? ` — ${str(m.message)}` : '')));
  }

  function reset() {
    $('services-body').replaceChildren();
    $('mcs-members').replaceChildren();
    $('mcs-members').hidden = true;
    $('services-section').hidden = true;
    $('service-count').textContent = '';
  }

  return {render, reset};
})();
