/**
 * The public status page's model: each customer-facing service's state, from its open incidents unless a
 * responder says otherwise, and what responders wrote. Pure; the store and the routes feed it.
 */
export type ServiceHealth = 'operational' | 'degraded' | 'major_outage';
export const SERVICE_HEALTHS: readonly ServiceHealth[] = ['operational', 'degraded', 'major_outage'];
export type StatusUpdateStatus = 'investigating' | 'identified' | 'monitoring' | 'resolved';
export const STATUS_UPDATE_STATUSES: readonly StatusUpdateStatus[] = [
  'investigating',
  'identified',
  'monitoring',
  'resolved',
];

/** What a status page says before a responder writes (`publicStatus.firstMessage`; `{service}` is replaced). */
export const DEFAULT_FIRST_MESSAGE =
  'We are investigating an issue affecting {service}. Next update within 30 minutes.';

/**
 * The automatic messages of a customer-facing incident (the first, a return, the fix, the resolve): the
 * service's configured name and the phase, never the alert's words (only a responder publishes those).
 */
export function automaticStatusMessage(
  phase: 'investigating' | 'returned' | 'monitoring' | 'resolved',
  service: string,
  firstMessage: string = DEFAULT_FIRST_MESSAGE,
): string {
  switch (phase) {
    case 'investigating':
      return firstMessage.split('{service}').join(service);
    case 'returned':
      return `The issue affecting ${service} has returned. We are investigating.`;
    case 'monitoring':
      return `A fix has been applied to ${service} and we are monitoring the results.`;
    case 'resolved':
      return `The issue affecting ${service} has been resolved.`;
  }
}

/** The seed's "next update in 30 minutes". */
export const DEFAULT_NEXT_UPDATE_MINUTES = 30;
/** How far back the page and its feeds show past incidents. */
export const STATUS_HISTORY_DAYS = 90;

export const HEALTH_LABELS: Record<ServiceHealth, string> = {
  operational: 'Operational',
  degraded: 'Degraded performance',
  major_outage: 'Major outage',
};

export interface StatusUpdate {
  id: number;
  incidentId: string;
  service: string;
  /** What customers see as the incident's name: the responder's words, never the alert's summary. */
  title: string;
  status: StatusUpdateStatus;
  message: string;
  impact: string | null;
  eta: string | null;
  nextUpdateAt: string | null;
  author: string;
  publishedAt: string;
  /** The configured first message of an incident nobody has written about yet (not stored). */
  automatic?: true;
}

interface OpenIncident {
  id: string;
  service: string;
  severity: string;
  status: string;
}

/** A P1 is a major outage, a P2 degraded service; a P3 or a suppressed incident leaves the service operational. */
function healthOfIncident(i: OpenIncident): ServiceHealth {
  if (i.status === 'suppressed') return 'operational';
  return i.severity === 'P1' ? 'major_outage' : i.severity === 'P2' ? 'degraded' : 'operational';
}

const worse = (a: ServiceHealth, b: ServiceHealth) =>
  SERVICE_HEALTHS.indexOf(a) >= SERVICE_HEALTHS.indexOf(b) ? a : b;

export interface ServiceState {
  service: string;
  health: ServiceHealth;
  /** `incidents`: derived from the open incidents; `responder`: a responder's override (with who and why). */
  source: 'incidents' | 'responder';
  overriddenBy?: string;
  reason?: string | null;
}

/** Each service's state: a responder's override when there is one, else the worst of its open incidents. */
export function serviceStates(
  services: string[],
  open: OpenIncident[],
  overrides: { service: string; health: ServiceHealth; reason: string | null; setBy: string }[],
): ServiceState[] {
  return services.map((service) => {
    const override = overrides.find((o) => o.service === service);
    if (override)
      return {
        service,
        health: override.health,
        source: 'responder',
        overriddenBy: override.setBy,
        reason: override.reason,
      };
    const health = open
      .filter((i) => i.service === service)
      .map(healthOfIncident)
      .reduce(worse, 'operational' as ServiceHealth);
    return { service, health, source: 'incidents' };
  });
}

export interface PublicIncident {
  incidentId: string;
  service: string;
  title: string;
  status: StatusUpdateStatus;
  /** Newest first. */
  updates: StatusUpdate[];
}

/**
 * For each open incident that changes its service's state and that no responder has written about yet: the
 * configured first message, as of the incident's start, so customers see that it is known.
 */
export function firstMessages(
  open: (OpenIncident & { createdAt: string })[],
  updates: StatusUpdate[],
  firstMessage?: string,
): StatusUpdate[] {
  const written = new Set(updates.map((u) => u.incidentId));
  return open
    .filter((i) => healthOfIncident(i) !== 'operational' && !written.has(i.id))
    .map((i) => ({
      id: 0,
      incidentId: i.id,
      service: i.service,
      title: `${i.service}: service disruption`,
      status: 'investigating',
      message: automaticStatusMessage('investigating', i.service, firstMessage),
      impact: null,
      eta: null,
      nextUpdateAt: null,
      author: 'automatic',
      publishedAt: i.createdAt,
      automatic: true,
    }));
}

/** Updates grouped by incident, the incident with the newest update first; its title and status are its newest. */
export function publicIncidents(updates: StatusUpdate[]): PublicIncident[] {
  const byIncident = new Map<string, StatusUpdate[]>();
  const newestFirst = [...updates].sort((a, b) => b.publishedAt.localeCompare(a.publishedAt) || b.id - a.id);
  for (const u of newestFirst) byIncident.set(u.incidentId, [...(byIncident.get(u.incidentId) ?? []), u]);
  return [...byIncident.values()].map((list) => ({
    incidentId: list[0].incidentId,
    service: list[0].service,
    title: list[0].title,
    status: list[0].status,
    updates: list,
  }));
}

/** The page's headline: all operational, or the worst state any service is in. */
export function overallHealth(states: ServiceState[]): ServiceHealth {
  return states.map((s) => s.health).reduce(worse, 'operational' as ServiceHealth);
}
