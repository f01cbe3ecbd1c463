/**
 * Every process's log: pino, one JSON object a line (what a log shipper reads), or a short readable line in a
 * terminal. LOG_LEVEL sets the level (trace, debug, info, warn, error; default info), LOG_FORMAT forces
 * `json` or `pretty`. Lines about an incident carry its `workflowId` (which its incident id starts with),
 * the `runId`, the `activity` or alert `source` they are from, and `incidentId` where the code knows it, so
 * "this alert was posted at 12:03; why was nobody paged?" is one filter on one field.
 */
import type { LogLevel as SdkLogLevel, LogMetadata, Logger as SdkLogger } from '@temporalio/common';
import pino, { type DestinationStream, type Level } from 'pino';

export type Logger = pino.Logger;

const LEVELS: readonly Level[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

/** LOG_LEVEL as pino takes it; anything else stops the start-up naming the variable. */
export function logLevel(raw: string | undefined, fallback: Level = 'info'): Level {
  const level = raw?.trim().toLowerCase();
  if (!level) return fallback;
  if ((LEVELS as string[]).includes(level)) return level as Level;
  throw new Error(`LOG_LEVEL: "${raw}" is not one of ${LEVELS.join(', ')}`);
}

/** Keys whose values never reach a log line, wherever in a logged object they sit. */
const SECRET_KEYS = ['authorization', 'token', 'password', 'secret', 'routingKey', 'apiKey', 'cookie'];

export interface LoggerOptions {
  /** The process: `worker`, `intake`, `api`. */
  name: string;
  env?: NodeJS.ProcessEnv;
  /** Where lines go; stdout by default. */
  destination?: DestinationStream & { isTTY?: boolean };
}

export function createLogger({ name, env = process.env, destination }: LoggerOptions): Logger {
  const out = destination ?? (process.stdout as DestinationStream & { isTTY?: boolean });
  const format = env.LOG_FORMAT?.trim().toLowerCase() || (out.isTTY ? 'pretty' : 'json');
  if (format !== 'json' && format !== 'pretty')
    throw new Error(`LOG_FORMAT: "${env.LOG_FORMAT}" is not json or pretty`);
  return pino(
    {
      name,
      level: logLevel(env.LOG_LEVEL),
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: SECRET_KEYS.flatMap((k) => [k, `*.${k}`]), censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
      // The SDK passes errors as `error`; ours pass `err`: both with their message and stack, not `{}`.
      serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
    },
    format === 'pretty' ? prettyStream(out) : out,
  );
}

let processLog: Logger | undefined;
/** The process's logger, made on first use (named by `nameProcessLog` before that, else by its script). */
export function processLogger(): Logger {
  processLog ??= createLogger({ name: processName ?? 'durable-runbooks' });
  return processLog;
}
let processName: string | undefined;
/** Names this process's lines (`worker`, `intake`, `api`); call before anything logs. */
export function nameProcessLog(name: string): Logger {
  processName = name;
  processLog = undefined;
  return processLogger();
}

/**
 * The fields of our lines for the SDK's metadata: workflow, run and activity. No `incidentId`: it is named
 * after the incident's first run, which a continued run's metadata does not carry, and its workflow id is how
 * it starts.
 */
export function fieldsOfSdkMeta(meta: LogMetadata = {}): Record<string, unknown> {
  const { workflowRunId, runId, activityType, taskToken: _token, sdkComponent, ...rest } = meta;
  const run = runId ?? workflowRunId;
  return {
    ...rest,
    ...(run !== undefined && { runId: run }),
    ...(activityType !== undefined && { activity: activityType }),
    ...(sdkComponent !== undefined && { component: sdkComponent }),
  };
}

const SDK_TO_PINO: Record<SdkLogLevel, Level> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/**
 * The Temporal SDK's logger, onto ours. The SDK's own messages (worker state, webpack's module list, Core)
 * stay at warnings unless LOG_LEVEL is set, so they do not bury the lines a new user needs; what workflow and
 * activity code log follows the process's level.
 */
export class SdkLogBridge implements SdkLogger {
  private readonly sdkLevel: number;
  constructor(
    private readonly logger: Logger,
    /** The level of the SDK's own messages: LOG_LEVEL when set, else warnings. */
    sdkLevel: Level = logLevel(process.env.LOG_LEVEL, 'warn'),
    /** Messages dropped by their start: a warning the Slack lane's activity-only worker gets on every start. */
    private readonly muted: readonly string[] = [],
  ) {
    this.sdkLevel = pino.levels.values[sdkLevel];
  }

  log(level: SdkLogLevel, message: string, meta?: LogMetadata): void {
    if (this.muted.some((m) => message.startsWith(m))) return;
    const ours = meta?.sdkComponent === 'workflow' || meta?.sdkComponent === 'activity';
    const pinoLevel = SDK_TO_PINO[level] ?? 'info';
    if (!ours && pino.levels.values[pinoLevel] < this.sdkLevel) return;
    this.logger[pinoLevel](fieldsOfSdkMeta(meta), message);
  }
  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }
  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }
  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }
  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }
  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }
}

const PRETTY_SKIP = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg']);
/** A terminal's line: `12:03:04 WARN  worker  message  key=value …`; what is not JSON passes as it is. */
export function prettyLine(json: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const time = typeof entry.time === 'string' ? entry.time.slice(11, 19) : '';
  const level = String(entry.level ?? '')
    .toUpperCase()
    .padEnd(5);
  const fields = Object.entries(entry)
    .filter(([k]) => !PRETTY_SKIP.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return [time, level, entry.name, entry.msg, ...fields]
    .filter((p) => p !== undefined && p !== '')
    .join('  ');
}

function prettyStream(out: DestinationStream): DestinationStream {
  return {
    write(chunk: string) {
      for (const line of chunk.split('\n')) if (line) out.write(prettyLine(line) + '\n');
    },
  };
}

/**
 * For start-up lines (what listens where, what polls which queue): written at any LOG_LEVEL, as a server
 * prints its address, because people and supervisors (`npm start`, `npm run cluster`) wait for them.
 */
export function startupLogger(logger: Logger = processLogger()): Logger {
  return pino.levels.values[logger.level] > pino.levels.values.info
    ? logger.child({}, { level: 'info' })
    : logger;
}
