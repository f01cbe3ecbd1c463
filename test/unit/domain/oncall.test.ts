/** Who is on call: handoffs, daylight-saving changes in two zones, layers, restrictions, overrides. */
import { parseConfig } from '../../../config';
import { rawTestConfig, testConfig } from '../../../scripts/testbed/config';
import {
  layerOnCall,
  nextBusinessInstant,
  onCallAt,
  overrideRefusal,
  shiftsAhead,
  zonedInstant,
  type OnCallSchedule,
  type RotationLayer,
  type Weekday,
} from '../../../domain/oncall';

const at = (iso: string) => Date.parse(iso);
const daily = (start: string, participants = ['ann', 'bob', 'cai']): RotationLayer => ({
  name: 'primary',
  participants,
  start,
  rotation: { days: 1 },
  restrictions: [],
});

describe('handoffs', () => {
  const layer = daily('2026-11-02T09:00');

  test('the first shift starts at the first handoff; nobody before it', () => {
    expect(layerOnCall(layer, 'UTC', at('2026-11-02T08:59:59Z'))).toBeNull();
    expect(layerOnCall(layer, 'UTC', at('2026-11-02T09:00:00Z'))).toBe('ann');
  });

  test('each handoff at 09:00 passes the pager on, in order, wrapping round', () => {
    expect(layerOnCall(layer, 'UTC', at('2026-11-03T08:59:59Z'))).toBe('ann');
    expect(layerOnCall(layer, 'UTC', at('2026-11-03T09:00:00Z'))).toBe('bob');
    expect(layerOnCall(layer, 'UTC', at('2026-11-04T23:00:00Z'))).toBe('cai');
    expect(layerOnCall(layer, 'UTC', at('2026-11-05T09:00:00Z'))).toBe('ann');
  });

  test('weekly rotation hands off on the same weekday and time', () => {
    const weekly = { ...layer, rotation: { days: 7 } };
    expect(layerOnCall(weekly, 'UTC', at('2026-11-09T08:59:00Z'))).toBe('ann');
    expect(layerOnCall(weekly, 'UTC', at('2026-11-09T09:00:00Z'))).toBe('bob');
    expect(layerOnCall(weekly, 'UTC', at('2026-11-23T09:00:00Z'))).toBe('ann');
  });

  test('a 12-hour rotation counts real hours from the first handoff', () => {
    const halfDay = { ...layer, rotation: { ms: 12 * 3_600_000 } };
    expect(layerOnCall(halfDay, 'UTC', at('2026-11-02T20:59:00Z'))).toBe('ann');
    expect(layerOnCall(halfDay, 'UTC', at('2026-11-02T21:00:00Z'))).toBe('bob');
    expect(layerOnCall(halfDay, 'UTC', at('2026-11-03T09:00:00Z'))).toBe('cai');
  });
});

