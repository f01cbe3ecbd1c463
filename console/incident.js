// The incident page: header, actions, approvals, alerts, pages and timeline (live), the public status update,
// the review and its action items. Helpers from console.js (loaded first).
'use strict';

(function () {
  const { $, el, safeLink, api, when, live, changeListeners, fieldsOf, answerIn, csrf, pages } =
    window.DurableRunbooks;
  const body = document.body;

  function incidentPage() {
    const id = body.dataset.incident;
    const path = `/incidents/${encodeURIComponent(id)}`;
    const answer = $('#answer');
    const say = (text, outcome) => {
      answer.textContent = text;
      answer.className = outcome;
    };
    const fact = (dl, term, value) => dl.append(el('dt', term), el('dd', value));

    async function act(action, payload) {
      say('Sending…', 'sending');
      const { status, data } = await api('POST', `${path}/${action}`, payload);
      if (status === 200) say(data.message || 'Done.', 'accepted');
      else say(`Not done: ${data.error || `HTTP ${status}`}`, 'refused');
    }
    for (const button of document.querySelectorAll('button[data-action]')) {
      button.addEventListener('click', () => {
        const action = button.dataset.action;
        if (action === 'resolve') return act('resolve', { summary: $('#summary').value });
        if (action === 'severity') return act('severity', { severity: $('#severity').value });
        if (action === 'note') return act('note', { text: $('#note').value });
        if (action === 'escalate') return act('escalate', {});
        if (action === 'page')
          return act('page', { [$('#responder-kind').value]: $('#responder-name').value });
        if (action === 'snooze') return act('snooze', { minutes: Number($('#snooze').value) });
        if (action === 'reassign') return act('reassign', { team: $('#responder-name').value });
        if (action === 'merge') return act('merge', { into: $('#merge-into').value.trim() });
        if (action === 'role')
          return act('role', { role: $('#role').value, person: $('#role-person').value });
        return act('acknowledge', {});
      });
    }

    let severityShown = false;
    async function refresh() {
      const [record, now] = await Promise.all([api('GET', path), api('GET', `${path}/live`)]);
      if (record.status === 200) {
        const r = record.data;
        $('#title').textContent = `${r.severity} · ${r.summary}`;
        document.title = `${r.severity} ${r.status} · ${r.service} · Durable Runbooks`;
        const dl = $('#header');
        dl.replaceChildren();
        fact(dl, 'Severity', r.severity);
        if (!severityShown) {
          $('#severity').value = r.severity;
          severityShown = true;
        }
        fact(dl, 'Status', r.status);
        fact(dl, 'Service', r.service);
        fact(dl, 'Scenario', r.scenario);
        fact(dl, 'Opened', when(r.createdAt));
        fact(
          dl,
          'Acknowledged',
          r.acknowledgedAt ? `${r.acknowledgedBy} at ${when(r.acknowledgedAt)}` : 'no',
        );
        const roles = r.roles || {};
        fact(dl, 'Commander', roles.commander || r.acknowledgedBy || 'nobody yet');
        if (roles.communications) fact(dl, 'Communications', roles.communications);
        if (roles.scribe) fact(dl, 'Scribe', roles.scribe);
        if (r.resolvedAt) fact(dl, 'Resolved', `${r.resolvedBy} at ${when(r.resolvedAt)}`);
        const tl = $('#timeline');
        tl.replaceChildren(
          ...r.timeline.map((e) => {
            const li = el('li');
            li.append(el('time', when(e.at)), el('span', e.type, 'type'), el('span', e.message, 'message'));
            if (e.actor) li.append(el('span', `— ${e.actor}`, 'actor'));
            return li;
          }),
        );
        const nt = $('#notifications tbody');
        nt.replaceChildren(
          ...r.notifications.map((n) => {
            const tr = el('tr');
            tr.append(el('td', when(n.at)), el('td', n.channel), el('td', n.levelName || '—'));
            tr.append(el('td', (n.contacts || []).join(', ') || '—'), el('td', n.delivered ? 'yes' : 'NO'));
            tr.append(el('td', n.detail || n.reason || ''));
            return tr;
          }),
        );
      } else if (record.status === 404) {
        $('#title').textContent = `Incident ${id} (not in the record yet)`;
      }
      const links = $('#links');
      const approvals = $('#approvals');
      const alerts = $('#alerts');
      if (now.status !== 200) {
        approvals.replaceChildren(el('li', 'Its workflow does not answer now (closed, or not reachable).'));
        return;
      }
      const v = now.data;
      const linkItem = (url, text) => {
        const li = el('li');
        li.append(safeLink(url, text));
        return li;
      };
      $('#responders').replaceChildren(
        ...(v.responders.length ? [] : [el('li', 'None added.')]),
        ...v.responders.map((r) => {
          const state = r.answeredBy
            ? `answered by ${r.answeredBy}`
            : r.ended || (r.nextPageAt ? `paging; next page ${when(r.nextPageAt)}` : 'paging stopped');
          return el('li', `${r.label} (asked by ${r.requestedBy}): ${r.pages} page(s), ${state}`);
        }),
      );
      // Revision 9: who hears of it next by their notification rules, unless someone owns it first.
      $('#follow-ups').replaceChildren(
        ...(v.followUps || []).map((f) => el('li', `${f.contact} by ${f.channel} at ${when(f.dueAt)}`)),
      );
      $('#follow-ups-h').hidden = !(v.followUps || []).length;
      links.replaceChildren(
        linkItem(v.temporalUi, 'Temporal UI: its workflow and history'),
        ...(v.slackThread ? [linkItem(v.slackThread, 'Slack: the incident’s thread')] : []),
        ...(v.pagerduty || []).map((p) => linkItem(p.url, `PagerDuty: the page to ${p.to} (${p.status})`)),
      );
      approvals.replaceChildren(
        ...(v.pendingApprovals.length ? [] : [el('li', 'None pending.')]),
        ...v.pendingApprovals.map((p) => {
          const li = el('li');
          li.append(el('strong', p.step), el('span', ` proposed ${when(p.requestedAt)} `));
          for (const [label, action] of [
            ['Approve', 'approve'],
            ['Reject', 'reject'],
          ]) {
            const b = el('button', `${label} ${p.step}`);
            b.type = 'button';
            b.addEventListener('click', () => act(action, { step: p.step, proposal: p.requestedAt }));
            li.append(b);
          }
          return li;
        }),
      );
      alerts.replaceChildren(
        ...(v.alerts.length ? [] : [el('li', 'No alert (declared by a person).')]),
        ...v.alerts.map((a) => {
          const li = el('li');
          li.append(el('strong', `${a.status}: `), el('span', a.summary));
          const labels = el('ul', undefined, 'labels');
          for (const [k, val] of Object.entries(a.labels || {})) labels.append(el('li', `${k}=${val}`));
          li.append(labels);
          const links = el('ul', undefined, 'links');
          const given = { ...(a.url ? { source: a.url } : {}), ...(a.links || {}) };
          for (const [kind, label] of [
            ['dashboard', 'Dashboard'],
            ['panel', 'Panel'],
            ['source', `Source (${a.source})`],
            ['silence', 'Silence it'],
          ]) {
            if (!given[kind]) continue;
            const item = el('li');
            item.append(safeLink(given[kind], label));
            links.append(item);
          }
          if (links.childElementCount) li.append(links);
          return li;
        }),
      );
    }
    live(refresh);
    publicUpdates(path);
    reviewAndActions(id);
  }

  function publicUpdates(path) {
    const form = $('#public-update');
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const fields = fieldsOf(form);
      if (fields.nextUpdateInMinutes) fields.nextUpdateInMinutes = Number(fields.nextUpdateInMinutes);
      if (fields.status === 'resolved') delete fields.nextUpdateInMinutes;
      answerIn('#public-answer', 'Publishing…', 'sending');
      const res = await fetch(`/api/v1${path}/status-updates`, {
        method: 'POST',
        credentials: 'same-origin',
        headers: {
          'content-type': 'application/json',
          'x-csrf-token': csrf,
          'idempotency-key': crypto.randomUUID(),
        },
        body: JSON.stringify(fields),
      });
      const data = await res.json().catch(() => ({}));
      if (res.status === 201 || res.status === 200)
        answerIn(
          '#public-answer',
          `Published at ${when(data.publishedAt)}${data.nextUpdateAt ? `; next update due ${when(data.nextUpdateAt)}` : ''}.`,
          'accepted',
        );
      else answerIn('#public-answer', `Not published: ${data.error || `HTTP ${res.status}`}`, 'refused');
    });
  }

  function reviewAndActions(id) {
    const form = $('#review');
    const enc = encodeURIComponent(id);
    let asked = 0;
    async function loadReview() {
      // Answers can arrive out of order: only the newest question's answer is shown.
      const mine = ++asked;
      const { status, data } = await api('GET', `/reviews/${enc}`);
      if (mine !== asked || !form.hidden) return;
      if (status !== 200) {
        $('#review-state').textContent = 'The review is written when the incident is resolved.';
        form.hidden = true;
        return;
      }
      $('#review-state').textContent =
        `Written ${when(data.writtenAt)}. Fill in the root cause; the export includes the action items.`;
      for (const name of ['whatHappened', 'why', 'detection', 'resolution', 'prevention'])
        form.elements[name].value = data[name] || '';
      $('#export').href = `/api/v1/reviews/${enc}/markdown`;
      form.hidden = false;
      loadMeeting();
    }

    // The meeting proposed at close (engine revision 8), read from the review's workflow.
    async function loadMeeting() {
      const { status, data } = await api('GET', `/incidents/${enc}/review-meeting`);
      if (status !== 200) return;
      const m = data.meeting;
      const state = data.confirmedBy
        ? `Confirmed by ${data.confirmedBy}.`
        : data.waiting
          ? 'Not confirmed yet: confirm it, or move it.'
          : 'Not confirmed; the reminders have ended.';
      $('#meeting-state').textContent = m
        ? `Proposed for ${when(m.start)}, ${m.durationMinutes} minutes. Invited: ${m.invitees.join(', ') || 'nobody responded'}. ${state}`
        : `No meeting was proposed (an incident of an older engine revision). ${state}`;
      $('#meeting-actions').hidden = !data.waiting;
      $('#meeting').hidden = false;
    }
    async function schedule(payload) {
      answerIn('#meeting-answer', 'Sending…', 'sending');
      const { status, data } = await api('POST', `/incidents/${enc}/review-scheduled`, payload);
      if (status === 200) answerIn('#meeting-answer', data.message, 'accepted');
      else answerIn('#meeting-answer', `Not done: ${data.error || `HTTP ${status}`}`, 'refused');
      loadMeeting();
    }
    $('#meeting-confirm').addEventListener('click', () => schedule({}));
    $('#meeting-move').addEventListener('click', () => {
      const local = $('#meeting-when').value;
      if (!local) return answerIn('#meeting-answer', 'Choose the new time first.', 'refused');
      schedule({ when: new Date(local).toISOString() });
    });
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const fields = {};
      for (const name of ['whatHappened', 'why', 'detection', 'resolution', 'prevention'])
        fields[name] = form.elements[name].value;
      const { status, data } = await api('PATCH', `/reviews/${enc}`, fields);
      if (status === 200) answerIn('#review-answer', 'Saved.', 'accepted');
      else answerIn('#review-answer', `Not saved: ${data.error || `HTTP ${status}`}`, 'refused');
    });

    const statuses = ['open', 'in-progress', 'done', 'wont-do'];
    async function loadItems() {
      const { status, data } = await api('GET', `/action-items?incident=${enc}`);
      const tbody = $('#action-items tbody');
      if (status !== 200) return;
      tbody.replaceChildren(
        ...data.actionItems.map((item) => {
          const tr = el('tr');
          tr.append(el('td', item.title), el('td', item.owner || '—'), el('td', item.dueDate || '—'));
          const select = el('select');
          select.setAttribute('aria-label', `Status of ${item.title}`);
          for (const s of statuses) select.append(el('option', s));
          select.value = item.status;
          select.addEventListener('change', async () => {
            const r = await api('PATCH', `/action-items/${encodeURIComponent(item.id)}`, {
              status: select.value,
            });
            if (r.status === 200)
              answerIn('#action-answer', `"${item.title}" is ${select.value}.`, 'accepted');
            else answerIn('#action-answer', `Not changed: ${r.data.error || `HTTP ${r.status}`}`, 'refused');
          });
          const cell = el('td');
          cell.append(select);
          const link = el('td');
          if (item.link) link.append(safeLink(item.link, item.link));
          tr.append(cell, link);
          return tr;
        }),
      );
    }
    const add = $('#new-action');
    add.addEventListener('submit', async (e) => {
      e.preventDefault();
      const { status, data } = await api('POST', '/action-items', { incidentId: id, ...fieldsOf(add) });
      if (status === 201) {
        answerIn('#action-answer', `Added "${data.title}".`, 'accepted');
        add.reset();
        loadItems();
      } else answerIn('#action-answer', `Not added: ${data.error || `HTTP ${status}`}`, 'refused');
    });
    loadReview();
    loadItems();
    // The review appears once the incident closes: look again when the record changes, not over a person's typing.
    changeListeners.push(() => {
      if (form.hidden) loadReview();
    });
  }

  pages.incident = incidentPage;
})();
