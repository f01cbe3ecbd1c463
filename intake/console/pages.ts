/**
 * The console's HTML: small server-rendered shells. What they show is read by `console/console.js` through
 * the API, with the viewer's rights, and put on the page as text (never as markup). What the server writes
 * itself went through `markupText`.
 */
import { markupText } from '../../domain/text';

export interface Viewer {
  /** The person's name, or null on this machine before anyone has a token. */
  name: string | null;
  csrf: string;
}

/** Scripts and styles from this listener only; no inline script, no frame, no form elsewhere. */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

function layout(
  title: string,
  viewer: Viewer | null,
  body: string,
  data: Record<string, string> = {},
  scripts: string[] = [],
): string {
  const attrs = Object.entries(data)
    .map(([k, v]) => ` data-${k}="${markupText(v, 500)}"`)
    .join('');
  const who = viewer
    ? `<span class="who">${markupText(viewer.name ?? 'this machine (no login configured)', 200)}</span>` +
      (viewer.name ? ' <button type="button" id="logout">Log out</button>' : '')
    : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${viewer ? `<meta name="csrf-token" content="${markupText(viewer.csrf, 200)}">` : ''}
<title>${markupText(title, 200)} · Durable Runbooks</title>
<link rel="stylesheet" href="/console/console.css">
<link rel="stylesheet" href="/console/uplot.css">
<script src="/console/console.js" defer></script>
${scripts.map((file) => `<script src="/console/${file}" defer></script>`).join('\n')}
</head>
<body${attrs}>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <nav aria-label="Console"><a href="/" class="brand">Durable Runbooks</a> <a href="/">Incidents</a> <a href="/oncall">On-call</a> <a href="/reports">Reports</a> <a href="/status">Status page</a></nav>
  <div class="viewer">${who}</div>
</header>
<main id="main">
${body}
</main>
</body>
</html>
`;
}

export function loginPage(csrf: string, next: string, problem?: string): string {
  return layout(
    'Log in',
    null,
    `<h1>Log in</h1>
<p>Paste your API token (<code>durable-runbooks token create &lt;you&gt;</code>).</p>
${problem ? `<p class="refused" role="alert">${markupText(problem, 300)}</p>` : ''}
<form method="post" action="/login" class="login">
  <input type="hidden" name="csrf" value="${markupText(csrf, 200)}">
  <input type="hidden" name="next" value="${markupText(next, 500)}">
  <label for="token">API token</label>
  <input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
  <button type="submit">Log in</button>
</form>`,
  );
}

/** `teams`: the configured teams, id and display name, for the team filter. */
export function incidentListPage(viewer: Viewer, teams: { id: string; name: string }[] = []): string {
  const teamOptions = teams
    .map((t) => `<option value="${markupText(t.id, 200)}">${markupText(t.name, 200)}</option>`)
    .join('');
  return layout(
    'Incidents',
    viewer,
    `<div id="p1-banner" class="banner" role="alert" hidden></div>
<h1>Incidents</h1>
<form id="filters" class="filters" aria-label="Filters">
  <label>Status <select name="status"><option value="">any</option><option>triggered</option><option>acknowledged</option><option>resolved</option><option>cancelled</option></select></label>
  <label>Severity <select name="severity"><option value="">any</option><option>P1</option><option>P2</option><option>P3</option></select></label>
  <label>Service <input name="service" size="14" autocomplete="off"></label>
  <label>Team <select name="team"><option value="">any</option>${teamOptions}</select></label>
</form>
<p id="live" class="live" aria-live="polite">connecting…</p>
<div class="table-wrap"><table id="incidents">
  <thead><tr><th scope="col">Severity</th><th scope="col">Status</th><th scope="col">Service</th><th scope="col">Team</th><th scope="col">Summary</th><th scope="col">Age</th><th scope="col">Paged</th><th scope="col">Acknowledged</th></tr></thead>
  <tbody></tbody>
</table></div>
<p><button type="button" id="more" hidden>More</button></p>`,
    { page: 'list' },
  );
}

export function incidentPage(viewer: Viewer, id: string): string {
  return layout(
    `Incident ${id}`,
    viewer,
    `<p><a href="/">← Incidents</a></p>
<h1 id="title">Incident</h1>
<dl id="header" class="facts"></dl>
<p id="live" class="live" aria-live="polite">connecting…</p>
<section aria-labelledby="act-h"><h2 id="act-h">Act</h2>
<div class="actions">
  <button type="button" data-action="acknowledge">Acknowledge</button>
  <button type="button" data-action="escalate">Escalate</button>
  <label>Severity <select id="severity"><option>P1</option><option>P2</option><option>P3</option></select></label>
  <button type="button" data-action="severity">Change severity</button>
</div>
<div class="actions">
  <label>Resolution summary <input id="summary" size="40"></label>
  <button type="button" data-action="resolve">Resolve</button>
</div>
<div class="actions">
  <label>Note <textarea id="note" rows="2" cols="40"></textarea></label>
  <button type="button" data-action="note">Add note</button>
</div>
<div class="actions">
  <label>Add a responder <select id="responder-kind"><option>team</option><option>person</option><option>schedule</option></select></label>
  <label>Id <input id="responder-name" size="16" autocomplete="off" placeholder="db"></label>
  <button type="button" data-action="page">Page responder</button>
  <button type="button" data-action="reassign">Reassign to team</button>
  <label>Snooze minutes <input id="snooze" type="number" min="1" max="1440" value="60"></label>
  <button type="button" data-action="snooze">Snooze</button>
</div>
<div class="actions">
  <label>Role <select id="role"><option value="commander">commander</option><option value="communications">communications lead</option><option value="scribe">scribe</option></select></label>
  <label>Person <input id="role-person" size="16" autocomplete="off" placeholder="contact id, name or me"></label>
  <button type="button" data-action="role">Set role</button>
</div>
<div class="actions">
  <label>Merge into incident <input id="merge-into" size="28" autocomplete="off" placeholder="incident-…"></label>
  <button type="button" data-action="merge">Merge</button>
</div>
<p id="answer" role="status" aria-live="assertive"></p>
</section>
<section aria-labelledby="responders-h"><h2 id="responders-h">Added responders</h2><ul id="responders"></ul></section>
<section aria-labelledby="approvals-h"><h2 id="approvals-h">Runbook approvals</h2><ul id="approvals"></ul></section>
<section aria-labelledby="public-h"><h2 id="public-h">Status page update</h2>
<p>What customers read on the status page (customer-facing services only). Never pasted alert text.</p>
<form id="public-update" class="stack">
  <label>Status <select name="status"><option>investigating</option><option>identified</option><option>monitoring</option><option>resolved</option></select></label>
  <label>Title <input name="title" size="40" maxlength="200"></label>
  <label>Message <textarea name="message" rows="3" cols="60" required placeholder="We are currently experiencing …"></textarea></label>
  <label>Impact <input name="impact" size="40" maxlength="500" placeholder="Users may …"></label>
  <label>ETA <input name="eta" size="20" maxlength="100" placeholder="within the hour"></label>
  <label>Next update in (minutes) <input name="nextUpdateInMinutes" type="number" min="5" max="1440" value="30"></label>
  <button type="submit">Publish update</button>
</form>
<p id="public-answer" role="status" aria-live="polite"></p>
</section>
<section aria-labelledby="links-h"><h2 id="links-h">Links</h2><ul id="links"></ul></section>
<section aria-labelledby="alerts-h"><h2 id="alerts-h">Source alerts</h2><ul id="alerts"></ul></section>
<section aria-labelledby="pages-h"><h2 id="pages-h">Pages and notifications</h2>
<h3 id="follow-ups-h" hidden>Next, by their notification rules</h3><ul id="follow-ups"></ul>
<div class="table-wrap"><table id="notifications"><thead><tr><th scope="col">When</th><th scope="col">Channel</th><th scope="col">Level</th><th scope="col">To</th><th scope="col">Delivered</th><th scope="col">Detail</th></tr></thead><tbody></tbody></table></div></section>
<section aria-labelledby="timeline-h"><h2 id="timeline-h">Timeline</h2><ol id="timeline" class="timeline"></ol></section>
<section aria-labelledby="review-h"><h2 id="review-h">Post-incident review</h2>
<p id="review-state"></p>
<div id="meeting" hidden>
<h3>Review meeting</h3>
<p id="meeting-state"></p>
<div class="actions" id="meeting-actions">
  <button type="button" id="meeting-confirm">Confirm the meeting</button>
  <label>Or move it to <input id="meeting-when" type="datetime-local"></label>
  <button type="button" id="meeting-move">Move the meeting</button>
</div>
<p id="meeting-answer" role="status" aria-live="polite"></p>
</div>
<form id="review" class="stack" hidden>
  <label>What happened? <textarea name="whatHappened" rows="2" cols="60"></textarea></label>
  <label>Why did it happen? <textarea name="why" rows="2" cols="60"></textarea></label>
  <label>How did we detect it? <textarea name="detection" rows="2" cols="60"></textarea></label>
  <label>How did we resolve it? <textarea name="resolution" rows="2" cols="60"></textarea></label>
  <label>What can we do to prevent it? <textarea name="prevention" rows="2" cols="60"></textarea></label>
  <button type="submit">Save the review</button> <a id="export" href="#">Export Markdown</a>
</form>
<p id="review-answer" role="status" aria-live="polite"></p>
<h3>Action items</h3>
<div class="table-wrap"><table id="action-items"><thead><tr><th scope="col">Action</th><th scope="col">Owner</th><th scope="col">Due</th><th scope="col">Status</th><th scope="col">Tracking</th></tr></thead><tbody></tbody></table></div>
<form id="new-action" class="actions">
  <label>Action <input name="title" size="30" maxlength="500" required></label>
  <label>Owner (contact) <input name="owner" size="14" maxlength="100"></label>
  <label>Due <input name="dueDate" type="date"></label>
  <label>Tracking link <input name="link" type="url" size="24" placeholder="https://…"></label>
  <button type="submit">Add action item</button>
</form>
<p id="action-answer" role="status" aria-live="polite"></p>
</section>`,
    { page: 'incident', incident: id },
    ['incident.js'],
  );
}

export function onCallPage(viewer: Viewer): string {
  return layout(
    'On-call',
    viewer,
    `<h1>On-call</h1>
<p id="live" class="live" aria-live="polite">connecting…</p>
<div id="schedules"><p>Reading the schedules…</p></div>
<section aria-labelledby="maint-h"><h2 id="maint-h">Maintenance windows</h2>
<p>During planned work a service's alerts open suppressed incidents that page nobody.</p>
<ul id="windows"><li>Reading…</li></ul>
<form id="new-window" class="actions" aria-label="Start a maintenance window">
  <label>Service <input name="service" list="services" size="16" required autocomplete="off"></label>
  <datalist id="services"></datalist>
  <label>For (minutes) <input name="minutes" type="number" min="1" max="10080" value="60" required></label>
  <label>Reason <input name="reason" size="24" maxlength="500"></label>
  <button type="submit">Start maintenance</button>
</form>
<p id="window-answer" role="status" aria-live="polite"></p>
</section>`,
    { page: 'oncall' },
    ['oncall.js'],
  );
}

export function reportsPage(viewer: Viewer): string {
  return layout(
    'Reports',
    viewer,
    `<h1>Reports</h1>
<form id="report-filters" class="filters" aria-label="Period and filters">
  <label>Period <select name="since"><option value="30d">30 days</option><option value="90d" selected>90 days</option><option value="180d">180 days</option><option value="365d">a year</option></select></label>
  <label>Service <input name="service" size="14" autocomplete="off"></label>
  <label>Severity <select name="severity"><option value="">any</option><option>P1</option><option>P2</option><option>P3</option></select></label>
</form>
<section aria-labelledby="times-h"><h2 id="times-h">Response times over time</h2>
<div id="chart-times" class="chart" role="img" aria-label="MTTA and MTTR per week; the numbers are in the table below"></div>
<div id="chart-count" class="chart" role="img" aria-label="Incidents per week; the numbers are in the table below"></div>
<div class="table-wrap"><table id="weeks"><thead></thead><tbody></tbody></table></div></section>
<section aria-labelledby="svc-h"><h2 id="svc-h">Per service and severity</h2>
<div class="table-wrap"><table id="by-service"><thead></thead><tbody></tbody></table></div></section>
<section aria-labelledby="load-h"><h2 id="load-h">On-call load</h2><p id="load-zone"></p>
<div class="table-wrap"><table id="load"><thead></thead><tbody></tbody></table></div></section>`,
    { page: 'reports' },
    ['uplot.js', 'reports.js'],
  );
}
