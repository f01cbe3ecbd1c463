/**
 * A flooding alert source, run as its own process so the intake under test does not pay for the flood's
 * client side: posts distinct generic alerts at a fixed rate from one source address, then prints one JSON
 * line with what it was answered. Settings come as JSON in FLOOD (see `FloodSettings`).
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
  errors: number;
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
    startedAt: 0,
    endedAt: 0,
  };
  const retryAfter = new Set<string>();
  const post = (i: number) =>
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
      req.on('error', () => {
        report.errors += 1;
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

if (require.main === module) {
  flood(JSON.parse(process.env.FLOOD ?? '{}') as FloodSettings).then(
    (report) => process.stdout.write(`${JSON.stringify(report)}\n`),
    (err) => {
      process.stderr.write(`${String(err)}\n`);
      process.exit(1);
    },
  );
}
