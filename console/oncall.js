// The on-call page: who holds each schedule's pager now, a two-week calendar (handoffs in the viewer's time
// zone and the schedule's), the overrides with Remove, and a form to add one. Helpers from console.js.
'use strict';

(function () {
  const { $, el, api, fieldsOf, answerIn, live, pages } = window.DurableRunbooks;
  const DAY = 86400000;
  const viewerZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const clock = (iso, timeZone) =>
    new Intl.DateTimeFormat(undefined, {
      hour: '2-digit',
      minute: '2-digit',
      hour12: false,
      timeZone,
    }).format(new Date(iso));
  const dayName = (t) =>
    new Date(t).toLocaleDateString(undefined, { weekday: 'short', month: 'short', day: 'numeric' });

  /** A shift within one day: its handoffs where they fall that day, "…" where it goes on from or past it. */
  function shiftText(s, zone, dayFrom, dayTo) {
    const who = s.name || s.contactId || 'nobody';
    const starts = Date.parse(s.from) >= dayFrom;
    const ends = Date.parse(s.to) <= dayTo;
    const span = (z) => `${starts ? clock(s.from, z) : '…'}–${ends ? clock(s.to, z) : '…'}`;
    const theirs = zone !== viewerZone ? ` (${span(zone)} ${zone})` : '';
    return `${span()}${theirs} ${who}${s.layer ? ` · ${s.layer}` : ''}`;
  }

  async function scheduleSection(schedule, contacts) {
    const section = el('section');
    const enc = encodeURIComponent(schedule.schedule);
    section.append(el('h2', `${schedule.schedule} (${schedule.timeZone})`));
    const now = el('p', 'Reading…', 'now');
    section.append(now);
    const table = el('table');
    table.className = 'calendar';
    const head = el('tr');
    head.append(el('th', 'Day'), el('th', `Who (your time, ${viewerZone})`));
    table.append(el('thead'), el('tbody'));
    table.tHead.append(head);
    const wrap = el('div', undefined, 'table-wrap');
    wrap.append(table);
    section.append(wrap, el('h3', 'Overrides'));
    const overrides = el('ul');
    section.append(overrides);

    const form = el('form', undefined, 'actions');
    form.setAttribute('aria-label', `Add an override to ${schedule.schedule}`);
    const who = el('select');
    who.name = 'contactId';
    for (const c of contacts) {
      const option = el('option', c.name);
      option.value = c.id;
      who.append(option);
    }
    const input = (label, name, type) => {
      const l = el('label', `${label} `);
      const i = el('input');
      i.name = name;
      i.type = type;
      if (type !== 'text') i.required = true;
      l.append(i);
      return l;
    };
    const whoLabel = el('label', 'Who ');
    whoLabel.append(who);
    const submit = el('button', 'Add override');
    submit.type = 'submit';
    form.append(
      whoLabel,
      input('From', 'from', 'datetime-local'),
      input('To', 'to', 'datetime-local'),
      input('Reason', 'reason', 'text'),
      submit,
    );
    const answer = el('p');
    answer.setAttribute('role', 'status');
    answer.id = `answer-${schedule.schedule}`;
    section.append(el('h3', 'Add an override'), form, answer);

    async function load() {
      const { status, data } = await api('GET', `/oncall/${enc}/calendar?days=14`);
      if (status !== 200) {
        now.textContent = `Not readable now: ${data.error || `HTTP ${status}`}`;
        return;
      }
      const t = Date.now();
      const current = data.shifts.find((s) => Date.parse(s.from) <= t && t < Date.parse(s.to));
      now.textContent = current
        ? `On call now: ${current.name || current.contactId || 'nobody'}${current.layer ? ` (${current.layer})` : ''}, until ${new Date(current.to).toLocaleString()}`
        : 'On call now: nobody';
      const start = new Date();
      start.setHours(0, 0, 0, 0);
      const rows = [];
      for (let d = 0; d < 14; d++) {
        const from = start.getTime() + d * DAY;
        const to = from + DAY;
        const tr = el('tr');
        const list = el('ul', undefined, 'shifts');
        for (const s of data.shifts)
          if (Date.parse(s.from) < to && Date.parse(s.to) > from)
            list.append(
              el('li', shiftText(s, data.timeZone), s.layer === 'override' ? 'override' : undefined),
            );
        const cell = el('td');
        cell.append(list);
        tr.append(el('th', dayName(from)), cell);
        rows.push(tr);
      }
      table.tBodies[0].replaceChildren(...rows);
      overrides.replaceChildren(
        ...(data.overrides.length ? [] : [el('li', 'None.')]),
        ...data.overrides.map((o) => {
          const li = el(
            'li',
            `${o.name || o.contactId}: ${new Date(o.from).toLocaleString()} – ${new Date(o.to).toLocaleString()} (by ${o.by}${o.reason ? `: ${o.reason}` : ''}) `,
          );
          const remove = el('button', 'Remove');
          remove.type = 'button';
          remove.addEventListener('click', async () => {
            const r = await api('DELETE', `/oncall/${enc}/overrides/${encodeURIComponent(o.id)}`);
            if (r.status === 200) answerIn(`#${CSS.escape(answer.id)}`, 'Override removed.', 'accepted');
            else
              answerIn(
                `#${CSS.escape(answer.id)}`,
                `Not removed: ${r.data.error || `HTTP ${r.status}`}`,
                'refused',
              );
            load();
          });
          li.append(remove);
          return li;
        }),
      );
    }
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const f = fieldsOf(form);
      // datetime-local is the viewer's wall clock: the browser turns it into an instant.
      const body = {
        contactId: f.contactId,
        from: new Date(f.from).toISOString(),
        to: new Date(f.to).toISOString(),
        ...(f.reason ? { reason: f.reason } : {}),
      };
      const r = await api('POST', `/oncall/${enc}/overrides`, body);
      if (r.status === 201)
        answerIn(
          `#${CSS.escape(answer.id)}`,
          `${r.data.name || r.data.contactId} holds the pager from ${new Date(r.data.from).toLocaleString()}.`,
          'accepted',
        );
      else
        answerIn(`#${CSS.escape(answer.id)}`, `Not added: ${r.data.error || `HTTP ${r.status}`}`, 'refused');
      load();
    });
    return { section, load };
  }

  async function onCallPage() {
    maintenanceForm();
    const { status, data } = await api('GET', '/oncall');
    const root = $('#schedules');
    if (status !== 200) {
      root.replaceChildren(el('p', `The API answered ${status}: ${data.error || ''}`));
      return;
    }
    if (!data.schedules.length)
      root.replaceChildren(el('p', 'No schedules are configured (schedules in the configuration).'));
    const sections = await Promise.all(data.schedules.map((s) => scheduleSection(s, data.contacts)));
    root.replaceChildren(...sections.map((s) => s.section));
    live(() => {
      sections.forEach((s) => s.load());
      loadWindows();
    });
  }

  async function loadWindows() {
    const { status, data } = await api('GET', '/maintenance');
    const list = $('#windows');
    if (status !== 200) {
      list.replaceChildren(el('li', `Not readable now: ${data.error || `HTTP ${status}`}`));
      return;
    }
    $('#services').replaceChildren(
      ...data.services.map((name) => {
        const option = el('option');
        option.value = name;
        return option;
      }),
    );
    list.replaceChildren(
      ...(data.windows.length ? [] : [el('li', 'None under way or planned.')]),
      ...(data.unreadable.length
        ? [el('li', `Not readable (is a worker running?): ${data.unreadable.join(', ')}`)]
        : []),
      ...data.windows.map((w) => {
        const li = el(
          'li',
          `${w.service}: ${new Date(w.from).toLocaleString()} – ${new Date(w.to).toLocaleString()} (by ${w.by}${w.reason ? `: ${w.reason}` : ''}) `,
        );
        if (Date.parse(w.from) <= Date.now()) {
          const end = el('button', `End maintenance of ${w.service}`);
          end.type = 'button';
          end.addEventListener('click', async () => {
            const r = await api('DELETE', `/maintenance/${encodeURIComponent(w.service)}`);
            if (r.status === 200)
              answerIn('#window-answer', `Maintenance of ${w.service} ended.`, 'accepted');
            else answerIn('#window-answer', `Not ended: ${r.data.error || `HTTP ${r.status}`}`, 'refused');
            loadWindows();
          });
          li.append(end);
        }
        return li;
      }),
    );
  }

  function maintenanceForm() {
    const form = $('#new-window');
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const f = fieldsOf(form);
      const r = await api('POST', `/maintenance/${encodeURIComponent(f.service)}`, {
        minutes: Number(f.minutes),
        ...(f.reason ? { reason: f.reason } : {}),
      });
      if (r.status === 201)
        answerIn(
          '#window-answer',
          `Maintenance of ${r.data.service} until ${new Date(r.data.to).toLocaleString()}.`,
          'accepted',
        );
      else answerIn('#window-answer', `Not started: ${r.data.error || `HTTP ${r.status}`}`, 'refused');
      loadWindows();
      // The list comes from Temporal's visibility, which may take a moment to show a new workflow.
      setTimeout(loadWindows, 1500);
    });
  }

  pages.oncall = onCallPage;
})();
