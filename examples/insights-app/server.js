'use strict';
/**
 * insights-app: a small HTTP service standing in for the runbook's application, with the fault modes the
 * runbooks must diagnose. Plain Node + pg so it runs in an image built from host files.
 *
 * Environment: DATABASE_URL (required), PORT (18080), DB_POOL_SIZE (5), ADMIN_TOKEN (enables /admin),
 * FAULT (none | memory-leak | pool-hold | degraded), REQUIRED_ENV (extra required variable names, comma-separated).
 */
const http = require('node:http');
const { Pool } = require('pg');

const log = (level, message) => console.log(`${new Date().toISOString()} ${level} ${message}`);

const required = [
  'DATABASE_URL',
  ...(process.env.REQUIRED_ENV || '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
];
for (const name of required) {
  if (!process.env[name]) {
    log('FATAL', `missing required environment variable ${name}; refusing to start`);
    process.exit(78);
  }
}

const port = Number(process.env.PORT || 18080);
const poolSize = Number(process.env.DB_POOL_SIZE || 5);
const pool = new Pool({
  connectionString: process.env.DATABASE_URL,
  max: poolSize,
  connectionTimeoutMillis: 1000,
  idleTimeoutMillis: 0,
});
pool.on('error', (err) => log('ERROR', `database pool error: ${err.message}`));

const leaked = [];
let leakTimer = null;
const held = [];

function setFault(fault) {
  if (fault === 'memory-leak' && !leakTimer) {
    log('WARN', 'fault injected: memory-leak');
    const mbPerTick = Number(process.env.LEAK_MB_PER_SECOND || 8) / 4;
    leakTimer = setInterval(() => leaked.push(Buffer.alloc(Math.round(mbPerTick * 1024 * 1024), 1)), 250);
  } else if (fault === 'pool-hold') {
    log('WARN', `fault injected: pool-hold (holding all ${poolSize} connections)`);
    for (let i = held.length; i < poolSize; i++)
      pool
        .connect()
        .then((client) => {
          held.push(client);
          return client.query("SELECT 'held by fault'");
        })
        .catch((err) => log('ERROR', `pool-hold: ${err.message}`));
  } else if (fault === 'degraded') {
    log('WARN', 'fault injected: degraded');
    degraded = true;
  } else if (fault === 'none') {
    degraded = false;
    if (leakTimer) clearInterval(leakTimer);
    leakTimer = null;
    leaked.length = 0;
    held.splice(0).forEach((c) => c.release());
  }
}

/** Responses by route and status, for GET /metrics (Prometheus text format). */
const responses = new Map();
function send(res, status, body, route = 'other') {
  const key = `route="${route}",status="${status}"`;
  responses.set(key, (responses.get(key) || 0) + 1);
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function metrics() {
  const cpu = process.cpuUsage();
  return [
    '# HELP http_requests_total Responses by route and status.',
    '# TYPE http_requests_total counter',
    ...[...responses].map(([labels, n]) => `http_requests_total{${labels}} ${n}`),
    '# TYPE process_resident_memory_bytes gauge',
    `process_resident_memory_bytes ${process.memoryUsage().rss}`,
    '# TYPE process_cpu_seconds_total counter',
    `process_cpu_seconds_total ${(cpu.user + cpu.system) / 1e6}`,
    '# TYPE insights_db_pool_in_use gauge',
    `insights_db_pool_in_use ${pool.totalCount - pool.idleCount}`,
    '',
  ].join('\n');
}

let degraded = false;

async function checkDatabase() {
  try {
    await pool.query('SELECT 1');
    return null;
  } catch (err) {
    const exhausted = pool.totalCount >= poolSize && pool.idleCount === 0;
    const message = exhausted
      ? `ConnectionPool exhausted (${pool.totalCount}/${poolSize} in use, ${pool.waitingCount} waiting)`
      : `database unavailable: ${err.message}`;
    log('ERROR', message);
    return message;
  }
}

const server = http.createServer(async (req, res) => {
  if (req.method === 'GET' && req.url === '/metrics') {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    return res.end(metrics());
  }
  // Degraded: answers 200, but says so in the body (what the seed's {"status":"healthy"} check is for).
  if (req.method === 'GET' && req.url === '/health')
    return send(
      res,
      200,
      { status: degraded ? 'degraded' : 'healthy', timestamp: new Date().toISOString() },
      'health',
    );
  if (req.method === 'GET' && req.url === '/health/ready') {
    const problem = await checkDatabase();
    return problem
      ? send(res, 503, { status: 'unhealthy', error: problem, timestamp: new Date().toISOString() }, 'ready')
      : send(res, 200, { status: 'healthy', database: 'ok', timestamp: new Date().toISOString() }, 'ready');
  }
  if (req.method === 'GET' && req.url === '/api/insights') {
    const problem = await checkDatabase();
    return problem
      ? send(res, 500, { error: problem }, 'insights')
      : send(res, 200, { clusters: 3 }, 'insights');
  }
  if (req.method === 'POST' && req.url === '/admin/fault') {
    const token = process.env.ADMIN_TOKEN;
    if (!token || req.headers.authorization !== `Bearer ${token}`)
      return send(res, 401, { error: 'admin token required' });
    let body = '';
    for await (const chunk of req) body += chunk;
    let fault;
    try {
      fault = JSON.parse(body).fault;
    } catch {
      return send(res, 400, { error: 'body: invalid JSON' });
    }
    if (!['none', 'memory-leak', 'pool-hold', 'degraded'].includes(fault))
      return send(res, 400, { error: 'fault: expected none, memory-leak, pool-hold or degraded' });
    setFault(fault);
    return send(res, 202, { fault });
  }
  send(res, 404, { error: 'not found' });
});

server.on('error', (err) => {
  log(
    'FATAL',
    err.code === 'EADDRINUSE' ? `port conflict: ${port} is already in use` : `server error: ${err.message}`,
  );
  process.exit(1);
});

pool
  .query('SELECT 1')
  .then(() => {
    server.listen(port, '127.0.0.1', () =>
      log('INFO', `insights-app listening on ${port} (pool size ${poolSize})`),
    );
    if (process.env.FAULT && process.env.FAULT !== 'none') setFault(process.env.FAULT);
  })
  .catch((err) => {
    log('ERROR', `database connection failed: ${err.message}`);
    log('FATAL', 'cannot start without the database');
    process.exit(1);
  });
