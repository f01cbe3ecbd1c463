/**
 * A flooding alert source, run as its own process so the intake under test does not pay for the flood's
 * client side: posts distinct generic alerts at a fixed rate from one source address, then prints one JSON
 * line with what it was answered. Settings come as JSON in FLOOD (see `FloodSettings`); with STEADY instead
 * (see `SteadySettings`) it is a well-behaved source whose every answer is timed.
 */
import http from 'node:http';

export interface FloodSettings {
  url: string;
  localAddress: string;
  token?: string;
  perSecond: number;
  seconds: number;
  prefix: string;
}

export interface FloodReport {
  sent: number;
  statuses: Record<string, number>;
  /** Workflow ids the intake answered 202 for. */
  accepted: string[];
  /** Retry-After values seen on 429 answers. */
  retryAfter: string[];
  /** Posts that got no answer, and why (error codes). */
  errors: number;
  errorCodes: string[];
  /**
   * Posts sent again after a reused keep-alive connection was reset as they went out: the race Node's
   * documentation describes for `request.reusedSocket` (the server closed the idle connection meanwhile).
   */
  resentAfterReset: number;
  /** When the first post went out and the last answer came back (epoch ms): the flood's own span. */
  startedAt: number;
  endedAt: number;
}

async function flood(settings: FloodSettings): Promise<FloodReport> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64, localAddress: settings.localAddress });
  const report: FloodReport = {
    sent: 0,
    statuses: {},
    accepted: [],
    retryAfter: [],
    errors: 0,
    errorCodes: [],
    resentAfterReset: 0,
    startedAt: 0,
    endedAt: 0,
  };
  const retryAfter = new Set<string>();
  const post = (i: number, resent = false): Promise<void> =>
    new Promise<void>((resolve) => {
      const body = JSON.stringify({
        service: 'flood',
        summary: `flood alert ${i}`,
        severity: 'P3',
        dedupKey: `${settings.prefix}-${i}`,
      });
      const req = http.request(
        `${settings.url}/alerts`,
        {
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/json',
            ...(settings.token ? { authorization: `Bearer ${settings.token}` } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const status = String(res.statusCode);
            report.statuses[status] = (report.statuses[status] ?? 0) + 1;
            if (status === '429') retryAfter.add(String(res.headers['retry-after']));
            if (status === '202')
              report.accepted.push(JSON.parse(Buffer.concat(chunks).toString()).incidents[0].workflowId);
            resolve();
          });
        },
      );
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (req.reusedSocket && err.code === 'ECONNRESET' && !resent) {
          report.resentAfterReset += 1;
          return resolve(post(i, true));
        }
        report.errors += 1;
        report.errorCodes.push(err.code ?? err.message);
        resolve();
      });
      req.end(body);
    });
  const inFlight = new Set<Promise<void>>();
  const started = Date.now();
  report.startedAt = started;
  const total = settings.perSecond * settings.seconds;
  const tick = 10;
  // Paced in 10 ms slices: each slice sends what the schedule says is due by then.
  while (report.sent < total) {
    const due = Math.min(total, Math.floor(((Date.now() - started) / 1000) * settings.perSecond));
    while (report.sent < due) {
      const p = post(report.sent);
      report.sent += 1;
      inFlight.add(p);
      void p.then(() => inFlight.delete(p));
    }
    await new Promise((r) => setTimeout(r, tick));
  }
  await Promise.all(inFlight);
  report.endedAt = Date.now();
  agent.destroy();
  report.retryAfter = [...retryAfter];
  return report;
}

export interface SteadySettings {
  url: string;
  localAddress: string;
  /** Pause between one answer and the next post. */
  intervalMs: number;
  seconds: number;
  prefix: string;
}

export interface SteadyPost {
  /** When it was sent (epoch ms), how long the answer took, and what it was. */
  at: number;
  ms: number;
  status: number;
  dedupKey: string;
}

/** One alert post from `localAddress` on a fresh connection, with how long the answer took. */
export function timedPost(
  url: string,
  localAddress: string,
  body: unknown,
): Promise<{ status: number; ms: number }> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${url}/alerts`,
      { method: 'POST', localAddress, headers: { 'content-type': 'application/json' } },
      (res) => {
        res.resume();
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, ms: Number(process.hrtime.bigint() - started) / 1e6 }),
        );
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

/**
 * Another alert source, one post at a time on a fresh connection, measured from its own process: the
 * latencies are the intake's and the network's, not a pause of the process that runs the tests.
 */
async function steady(settings: SteadySettings): Promise<SteadyPost[]> {
  const posts: SteadyPost[] = [];
  const until = Date.now() + settings.seconds * 1000;
  for (let i = 0; Date.now() < until; i++) {
    const dedupKey = `${settings.prefix}-${i}`;
    const at = Date.now();
    const { status, ms } = await timedPost(settings.url, settings.localAddress, {
      service: 'other',
      summary: `other source ${i}`,
      severity: 'P3',
      dedupKey,
    });
    posts.push({ at, ms, status, dedupKey });
    await new Promise((r) => setTimeout(r, settings.intervalMs));
  }
  return posts;
}

if (require.main === module && process.env.STEADY) {
  steady(JSON.parse(process.env.STEADY) as SteadySettings).then(
    (report) => process.stdout.write(`${JSON.stringify(report)}\n`),
    (err) => {
      process.stderr.write(`${String(err)}\n`);
      process.exit(1);
    },
  );
} else if (require.main === module) {
  flood(JSON.parse(process.env.FLOOD ?? '{}') as FloodSettings).then(
    (report) => process.stdout.write(`${JSON.stringify(report)}\n`),
    (err) => {
      process.stderr.write(`${String(err)}\n`);
      process.exit(1);
    },
  );
}
