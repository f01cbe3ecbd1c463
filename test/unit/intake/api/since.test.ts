import { sinceInstant } from '../../../../intake/api/routes/since';

const NOW = Date.parse('2026-12-06T12:00:00Z');

test('a duration counts back from now; an ISO time is taken as it is', () => {
  expect(sinceInstant('90d', NOW)).toBe('2026-09-07T12:00:00.000Z');
  expect(sinceInstant('12h', NOW)).toBe('2026-12-06T00:00:00.000Z');
  expect(sinceInstant('2026-11-01', NOW)).toBe('2026-11-01T00:00:00.000Z');
  expect(sinceInstant('2026-11-01T08:30:00+01:00', NOW)).toBe('2026-11-01T07:30:00.000Z');
});

test.each(['yesterday', '', '30 days', '2026-13-45', '12'])(
  '%j is refused with 422, naming since',
  (text) => {
    expect(() => sinceInstant(text, NOW)).toThrow(
      expect.objectContaining({ statusCode: 422, message: expect.stringMatching(/^since: /) }),
    );
  },
);