describe('daylight saving: handoffs stay at local 09:00', () => {
  test('Europe/Berlin, spring forward (29 March 2026): 08:00Z before, 07:00Z after', () => {
    const layer = daily('2026-03-27T09:00', ['ann', 'bob']);
    // 28 March, CET (+1): the handoff is 08:00Z.
    expect(layerOnCall(layer, 'Europe/Berlin', at('2026-03-28T07:59:00Z'))).toBe('ann');
    expect(layerOnCall(layer, 'Europe/Berlin', at('2026-03-28T08:00:00Z'))).toBe('bob');
    // 29 March, CEST (+2) since 01:00Z: the handoff is 07:00Z.
    expect(layerOnCall(layer, 'Europe/Berlin', at('2026-03-29T06:59:00Z'))).toBe('bob');
    expect(layerOnCall(layer, 'Europe/Berlin', at('2026-03-29T07:00:00Z'))).toBe('ann');
  });

  test('Europe/Berlin, fall back (25 October 2026): a 25-hour shift, the handoff still at local 09:00', () => {
    const layer = daily('2026-10-24T09:00', ['ann', 'bob']);
    expect(layerOnCall(layer, 'Europe/Berlin', at('2026-10-24T07:00:00Z'))).toBe('ann'); // 09:00 CEST
    expect(layerOnCall(layer, 'Europe/Berlin', at('2026-10-25T07:59:00Z'))).toBe('ann'); // 08:59 CET
    expect(layerOnCall(layer, 'Europe/Berlin', at('2026-10-25T08:00:00Z'))).toBe('bob'); // 09:00 CET
  });

  test('America/New_York, spring forward (8 March 2026) and fall back (1 November 2026)', () => {
    const layer = daily('2026-03-07T09:00', ['ann', 'bob']);
    expect(layerOnCall(layer, 'America/New_York', at('2026-03-07T14:00:00Z'))).toBe('ann'); // 09:00 EST
    expect(layerOnCall(layer, 'America/New_York', at('2026-03-08T12:59:00Z'))).toBe('ann'); // 08:59 EDT
    expect(layerOnCall(layer, 'America/New_York', at('2026-03-08T13:00:00Z'))).toBe('bob'); // 09:00 EDT
    const fall = daily('2026-10-31T09:00', ['ann', 'bob']);
    expect(layerOnCall(fall, 'America/New_York', at('2026-11-01T13:59:00Z'))).toBe('ann'); // 08:59 EST
    expect(layerOnCall(fall, 'America/New_York', at('2026-11-01T14:00:00Z'))).toBe('bob'); // 09:00 EST
  });

  test('a handoff inside the skipped hour happens when the clock jumps', () => {
    const layer = daily('2026-03-28T02:30', ['ann', 'bob']);
    expect(zonedInstant('2026-03-29T02:30', 'Europe/Berlin')).toBe(at('2026-03-29T01:30:00Z')); // 03:30 CEST
    expect(layerOnCall(layer, 'Europe/Berlin', at('2026-03-29T00:59:00Z'))).toBe('ann'); // 01:59 CET
    expect(layerOnCall(layer, 'Europe/Berlin', at('2026-03-29T01:00:00Z'))).toBe('bob'); // 03:00 CEST
  });
});

describe('layers, restrictions and overrides', () => {
  // Weekly rotation underneath; business hours (Mon–Fri 09:00–17:00) by a daily day-shift layer on top.
  const schedule: OnCallSchedule = {
    name: 'checkout',
    timeZone: 'Europe/Berlin',
    layers: [
      { ...daily('2026-11-02T09:00', ['ann', 'bob']), name: 'weekly', rotation: { days: 7 } },
      {
        ...daily('2026-11-02T09:00', ['dev', 'eve']),
        name: 'business hours',
        restrictions: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '09:00', to: '17:00' }],
      },
    ],
  };

  test('the higher layer wins where it has someone, the lower one fills the rest', () => {
    expect(onCallAt(schedule, at('2026-11-02T08:00:00Z'))).toEqual({
      contactId: 'dev',
      layer: 'business hours',
    }); // Mon 09:00
    expect(onCallAt(schedule, at('2026-11-03T10:00:00Z'))).toEqual({
      contactId: 'eve',
      layer: 'business hours',
    }); // Tue 11:00
    expect(onCallAt(schedule, at('2026-11-03T16:00:00Z'))).toEqual({ contactId: 'ann', layer: 'weekly' }); // Tue 17:00
    expect(onCallAt(schedule, at('2026-11-07T10:00:00Z'))).toEqual({ contactId: 'ann', layer: 'weekly' }); // Sat
    // Mon, week 2: the daily layer rotated through the weekend too (dev, eve, dev, …: eve on the 8th day).
    expect(onCallAt(schedule, at('2026-11-09T10:00:00Z'))).toEqual({
      contactId: 'eve',
      layer: 'business hours',
    });
    expect(onCallAt(schedule, at('2026-11-09T16:30:00Z'))).toEqual({ contactId: 'bob', layer: 'weekly' });
  });

  test('an overnight restriction covers the evening and the early hours of the next day', () => {
    const nights: RotationLayer = {
      ...daily('2026-11-02T09:00', ['nik']),
      restrictions: [{ days: ['fri'], from: '22:00', to: '06:00' }],
    };
    expect(layerOnCall(nights, 'UTC', at('2026-11-06T21:59:00Z'))).toBeNull();
    expect(layerOnCall(nights, 'UTC', at('2026-11-06T22:00:00Z'))).toBe('nik');
    expect(layerOnCall(nights, 'UTC', at('2026-11-07T05:59:00Z'))).toBe('nik'); // Saturday early
    expect(layerOnCall(nights, 'UTC', at('2026-11-07T06:00:00Z'))).toBeNull();
    expect(layerOnCall(nights, 'UTC', at('2026-11-07T23:00:00Z'))).toBeNull(); // Saturday evening
  });

  test('an override wins over every layer, only within its window', () => {
    const overrides = [
      { contactId: 'zoe', from: at('2026-11-03T09:00:00Z'), to: at('2026-11-03T12:00:00Z') },
    ];
    expect(onCallAt(schedule, at('2026-11-03T08:59:00Z'), overrides)?.contactId).toBe('eve');
    expect(onCallAt(schedule, at('2026-11-03T09:00:00Z'), overrides)).toEqual({
      contactId: 'zoe',
      layer: 'override',
    });
    expect(onCallAt(schedule, at('2026-11-03T12:00:00Z'), overrides)?.contactId).toBe('eve');
  });

  test('nobody on call before any layer starts', () => {
    expect(onCallAt(schedule, at('2026-10-01T10:00:00Z'))).toBeNull();
  });
});

