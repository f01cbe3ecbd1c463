/**
 * One alert is one trace: the intake's span for the post, its signal-with-start, the incident's first
 * workflow task and the activities it schedules (the page among them), sent over OTLP/HTTP by the intake's
 * and the worker's processes to a real OpenTelemetry Collector (built by scripts/ops/provision.sh), which
 * passes them on, as OTLP/JSON, to a receiver written here that the test reads.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import axios from 'axios';
import { Client, Connection } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { freePort, killGroup } from '../../scripts/testbed/local-services';
import { portOpen } from '../../scripts/ops/temporal-server';
import { writeTestConfig } from '../../scripts/testbed/config';
import { eventually } from '../../scripts/testbed/eventually';
import { describeWith, serviceValue } from '../../scripts/testbed/services';
import { tempDir, uniqueTaskQueue, workflowBundle } from '../../scripts/testbed/temporal';
import { jsonLinesIn } from '../support/files';
import { spawnWorkerProcess } from '../support/worker-process';

const ROOT = path.resolve(__dirname, '..', '..');

interface ReceivedSpan {
  service: string;
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  attributes: Record<string, unknown>;
}

/** An OTLP/HTTP (JSON) trace receiver: `POST /v1/traces`, as the exporters send it. */
function otlpReceiver(): { server: Server; spans: ReceivedSpan[]; contentTypes: string[] } {
  const spans: ReceivedSpan[] = [];
  const contentTypes: string[] = [];
  type AnyValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean };
  type KeyValue = { key: string; value: AnyValue };
  const valueOf = (v: AnyValue) => v.stringValue ?? v.intValue ?? v.boolValue;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      contentTypes.push(String(req.headers['content-type']));
      if (req.method !== 'POST' || req.url !== '/v1/traces') return void res.writeHead(404).end();
      const request = JSON.parse(body) as {
        resourceSpans: {
          resource: { attributes: KeyValue[] };
          scopeSpans: {
            spans: (Omit<ReceivedSpan, 'service' | 'attributes'> & { attributes: KeyValue[] })[];
          }[];
        }[];
      };
      for (const rs of request.resourceSpans) {
        const service = String(valueOf(rs.resource.attributes.find((a) => a.key === 'service.name')!.value));
        for (const ss of rs.scopeSpans)
          for (const s of ss.spans)
            spans.push({
              ...s,
              service,
              parentSpanId: s.parentSpanId || undefined,
              attributes: Object.fromEntries(s.attributes.map((a) => [a.key, valueOf(a.value)])),
            });
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  return { server, spans, contentTypes };
}

