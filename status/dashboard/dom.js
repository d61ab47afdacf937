// kfed dashboard: the small helpers every script of the page uses, loaded first (index.html).
// el() builds an element whose text is always set with textContent, never markup; str/num/arr
// read protobuf's JSON mapping, which omits fields at their default.
'use strict';

window.kfedDom = Object.freeze({
  $: (id) => document.getElementById(id),
  el: (tag, attrs, ...children) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'className') e.className = v;
      else if (k === 'text') e.textContent = v;
      else e.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children) if (c !== null && c !== undefined) e.append(c);
    return e;
  },
  str: (v) => (v === undefined || v === null ? '' : String(v)),
  num: (v) => (v === undefined || v === null || v === '' ? 0 : Number(v)),
  arr: (v) => (Array.isArray(v) ? v : []),
});
