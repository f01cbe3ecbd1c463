// The console's shared script: reads the API, writes the page with textContent only (text from alerts and
// people is data, never markup), listens to /api/v1/events to refresh, and sends changes with the CSRF token.
// Each page's own script (incident.js, …) registers itself in DurableRunbooks.pages; this one runs it.
'use strict';

(function () {
  const body = document.body;
  const csrf = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';
  const $ = (selector) => document.querySelector(selector);

  /** An element with text; never parses HTML. */
  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  /** A link only for http(s) URLs that a sender gave as a link field; anything else stays text. */
  function safeLink(url, text) {
    let parsed;
    try {
      parsed = new URL(String(url), location.href);
    } catch {
      return el('span', text);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return el('span', text);
    const a = el('a', text);
    a.href = parsed.href;
    a.rel = 'noopener noreferrer';
    a.target = '_blank';
    return a;
  }

  async function api(method, path, payload) {
    const res = await fetch(`/api/v1${path}`, {
      method,
      credentials: 'same-origin',
      headers: {
        accept: 'application/json',
        ...(payload !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(method !== 'GET' ? { 'x-csrf-token': csrf } : {}),
      },
      body: payload !== undefined ? JSON.stringify(payload) : undefined,
    });
    let data = {};
    try {
      data = await res.json();
    } catch {
      /* no body */
    }
    if (res.status === 401)
      location.assign(`/login?next=${encodeURIComponent(location.pathname + location.search)}`);
    return { status: res.status, data };
  }

  function age(iso) {
    const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
    if (s < 60) return `${s}s`;
    if (s < 3600) return `${Math.floor(s / 60)}m`;
    if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
    return `${Math.floor(s / 86400)}d`;
  }
  const when = (iso) => (iso ? new Date(iso).toLocaleString() : '—');

  /** Others on the page that want to know when the record changed (one event stream per page). */
  const changeListeners = [];

  /** Calls `refresh` now and whenever the record changes (debounced); says on the page whether it is live. */
  function live(refresh) {
    let pending;
    const run = () => {
      clearTimeout(pending);
      pending = setTimeout(refresh, 300);
    };
    refresh();
    const status = $('#live');
    const source = new EventSource('/api/v1/events');
    source.addEventListener('open', () => {
      if (status) status.textContent = 'Live: this page updates by itself.';
      run();
    });
    source.addEventListener('change', () => {
      run();
      for (const listener of changeListeners) listener();
    });
    source.addEventListener('error', () => {
      if (status) status.textContent = 'Reconnecting… (what you see may be out of date)';
    });
    // Ages move on even when nothing changes.
    setInterval(refresh, 30000);
  }

  /** Reads a form's named fields; empty ones are left out. */
  function fieldsOf(form) {
    const out = {};
    for (const [k, v] of new FormData(form).entries()) if (String(v).trim() !== '') out[k] = String(v);
    return out;
  }

  function answerIn(selector, text, outcome) {
    const node = $(selector);
    node.textContent = text;
    node.className = outcome;
  }

  function listPage() {
    const form = $('#filters');
    const params = new URLSearchParams(location.search);
    for (const name of ['status', 'severity', 'service', 'team'])
      if (params.get(name)) form.elements[name].value = params.get(name);
    let cursor = null;
    const query = () => {
      const q = new URLSearchParams();
      for (const name of ['status', 'severity', 'service', 'team']) {
        const v = form.elements[name].value.trim();
        if (v) q.set(name, v);
      }
      return q;
    };
    form.addEventListener('change', () => {
      history.replaceState(null, '', `?${query()}`);
      refresh();
    });
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      refresh();
    });
    const row = (i) => {
      const tr = el('tr');
      tr.className = `sev-${i.severity} st-${i.status}${i.severity === 'P1' && i.status === 'triggered' ? ' alarm' : ''}`;
      tr.append(
        el('td', i.severity, 'sev'),
        el('td', i.status),
        el('td', i.service),
        el('td', i.team || '—'),
      );
      const cell = el('td');
      const a = el('a', i.summary || i.id);
      a.href = `/incidents/${encodeURIComponent(i.id)}`;
      cell.append(a);
      tr.append(cell, el('td', age(i.createdAt)), el('td', (i.paged || []).join(', ') || '—'));
      tr.append(
        el('td', i.acknowledgedAt ? `${i.acknowledgedBy || 'yes'} (${age(i.acknowledgedAt)} ago)` : 'no'),
      );
      return tr;
    };
    async function refresh(append) {
      const q = query();
      q.set('limit', '50');
      if (append && cursor) q.set('cursor', cursor);
      const { status, data } = await api('GET', `/incidents?${q}`);
      const tbody = $('#incidents tbody');
      if (status !== 200) {
        $('#live').textContent = `The API answered ${status}: ${data.error || ''}`;
        return;
      }
      if (!append) tbody.replaceChildren();
      for (const i of data.incidents) tbody.append(row(i));
      cursor = data.nextCursor;
      $('#more').hidden = !cursor;
      const p1 = await api('GET', '/incidents?status=triggered&severity=P1&limit=500');
      const count = p1.status === 200 ? p1.data.incidents.length : 0;
      const banner = $('#p1-banner');
      banner.hidden = count === 0;
      banner.textContent = count
        ? `${count} triggered P1 incident${count > 1 ? 's' : ''}: nobody has acknowledged.`
        : '';
      document.title = `${count ? `(${count} P1) ` : ''}Incidents · Durable Runbooks`;
    }
    $('#more').addEventListener('click', () => refresh(true));
    live(() => refresh(false));
  }

  const pages = {};
  window.DurableRunbooks = {
    $,
    el,
    safeLink,
    api,
    age,
    when,
    live,
    changeListeners,
    fieldsOf,
    answerIn,
    csrf,
    pages,
  };

  $('#logout')?.addEventListener('click', async () => {
    await fetch('/logout', { method: 'POST', headers: { 'x-csrf-token': csrf }, credentials: 'same-origin' });
    location.assign('/login');
  });
  pages.list = listPage;
  // Deferred scripts all run before DOMContentLoaded: by then every page's script has registered.
  document.addEventListener('DOMContentLoaded', () => pages[body.dataset.page]?.());
})();
