/**
 * The status page as HTML (no script, no external resource: it works with JavaScript off and under a CSP of
 * `default-src 'none'`) and as an Atom feed. Every text in them went through `markupText`: what responders
 * wrote is shown as they wrote it, never as markup.
 */
import {
  HEALTH_LABELS,
  type PublicIncident,
  type ServiceHealth,
  type ServiceState,
  type StatusUpdate,
} from '../../domain/status-page';
import { markupText } from '../../domain/text';

export interface StatusPageModel {
  title: string;
  generatedAt: string;
  overall: ServiceHealth;
  services: ServiceState[];
  /** Incidents whose newest update is not "resolved". */
  active: PublicIncident[];
  /** Resolved within the history window. */
  past: PublicIncident[];
}

const STATUS_LABELS: Record<StatusUpdate['status'], string> = {
  investigating: 'Investigating',
  identified: 'Identified',
  monitoring: 'Monitoring',
  resolved: 'Resolved',
};

const HEADLINES: Record<ServiceHealth, string> = {
  operational: 'All systems operational',
  degraded: 'Some systems are degraded',
  major_outage: 'Major outage',
};

/** Colours with a contrast of at least 4.5:1 on white, and a word beside each: colour is never the only sign. */
const STYLE = `
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a;background:#fff;margin:0}
main{max-width:48rem;margin:0 auto;padding:1rem}
h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2rem}
.banner{padding:1rem;border-radius:.4rem;color:#fff;font-weight:600}
.operational{background:#1e6b34}.degraded{background:#8a4b00}.major_outage{background:#a4161a}
ul.services{list-style:none;padding:0}ul.services li{display:flex;justify-content:space-between;padding:.6rem 0;border-bottom:1px solid #ccc}
.health-operational{color:#1e6b34}.health-degraded{color:#8a4b00}.health-major_outage{color:#a4161a}
article{border-left:4px solid #555;padding-left:1rem;margin:1rem 0}
.update p{margin:.2rem 0}.meta{color:#4a4a4a;font-size:.9rem}
a{color:#0b4f9c}
`;

const when = (iso: string) =>
  `<time datetime="${markupText(iso)}">${markupText(iso.replace('T', ' ').slice(0, 16))} UTC</time>`;

function paragraphs(text: string): string {
  return text
    .split(/\n+/)
    .filter((p) => p.trim())
    .map((p) => `<p>${markupText(p, 4000)}</p>`)
    .join('');
}

function updateHtml(u: StatusUpdate): string {
  return `<div class="update"><p><strong>${STATUS_LABELS[u.status]}</strong> — ${when(u.publishedAt)}</p>${paragraphs(u.message)}${
    u.impact ? `<p><strong>Impact:</strong> ${markupText(u.impact)}</p>` : ''
  }${u.eta ? `<p><strong>ETA:</strong> ${markupText(u.eta)}</p>` : ''}${
    u.nextUpdateAt ? `<p class="meta">Next update by ${when(u.nextUpdateAt)}</p>` : ''
  }</div>`;
}

function incidentHtml(i: PublicIncident, n: number, list: string): string {
  const id = `${list}-${n + 1}`;
  return `<article aria-labelledby="${id}"><h3 id="${id}">${markupText(i.title, 200)}</h3><p class="meta">${markupText(i.service)} · ${STATUS_LABELS[i.status]}</p>${i.updates.map(updateHtml).join('')}</article>`;
}

export function statusPageHtml(m: StatusPageModel): string {
  const services = m.services
    .map(
      (s) =>
        `<li><span>${markupText(s.service)}</span><span class="health-${s.health}">${HEALTH_LABELS[s.health]}</span></li>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${markupText(m.title)}</title><style>${STYLE}</style>
<link rel="alternate" type="application/atom+xml" title="${markupText(m.title)}" href="/status/feed.atom">
</head><body><main>
<h1>${markupText(m.title)}</h1>
<p class="banner ${m.overall}" role="status">${HEADLINES[m.overall]}</p>
<h2>Services</h2>
<ul class="services">${services || '<li>No customer-facing service is configured.</li>'}</ul>
<h2>Current incidents</h2>
${m.active.map((i, n) => incidentHtml(i, n, 'current')).join('') || '<p>No incident is under way.</p>'}
<h2>Past incidents (90 days)</h2>
${m.past.map((i, n) => incidentHtml(i, n, 'past')).join('') || '<p>No incident in the last 90 days.</p>'}
<p class="meta">Updated ${when(m.generatedAt)} · <a href="/status/feed.atom">Atom feed</a> · <a href="/status.json">JSON</a></p>
</main></body></html>
`;
}

/** Atom (RFC 4287): one entry per update, newest first. */
export function statusFeedAtom(m: StatusPageModel): string {
  const updates = [...m.active, ...m.past]
    .flatMap((i) => i.updates)
    .sort((a, b) => b.publishedAt.localeCompare(a.publishedAt) || b.id - a.id);
  const entries = updates
    .map((u) => {
      const text = [
        u.message,
        u.impact ? `Impact: ${u.impact}` : '',
        u.eta ? `ETA: ${u.eta}` : '',
        u.nextUpdateAt ? `Next update by ${u.nextUpdateAt}` : '',
      ]
        .filter(Boolean)
        .map((p) => markupText(p, 4000))
        .join('\n');
      return `  <entry>
    <id>${u.automatic ? `urn:durable-runbooks:incident:${markupText(u.incidentId)}:opened` : `urn:durable-runbooks:status-update:${u.id}`}</id>
    <title>${STATUS_LABELS[u.status]}: ${markupText(u.title, 200)}</title>
    <updated>${u.publishedAt}</updated>
    <link rel="alternate" href="/status"/>
    <category term="${markupText(u.service)}"/>
    <content type="text">${text}</content>
  </entry>`;
    })
    .join('\n');
  return `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <id>urn:durable-runbooks:status</id>
  <title>${markupText(m.title)}</title>
  <updated>${updates[0]?.publishedAt ?? m.generatedAt}</updated>
  <author><name>${markupText(m.title)}</name></author>
  <link rel="self" href="/status/feed.atom"/>
  <link rel="alternate" href="/status"/>
${entries}
</feed>
`;
}
