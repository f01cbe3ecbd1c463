/**
 * Who is on call at an instant: layered rotations in a time zone, restrictions, overrides. Pure (the instant
 * is passed in), so the workflow resolves a ladder level's person at the moment of each page, and unit tests
 * walk it across handoffs and daylight-saving changes.
 */

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** On `days`, from `from` until `to` local time ("HH:MM"); `to` at or before `from` runs past midnight. */
export interface Restriction {
  days: Weekday[];
  from: string;
  to: string;
}

export interface RotationLayer {
  name: string;
  /** Contact ids, in rotation order. */
  participants: string[];
  /** Local wall time of the first handoff, "YYYY-MM-DDTHH:MM": its time of day is every handoff's. */
  start: string;
  /**
   * Calendar days (handoffs at the same local time every N days, whatever daylight saving does), or a fixed
   * length in milliseconds for shifts that are not whole days.
   */
  rotation: { days: number } | { ms: number };
  /** When set, the layer has someone only inside these windows. */
  restrictions: Restriction[];
}

export interface OnCallSchedule {
  name: string;
  /** IANA zone, e.g. "Europe/Berlin". */
  timeZone: string;
  /** Lowest first: a higher layer wins wherever it has someone. */
  layers: RotationLayer[];
  /**
   * The team's working hours (`to` after `from`): a severity that pages in business hours only waits for
   * them.
   */
  businessHours?: Restriction;
}

/** Someone taking the pager from `from` until `to` (epoch ms): wins over every layer. */
export interface Override {
  contactId: string;
  from: number;
  to: number;
}

export interface OnCall {
  contactId: string;
  /** The layer's name, or "override". */
  layer: string;
}

