import type { FastifyRequest } from 'fastify';
import { cookiesOf, csrfRefusal } from '../../../../intake/api/session';
import { incidentPage, loginPage } from '../../../../intake/console/pages';

const request = (method: string, headers: Record<string, string>) =>
  ({ method, headers, protocol: 'http' }) as unknown as FastifyRequest;
const TOKEN = 'a'.repeat(32);

describe('the console session', () => {
  test('cookies: the first of a name wins; broken encodings are skipped, not thrown', () => {
    expect(cookiesOf(request('GET', { cookie: 'dr_csrf=one; dr_csrf=two; x=%E0%A4%A; y=2' }))).toEqual({
      dr_csrf: 'one',
      y: '2',
    });
  });

  test('a change from a browser needs the CSRF header equal to its cookie; reads and Bearer calls do not', () => {
    const cookie = `dr_session=drt_x; dr_csrf=${TOKEN}`;
    expect(csrfRefusal(request('GET', { cookie }), 'cookie')).toBeNull();
    expect(csrfRefusal(request('POST', { cookie }), 'cookie')).toMatch(/^x-csrf-token: missing/);
    expect(csrfRefusal(request('POST', { cookie, 'x-csrf-token': 'b'.repeat(32) }), 'cookie')).toMatch(
      /^x-csrf-token/,
    );
    expect(csrfRefusal(request('POST', { cookie, 'x-csrf-token': TOKEN }), 'cookie')).toBeNull();
    expect(csrfRefusal(request('DELETE', {}), 'token')).toBeNull();
    // A trusted proxy's browser (it sends Origin) needs it; a script behind the proxy or the CLI does not.
    expect(csrfRefusal(request('POST', { origin: 'https://console.example' }), 'proxy')).toMatch(
      /^x-csrf-token/,
    );
    expect(csrfRefusal(request('POST', {}), 'proxy')).toBeNull();
    expect(csrfRefusal(request('POST', { origin: 'http://127.0.0.1:8089' }), 'loopback')).toMatch(
      /^x-csrf-token/,
    );
    expect(csrfRefusal(request('POST', {}), 'loopback')).toBeNull();
  });
});

describe('the console pages', () => {
  test('what the server writes into a page is text: an id, a next path, a name', () => {
    const hostile = '"><script>alert(1)</script>';
    const page = incidentPage({ name: hostile, csrf: TOKEN }, hostile);
    expect(page).not.toContain('<script>alert');
    expect(page).toContain('data-incident="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
    expect(loginPage(TOKEN, hostile, hostile)).not.toContain('<script>alert');
    // Only our own scripts, from this listener.
    expect([...page.matchAll(/<script[^>]*>/g)].map((m) => m[0])).toEqual([
      '<script src="/console/console.js" defer>',
      '<script src="/console/incident.js" defer>',
    ]);
  });
});