describe('schedules in the configuration', () => {
  const bad = (patch: Record<string, unknown>) => () => parseConfig(rawTestConfig(patch), 'runbooks.json');
  const layer = { name: 'l', participants: ['primary-oncall'], start: '2026-11-02T09:00', rotation: 'daily' };

  test('the shipped two-layer rotation validates and resolves', () => {
    const { schedules } = testConfig();
    expect(Object.keys(schedules)).toEqual(['primary']);
    const primary = { name: 'primary', ...schedules.primary };
    expect(onCallAt(primary, at('2026-11-25T10:00:00Z'))?.layer).toBe('business hours'); // Wednesday 11:00
    expect(onCallAt(primary, at('2026-11-28T10:00:00Z'))?.layer).toBe('weekly'); // Saturday
  });

  test.each([
    [
      { schedules: { s: { timeZone: 'Mars/Olympus', layers: [layer] } } },
      '"schedules.s.timeZone": expected an IANA time zone',
    ],
    [
      { schedules: { s: { timeZone: 'UTC', layers: [{ ...layer, rotation: '5m' }] } } },
      'or a length of at least 1h, got "5m"',
    ],
    [
      { schedules: { s: { timeZone: 'UTC', layers: [{ ...layer, start: '2026-13-01T09:00' }] } } },
      'expected "YYYY-MM-DDTHH:MM"',
    ],
    [
      { schedules: { s: { timeZone: 'UTC', layers: [{ ...layer, participants: ['nobody'] }] } } },
      '"schedules.s.layers.0.participants.0": unknown contact "nobody"',
    ],
    [
      { escalation: { ladder: [{ name: 'x', schedule: 'nope' }] } },
      '"escalation.ladder.0.schedule": unknown schedule "nope"',
    ],
    [{ escalation: { ladder: [{ name: 'x' }] } }, 'expected "contacts" or "schedule"'],
    [
      {
        schedules: { s: { timeZone: 'UTC', layers: [layer], businessHours: { from: '18:00', to: '09:00' } } },
      },
      '"schedules.s.businessHours": "to" must be after "from"',
    ],
    [
      { schedules: { s: { timeZone: 'UTC', layers: [layer], businessHours: { days: ['someday'] } } } },
      '"schedules.s.businessHours.days.0"',
    ],
  ])('%j is refused naming the path', (patch, message) => expect(bad(patch)).toThrow(message));

  test('business hours default to Monday to Friday, 09:00 to 17:00', () => {
    const { schedules } = testConfig({
      schedules: { s: { timeZone: 'UTC', layers: [layer], businessHours: {} } },
    });
    expect(schedules.s.businessHours).toEqual({
      days: ['mon', 'tue', 'wed', 'thu', 'fri'],
      from: '09:00',
      to: '17:00',
    });
  });
});