interface LocalTime {
  /** Days since 1970-01-01 of the local calendar date. */
  day: number;
  /** Minutes since local midnight. */
  minute: number;
  weekday: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Whether `timeZone` is a zone this runtime knows. */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

function localTime(at: number, timeZone: string): LocalTime {
  const parts = new Map(
    formatter(timeZone)
      .formatToParts(new Date(at))
      .map((p) => [p.type, p.value]),
  );
  const day =
    Date.UTC(Number(parts.get('year')), Number(parts.get('month')) - 1, Number(parts.get('day'))) /
    86_400_000;
  return {
    day,
    minute: Number(parts.get('hour')) * 60 + Number(parts.get('minute')),
    weekday: (day + 4) % 7, // 1970-01-01 was a Thursday
  };
}

function parseLocal(start: string): { day: number; minute: number } {
  const [date, time] = start.split('T');
  const [y, m, d] = date.split('-').map(Number);
  const [hh, mm] = time.split(':').map(Number);
  return { day: Date.UTC(y, m - 1, d) / 86_400_000, minute: hh * 60 + mm };
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** The instant a local wall time names in `timeZone` (a time skipped by daylight saving moves forward). */
export function zonedInstant(local: string, timeZone: string): number {
  const { day, minute } = parseLocal(local);
  const wall = day * 86_400_000 + minute * 60_000;
  let guess = wall;
  // Two corrections settle any offset change (the offset at the guess, then at the corrected guess).
  for (let i = 0; i < 2; i++) {
    const seen = localTime(guess, timeZone);
    guess += wall - (seen.day * 86_400_000 + seen.minute * 60_000);
  }
  return guess;
}

function inRestriction(r: Restriction, t: LocalTime): boolean {
  const from = minutesOf(r.from);
  const to = minutesOf(r.to);
  const on = (weekday: number) => r.days.includes(WEEKDAYS[weekday]);
  if (from < to) return on(t.weekday) && t.minute >= from && t.minute < to;
  // Past midnight: the evening of a listed day, and the early hours of the day after it.
  return (on(t.weekday) && t.minute >= from) || (on((t.weekday + 6) % 7) && t.minute < to);
}

/** The layer's participant at `at`, or null before its start or outside its restrictions. */
export function layerOnCall(layer: RotationLayer, timeZone: string, at: number): string | null {
  const now = localTime(at, timeZone);
  if (layer.restrictions.length && !layer.restrictions.some((r) => inRestriction(r, now))) return null;
  let shift: number;
  if ('days' in layer.rotation) {
    const start = parseLocal(layer.start);
    // A local day's shift begins at the handoff time; before it, yesterday's shift is still on.
    const days = now.day - start.day - (now.minute < start.minute ? 1 : 0);
    shift = Math.floor(days / layer.rotation.days);
  } else {
    shift = Math.floor((at - zonedInstant(layer.start, timeZone)) / layer.rotation.ms);
  }
  if (shift < 0) return null;
  return layer.participants[shift % layer.participants.length];
}

/** Who is on call at `at`: an override, else the highest layer that has someone; null when nobody is. */
export function onCallAt(
  schedule: OnCallSchedule,
  at: number,
  overrides: readonly Override[] = [],
): OnCall | null {
  const override = overrides.find((o) => o.from <= at && at < o.to);
  if (override) return { contactId: override.contactId, layer: 'override' };
  for (let i = schedule.layers.length - 1; i >= 0; i--) {
    const contactId = layerOnCall(schedule.layers[i], schedule.timeZone, at);
    if (contactId) return { contactId, layer: schedule.layers[i].name };
  }
  return null;
}

/**
 * The first instant at or after `at` inside the schedule's business hours: `at` itself when it is inside them
 * or the schedule has none, else the start of the next business day's hours (daylight saving included).
 */
export function nextBusinessInstant(
  schedule: Pick<OnCallSchedule, 'timeZone' | 'businessHours'>,
  at: number,
): number {
  const hours = schedule.businessHours;
  if (!hours || !hours.days.length) return at;
  const today = localTime(at, schedule.timeZone).day;
  for (let day = today; day <= today + 7; day++) {
    if (!hours.days.includes(WEEKDAYS[(day + 4) % 7])) continue;
    const date = new Date(day * 86_400_000).toISOString().slice(0, 10);
    const start = zonedInstant(`${date}T${hours.from}`, schedule.timeZone);
    const end = zonedInstant(`${date}T${hours.to}`, schedule.timeZone);
    if (at < start) return start;
    if (at < end) return at;
  }
  return at;
}

/** An override as the schedule's workflow keeps it: who asked, and an id to remove it by. */
export interface StoredOverride extends Override {
  id: string;
  by: string;
  reason?: string;
}

/** Why a window from `from` to `to` cannot be set at `now` (overrides, maintenance), or null. */
export function windowRefusal(from: number, to: number, now: number): string | null {
  if (!Number.isFinite(from) || !Number.isFinite(to)) return 'from and to must be times';
  if (to <= from) return 'it ends before it starts';
  if (to <= now) return `it is in the past (ended ${new Date(to).toISOString()})`;
  return null;
}

/**
 * Why an override cannot be added at `now`, or null: it must end after it starts, not lie in the past, and
 * not overlap another one (two people holding one pager is a mistake, not a preference).
 */
export function overrideRefusal(
  existing: readonly StoredOverride[],
  o: Override,
  now: number,
): string | null {
  const invalid = windowRefusal(o.from, o.to, now);
  if (invalid) return invalid;
  const clash = existing.find((e) => e.from < o.to && o.from < e.to);
  if (clash)
    return `it overlaps override ${clash.id} (${clash.contactId}, ${new Date(clash.from).toISOString()} – ${new Date(clash.to).toISOString()}, by ${clash.by})`;
  return null;
}

/** Who is on call from `from` for `days`: one row per change of person, for `oncall next`. */
export function shiftsAhead(
  schedule: OnCallSchedule,
  overrides: readonly Override[],
  from: number,
  until: number,
  stepMs = 15 * 60_000,
): { from: number; to: number; onCall: OnCall | null }[] {
  const rows: { from: number; to: number; onCall: OnCall | null }[] = [];
  // Changes fall on handoffs, restriction edges and override edges: all on whole quarter hours in practice,
  // and override edges exactly, so they are added to the sampled instants.
  const instants = new Set<number>();
  for (let t = from; t < until; t += stepMs) instants.add(t);
  for (const o of overrides) for (const t of [o.from, o.to]) if (t > from && t < until) instants.add(t);
  for (const t of [...instants].sort((a, b) => a - b)) {
    const onCall = onCallAt(schedule, t, overrides);
    const last = rows[rows.length - 1];
    if (last && last.onCall?.contactId === onCall?.contactId && last.onCall?.layer === onCall?.layer)
      continue;
    if (last) last.to = t;
    rows.push({ from: t, to: until, onCall });
  }
  return rows;
}
