import {
  createLogger,
  fieldsOfSdkMeta,
  logLevel,
  prettyLine,
  SdkLogBridge,
  startupLogger,
} from '../../../config/logger';

/** A logger writing into an array, as the process's would write to stdout. */
function captured(env: NodeJS.ProcessEnv = {}, isTTY = false) {
  const lines: string[] = [];
  const logger = createLogger({
    name: 'worker',
    env,
    destination: { write: (chunk: string) => void lines.push(...chunk.split('\n').filter(Boolean)), isTTY },
  });
  return { logger, lines, json: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('the process log', () => {
  test('one JSON object a line, with the level by name, the process and the fields given', () => {
    const { logger, json } = captured();
    logger.info(
      { incidentId: 'incident-0123456789abcdef0123-01234567', source: 'alertmanager' },
      'alert started',
    );
    expect(json()).toEqual([
      expect.objectContaining({
        level: 'info',
        name: 'worker',
        msg: 'alert started',
        incidentId: 'incident-0123456789abcdef0123-01234567',
        source: 'alertmanager',
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      }),
    ]);
  });

  test('LOG_LEVEL sets the level, in either case; an unknown one is refused naming the variable', () => {
    const { logger, json } = captured({ LOG_LEVEL: 'WARN' });
    logger.info('not shown');
    logger.warn('shown');
    expect(json().map((l) => l.msg)).toEqual(['shown']);
    expect(logLevel(undefined)).toBe('info');
    expect(logLevel(' Debug ')).toBe('debug');
    expect(() => logLevel('verbose')).toThrow('LOG_LEVEL: "verbose" is not one of trace, debug, info');
    expect(() => captured({ LOG_FORMAT: 'xml' })).toThrow('LOG_FORMAT: "xml" is not json or pretty');
  });

  test('secret-named values never reach a line, at the top or one level down', () => {
    const { logger, lines } = captured();
    logger.info(
      { token: 'tok-123', headers: { authorization: 'Bearer abc' }, nested: { password: 'p4ss' } },
      'x',
    );
    expect(lines[0]).not.toMatch(/tok-123|Bearer abc|p4ss/);
    expect(JSON.parse(lines[0])).toMatchObject({
      token: '[redacted]',
      headers: { authorization: '[redacted]' },
    });
  });

  test('a terminal gets short readable lines; LOG_FORMAT=json forces JSON there', () => {
    const tty = captured({}, true);
    tty.logger.warn({ incidentId: 'incident-1-abcd', attempt: 2 }, 'page not delivered');
    expect(tty.lines[0]).toMatch(
      /^\d\d:\d\d:\d\d {2}WARN {3}worker {2}page not delivered {2}incidentId=incident-1-abcd {2}attempt=2$/,
    );
    const forced = captured({ LOG_FORMAT: 'json' }, true);
    forced.logger.info('json');
    expect(JSON.parse(forced.lines[0])).toMatchObject({ msg: 'json' });
    expect(prettyLine('not json')).toBe('not json');
  });

  test('start-up lines are written at any level: supervisors wait for them', () => {
    const { logger, json } = captured({ LOG_LEVEL: 'error' });
    startupLogger(logger).info('worker polling task queue q');
    startupLogger(logger).debug('not this');
    logger.info('nor this');
    expect(json().map((l) => l.msg)).toEqual(['worker polling task queue q']);
  });
});

describe("the Temporal SDK's log on ours", () => {
  const activityMeta = {
    sdkComponent: 'activity',
    workflowId: 'incident-0123456789abcdef0123',
    workflowRunId: '01937c2e-aaaa-bbbb-cccc-000000000000',
    activityType: 'pageContacts',
    attempt: 3,
    taskToken: 'AAECAw==',
  };

  test("the SDK's metadata becomes our fields: workflow, run, activity; never the task token", () => {
    expect(fieldsOfSdkMeta(activityMeta)).toEqual({
      workflowId: 'incident-0123456789abcdef0123',
      runId: '01937c2e-aaaa-bbbb-cccc-000000000000',
      activity: 'pageContacts',
      attempt: 3,
      component: 'activity',
    });
  });

  test("the SDK's own messages stay at warnings; workflow and activity code log at the process's level", () => {
    const { logger, json } = captured({ LOG_LEVEL: 'info' });
    const bridge = new SdkLogBridge(logger, 'warn', ['No workflows registered']);
    bridge.info('Worker state changed', { sdkComponent: 'worker' });
    bridge.info('activity says', activityMeta);
    bridge.warn('Workflow task failed', { sdkComponent: 'worker', workflowId: 'incident-1', runId: 'r1' });
    bridge.warn('No workflows registered, not polling for workflow tasks', { sdkComponent: 'worker' });
    bridge.debug('below the process level', activityMeta);
    expect(json().map(({ level, msg, workflowId, runId }) => ({ level, msg, workflowId, runId }))).toEqual([
      {
        level: 'info',
        msg: 'activity says',
        workflowId: 'incident-0123456789abcdef0123',
        runId: '01937c2e-aaaa-bbbb-cccc-000000000000',
      },
      { level: 'warn', msg: 'Workflow task failed', workflowId: 'incident-1', runId: 'r1' },
    ]);
  });
});