describe('business hours: the next instant inside them', () => {
  const berlin = {
    timeZone: 'Europe/Berlin',
    businessHours: { days: ['mon', 'tue', 'wed', 'thu', 'fri'] as Weekday[], from: '09:00', to: '17:00' },
  };
  test.each([
    ['Wednesday 10:00 (inside)', '2026-11-25T09:00:00Z', '2026-11-25T09:00:00Z'],
    ['Wednesday 08:00 (before)', '2026-11-25T07:00:00Z', '2026-11-25T08:00:00Z'],
    ['Wednesday 17:00 (closed)', '2026-11-25T16:00:00Z', '2026-11-26T08:00:00Z'],
    ['Friday 18:00', '2026-11-27T17:00:00Z', '2026-11-30T08:00:00Z'],
    ['Saturday noon', '2026-11-28T11:00:00Z', '2026-11-30T08:00:00Z'],
    // Across the change to summer time (Sunday 29 March 2026): Monday 09:00 CEST is 07:00 UTC.
    ['Friday evening before summer time', '2026-03-27T18:00:00Z', '2026-03-30T07:00:00Z'],
  ])('%s', (_, from, expected) => {
    expect(new Date(nextBusinessInstant(berlin, at(from))).toISOString()).toBe(
      new Date(at(expected)).toISOString(),
    );
  });
  test('a schedule without business hours: at once', () => {
    expect(nextBusinessInstant({ timeZone: 'UTC' }, at('2026-11-28T11:00:00Z'))).toBe(
      at('2026-11-28T11:00:00Z'),
    );
  });
});

describe('overrides: refusals and the table of shifts ahead', () => {
  const existing = [
    {
      id: 'a1',
      contactId: 'zoe',
      by: 'amy',
      from: at('2026-11-03T09:00:00Z'),
      to: at('2026-11-03T12:00:00Z'),
    },
  ];
  const now = at('2026-11-03T08:00:00Z');

  test.each([
    [
      'overlapping its end',
      '2026-11-03T11:00:00Z',
      '2026-11-03T13:00:00Z',
      /^it overlaps override a1 \(zoe, .* by amy\)$/,
    ],
    ['inside it', '2026-11-03T10:00:00Z', '2026-11-03T10:30:00Z', /^it overlaps override a1/],
    ['in the past', '2026-11-02T09:00:00Z', '2026-11-02T10:00:00Z', /^it is in the past/],
    ['ending before it starts', '2026-11-04T10:00:00Z', '2026-11-04T09:00:00Z', /^it ends before it starts$/],
  ])('refused when %s', (_what, from, to, reason) =>
    expect(overrideRefusal(existing, { contactId: 'ian', from: at(from), to: at(to) }, now)).toMatch(reason),
  );

  test('back to back with another is fine', () =>
    expect(
      overrideRefusal(
        existing,
        { contactId: 'ian', from: at('2026-11-03T12:00:00Z'), to: at('2026-11-03T13:00:00Z') },
        now,
      ),
    ).toBeNull());

  test('shifts ahead: one row per change of person, the override cut in exactly', () => {
    const schedule: OnCallSchedule = {
      name: 's',
      timeZone: 'UTC',
      layers: [daily('2026-11-02T09:00', ['ann', 'bob'])],
    };
    const rows = shiftsAhead(schedule, existing, at('2026-11-03T00:00:00Z'), at('2026-11-04T12:00:00Z')).map(
      (r) => `${new Date(r.from).toISOString().slice(5, 16)} ${r.onCall?.contactId} ${r.onCall?.layer}`,
    );
    expect(rows).toEqual([
      '11-03T00:00 ann primary',
      '11-03T09:00 zoe override',
      '11-03T12:00 bob primary',
      '11-04T09:00 ann primary',
    ]);
  });
});
