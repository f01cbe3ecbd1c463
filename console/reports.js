// The reports page: MTTA and MTTR per week and incidents per week as charts (uPlot, served by this listener),
// each with its numbers in a table beside it; response times per service and severity; the on-call load in
// the viewer's time zone. Helpers from console.js.
'use strict';

(function () {
  const { $, el, api, pages } = window.DurableRunbooks;
  const viewerZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const minutes = (s) => (s === null || s === undefined ? null : Math.round(s / 6) / 10);
  const shown = (v) => (v === null || v === undefined ? '—' : String(v));
  const charts = [];

  function table(selector, head, rows) {
    const t = $(selector);
    const tr = el('tr');
    for (const h of head) {
      const th = el('th', h);
      th.scope = 'col';
      tr.append(th);
    }
    t.tHead.replaceChildren(tr);
    t.tBodies[0].replaceChildren(
      ...(rows.length ? rows : [[`nothing in this period`, ...head.slice(1).map(() => '')]]).map((r) => {
        const row = el('tr');
        for (const cell of r) row.append(el('td', shown(cell)));
        return row;
      }),
    );
  }

  function chart(selector, title, series, data, bars) {
    const node = $(selector);
    node.replaceChildren();
    const opts = {
      title,
      width: Math.max(300, Math.min(node.clientWidth || 900, 1100)),
      height: 260,
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
      series: [
        {},
        ...series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: 2,
          ...(bars
            ? { fill: s.color, paths: window.uPlot.paths.bars({ size: [0.6, 48] }) }
            : { points: { show: true } }),
        })),
      ],
      axes: [{}, { label: series[0].unit }],
    };
    charts.push(new window.uPlot(opts, data, node));
  }

  async function load() {
    const form = $('#report-filters');
    const since = form.elements.since.value;
    const q = new URLSearchParams({ since });
    for (const name of ['service', 'severity'])
      if (form.elements[name].value.trim()) q.set(name, form.elements[name].value.trim());
    const [weekly, times, load] = await Promise.all([
      api('GET', `/reports/weekly?${q}`),
      api('GET', `/reports/response-times?since=${encodeURIComponent(since)}`),
      api(
        'GET',
        `/reports/on-call-load?since=${encodeURIComponent(since)}&timeZone=${encodeURIComponent(viewerZone)}`,
      ),
    ]);
    while (charts.length) charts.pop().destroy();
    const weeks = weekly.status === 200 ? weekly.data.weeks : [];
    const xs = weeks.map((w) => Date.parse(`${w.week}T00:00:00Z`) / 1000);
    chart(
      '#chart-times',
      'MTTA and MTTR per week (minutes)',
      [
        { label: 'MTTA', color: '#0b4f9c', unit: 'minutes' },
        { label: 'MTTR', color: '#a30000', unit: 'minutes' },
      ],
      [xs, weeks.map((w) => minutes(w.mttaSeconds)), weeks.map((w) => minutes(w.mttrSeconds))],
    );
    chart(
      '#chart-count',
      'Incidents per week',
      [{ label: 'Incidents', color: '#4a4a4a', unit: 'incidents' }],
      [xs, weeks.map((w) => w.incidents)],
      true,
    );
    table(
      '#weeks',
      ['Week of', 'Incidents', 'Acknowledged', 'Resolved', 'MTTA (min)', 'MTTR (min)'],
      weeks.map((w) => [
        w.week,
        w.incidents,
        w.acknowledged,
        w.resolved,
        minutes(w.mttaSeconds),
        minutes(w.mttrSeconds),
      ]),
    );
    const service = form.elements.service.value.trim();
    const severity = form.elements.severity.value;
    const rows = (times.status === 200 ? times.data.rows : []).filter(
      (r) => (!service || r.service === service) && (!severity || r.severity === severity),
    );
    table(
      '#by-service',
      ['Service', 'Severity', 'Incidents', 'MTTA (min)', 'MTTR (min)'],
      rows.map((r) => [r.service, r.severity, r.incidents, minutes(r.mttaSeconds), minutes(r.mttrSeconds)]),
    );
    const people = load.status === 200 ? load.data.people : [];
    $('#load-zone').textContent = `Out of hours: before 09:00, from 17:00, and weekends, in ${viewerZone}.`;
    table(
      '#load',
      ['Person', 'Pages', 'Out of hours', 'Share out of hours'],
      people.map((p) => [
        p.contact,
        p.pages,
        p.outOfHours,
        `${Math.round((100 * p.outOfHours) / Math.max(1, p.pages))}%`,
      ]),
    );
  }

  function reportsPage() {
    const form = $('#report-filters');
    const params = new URLSearchParams(location.search);
    for (const name of ['since', 'service', 'severity'])
      if (params.get(name)) form.elements[name].value = params.get(name);
    $('#report-filters').addEventListener('change', load);
    $('#report-filters').addEventListener('submit', (e) => {
      e.preventDefault();
      load();
    });
    load();
  }

  pages.reports = reportsPage;
})();