describeWith(['temporal', 'otelcol'], 'traces: an alert from its post to its page', () => {
  const children: ChildProcess[] = [];
  const receiver = otlpReceiver();
  afterAll(async () => {
    for (const child of children) await killGroup(child, 5000);
    receiver.server.close();
  });

  test('the post, the signal-with-start, the workflow task and the page activity form one trace', async () => {
    const dir = tempDir('tracing-');
    const receiverPort = await freePort();
    await new Promise<void>((r) => receiver.server.listen(receiverPort, '127.0.0.1', r));
    // The collector: OTLP/HTTP in, OTLP/HTTP (JSON) out to the receiver.
    const collectorPort = await freePort();
    const collectorConfig = path.join(dir, 'otelcol.yaml');
    writeFileSync(
      collectorConfig,
      [
        'receivers:',
        `  otlp: { protocols: { http: { endpoint: '127.0.0.1:${collectorPort}' } } }`,
        'exporters:',
        `  otlphttp: { endpoint: 'http://127.0.0.1:${receiverPort}', encoding: json, compression: none }`,
        'service:',
        '  telemetry: { metrics: { level: none } }',
        '  pipelines: { traces: { receivers: [otlp], exporters: [otlphttp] } }',
      ].join('\n'),
    );
    const collectorLog = openSync(path.join(dir, 'otelcol.log'), 'a');
    children.push(
      spawn(serviceValue('otelcol'), ['--config', collectorConfig], {
        detached: true,
        stdio: ['ignore', collectorLog, collectorLog],
      }),
    );
    await eventually(async () => expect(await portOpen('127.0.0.1', collectorPort)).toBe(true), 30_000, 200);
    const taskQueue = uniqueTaskQueue('tracing');
    const otel = {
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${collectorPort}`,
      OTEL_BSP_SCHEDULE_DELAY: '200',
      RUNBOOKS_CONFIG: writeTestConfig(dir),
      RUNBOOKS_DATA_DIR: dir,
      LOG_LEVEL: 'info',
    };
    children.push(spawnWorkerProcess(taskQueue, otel, path.join(dir, 'worker.log')));
    const intakePort = await freePort();
    const intakeLog = path.join(dir, 'intake.log');
    const out = openSync(intakeLog, 'a');
    children.push(
      spawn(process.execPath, ['-r', 'tsx/cjs', path.join(ROOT, 'intake', 'main.ts')], {
        cwd: ROOT,
        detached: true,
        stdio: ['ignore', out, out],
        env: {
          ...process.env,
          ...otel,
          TEMPORAL_ADDRESS: serviceValue('temporal'),
          TEMPORAL_TASK_QUEUE: taskQueue,
          INTAKE_PORT: String(intakePort),
          INTAKE_TOKEN: '',
        },
      }),
    );
    const url = `http://127.0.0.1:${intakePort}`;
    await eventually(async () => expect((await axios.get(`${url}/healthz`)).status).toBe(200), 60_000, 200);

    const posted = await axios.post(`${url}/alerts`, {
      service: 'checkout',
      summary: 'traced',
      severity: 'P1',
      dedupKey: `traced-${Date.now()}`,
    });
    expect(posted.status).toBe(202);
    const { workflowId } = posted.data.incidents[0] as { workflowId: string };

    const { spans } = receiver;
    const one = (name: string, service: string) => {
      const found = spans.filter((s) => s.name === name && s.service === service);
      expect([name, found.length]).toEqual([name, 1]);
      return found[0];
    };
    const chain = await eventually(
      async () => {
        const post = one('POST /alerts', 'durable-runbooks-intake');
        const start = one('SignalWithStartWorkflow:incidentWorkflow', 'durable-runbooks-intake');
        const task = spans.find(
          (s) => s.name === 'WorkflowTask:incidentWorkflow' && s.attributes.temporalWorkflowId === workflowId,
        );
        expect(task).toBeDefined();
        const page = spans.find((s) => s.name === 'RunActivity:pageContacts' && s.traceId === post.traceId);
        expect(page).toBeDefined();
        return { post, start, task: task!, page: page! };
      },
      60_000,
      250,
    );
    // One trace, each span the child of the one before it.
    expect(chain.post).toMatchObject({ kind: 2, parentSpanId: undefined }); // SERVER, the root
    expect(chain.start).toMatchObject({
      kind: 3, // CLIENT
      traceId: chain.post.traceId,
      parentSpanId: chain.post.spanId,
      attributes: expect.objectContaining({ temporalWorkflowId: workflowId }),
    });
    expect(chain.task).toMatchObject({
      service: 'durable-runbooks-worker',
      traceId: chain.post.traceId,
      parentSpanId: chain.start.spanId,
    });
    expect(chain.page).toMatchObject({
      service: 'durable-runbooks-worker',
      parentSpanId: chain.task.spanId,
      attributes: expect.objectContaining({ temporalWorkflowId: workflowId }),
    });
    expect(receiver.contentTypes.every((t) => t.startsWith('application/json'))).toBe(true);
    // The intake's log line for the post names the trace, and so does the worker's line for the page.
    expect(jsonLinesIn(path.join(dir, 'worker.log'))).toContainEqual(
      expect.objectContaining({ msg: 'paged', activity: 'pageContacts', traceId: chain.post.traceId }),
    );
    expect(jsonLinesIn(intakeLog)).toContainEqual(
      expect.objectContaining({ msg: 'alert started', workflowId, traceId: chain.post.traceId }),
    );
    // The traced run replays: its span is made again from the same header, with the same ids, and no command
    // moves (what a worker restarted in the middle of this incident does).
    const connection = await Connection.connect({ address: serviceValue('temporal') });
    try {
      const history = await new Client({ connection }).workflow.getHandle(workflowId).fetchHistory();
      const replayed = Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, [
        { workflowId, history },
      ]);
      for await (const result of replayed) expect(result.error).toBeUndefined();
    } finally {
      await connection.close();
    }
  }, 180_000);
});
