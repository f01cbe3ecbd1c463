/**
 * The probes of runbook definitions: each asks Docker, PostgreSQL or HTTP through their modules and answers
 * facts (`<field>` → value) with a line for the timeline. One activity for every kind, so a definition's
 * probe list needs no code and `npm run runbook -- test` can replay recorded facts in its place.
 */
import { redactDeep } from '../domain/credentials';
import type { ProbeReport } from '../domain/runbook-definition';
import { LOG_SCAN_PATTERN, classifyLogLines, formatBytes, primaryCause } from '../domain/runbook-policy';
import { ApplicationFailure } from '@temporalio/activity';
import type { DockerActivities } from './platform/docker';
import type { KubernetesActivities } from './platform/kubernetes';
import type { ConnectionUsage, HealthCheckResult, ProbeArgs } from './contract';
import type { createPostgresActivities } from './postgres';
import { anomalyQueries, promDuration, type createPrometheusActivities } from './prometheus';
import type { createGitActivities } from './git';

export type { ProbeArgs };

const MIB = 1048576;
const round1 = (n: number) => Math.round(n * 10) / 10;

/** What the seed's log patterns found in the scanned lines (a container's or a Deployment's pods'). */
function logsReport(logs: { scanned: number; matching: string[] }): ProbeReport {
  const findings = classifyLogLines(logs.matching);
  const cause = primaryCause(findings);
  const count = (c: string) => findings.filter((f) => f.cause === c).length;
  return {
    facts: {
      scanned: logs.scanned,
      matches: findings.length,
      cause: cause?.cause ?? null,
      variable: cause?.variable ?? null,
      missingEnv: count('missing-env'),
      permissionDenied: count('permission-denied'),
      portConflict: count('port-conflict'),
      databaseUnreachable: count('database-unreachable'),
      poolExhausted: count('pool-exhausted'),
      errors: count('error'),
    },
    message: `logs: scanned the last ${logs.scanned} lines, ${findings.length} match error patterns${cause ? `; most telling: ${cause.cause}${cause.variable ? ` (${cause.variable})` : ''}` : ''}`,
    evidence: findings.slice(-5).map((f) => f.line),
  };
}

/** The database's connections against the workload's pool size (its environment variable). */
function connectionsReport(
  usage: ConnectionUsage,
  rawPoolSize: string | undefined,
  variable: string,
  workload: string,
): ProbeReport {
  const poolSize = rawPoolSize !== undefined && /^\d+$/.test(rawPoolSize) ? Number(rawPoolSize) : null;
  const exhausted = usage.total >= usage.maxConnections - 3 || (poolSize !== null && usage.total >= poolSize);
  return {
    facts: {
      total: usage.total,
      active: usage.byState.active ?? 0,
      maxConnections: usage.maxConnections,
      poolSize,
      exhausted,
    },
    message: `pg_stat_activity: ${
      Object.entries(usage.byState)
        .map(([s, n]) => `${s} ${n}`)
        .join(', ') || 'none'
    } (total ${usage.total} of max_connections ${usage.maxConnections}); ${workload} ${variable}=${poolSize ?? 'unknown'}`,
  };
}

export function createProbeActivities(deps: {
  docker: DockerActivities;
  kubernetes: KubernetesActivities;
  /** A Deployment's environment values (never in an answer: the pool size is read from them here). */
  kubernetesEnvironment: (service: string) => Promise<Record<string, string>>;
  /** Whether the service runs as a Deployment on Kubernetes (its container probes then read the Deployment). */
  onKubernetes: (service: string | undefined) => boolean;
  postgres: ReturnType<typeof createPostgresActivities>;
  checkServiceHealth: (args: { urls: string[] }) => Promise<HealthCheckResult>;
  prometheus: ReturnType<typeof createPrometheusActivities>;
  git: ReturnType<typeof createGitActivities>;
}) {
  const { docker, postgres } = deps;

  async function runProbe(args: ProbeArgs): Promise<ProbeReport> {
    const { probe, container } = args;
    if (deps.onKubernetes(args.service)) {
      const answer = await kubernetesProbe(args);
      if (answer) return answer;
    }
    switch (probe.kind) {
      case 'container': {
        const c = await docker.inspectContainer({ container });
        const ageHours = c.imageCreatedAt ? (Date.now() - Date.parse(c.imageCreatedAt)) / 3_600_000 : null;
        return {
          facts: {
            name: container,
            exists: c.exists,
            running: c.running,
            status: c.status,
            exitCode: c.exitCode,
            oomKilled: c.oomKilled,
            restartCount: c.restartCount,
            image: c.image || null,
            imageAgeHours: ageHours === null ? null : round1(ageHours),
            previousImage: c.previousImage,
          },
          message: c.exists
            ? `container ${container}: ${c.status}${c.exitCode !== null ? `, exit code ${c.exitCode}` : ''}, OOMKilled ${c.oomKilled}, restarts ${c.restartCount}; image ${c.image}${ageHours === null ? '' : ` built ${round1(ageHours)} h ago`}${c.previousImage ? `; previous image ${c.previousImage}` : ''}`
            : `container ${container} does not exist`,
        };
      }
      case 'logs': {
        const logs = await docker.containerLogs({ container, tail: probe.tail, pattern: LOG_SCAN_PATTERN });
        return logsReport(logs);
      }
      case 'memory': {
        const [s, host] = await Promise.all([docker.containerMemory({ container }), docker.hostMemory()]);
        const percent = s.limitBytes ? round1((s.usageBytes / s.limitBytes) * 100) : null;
        const mib = (bytes: number | null) => (bytes === null ? null : Math.round(bytes / MIB));
        return {
          facts: {
            usagePercent: percent,
            usageMiB: mib(s.usageBytes),
            limitMiB: s.limitBytes ? mib(s.limitBytes) : null,
            hostTotalMiB: mib(host.totalBytes),
            hostAvailableMiB: mib(host.availableBytes),
          },
          message: `memory ${formatBytes(s.usageBytes)} of ${s.limitBytes ? formatBytes(s.limitBytes) : 'no limit'}${percent === null ? '' : ` (${percent}%)`}${host.totalBytes === null ? '' : `; Docker host ${host.availableBytes === null ? '?' : mib(host.availableBytes)} MiB available of ${mib(host.totalBytes)} MiB`}`,
        };
      }
      case 'processes': {
        const t = await docker.containerProcesses({ container });
        const top = t.processes[0];
        return {
          facts: {
            available: t.available,
            count: t.available ? t.processes.length : null,
            topCommand: top?.command ?? null,
            topRssMiB: top ? round1(top.rssKiB / 1024) : null,
            topCpuPercent: top?.cpuPercent ?? null,
          },
          message: t.available
            ? `processes in ${container}: ${t.processes.length}; most memory: ${top ? `${top.command} (pid ${top.pid}, ${round1(top.rssKiB / 1024)} MiB, ${top.cpuPercent}% CPU)` : 'none'}`
            : `processes in ${container}: ${t.note}`,
          evidence: t.processes
            .slice(0, 5)
            .map((p) => `${p.pid} ${round1(p.rssKiB / 1024)} MiB ${p.cpuPercent}% ${p.command}`),
        };
      }
      case 'disk': {
        const d = await docker.diskUsage({ container, paths: probe.paths, host: probe.host });
        const fullest = [...d.mounts].sort((a, b) => b.usedPercent - a.usedPercent)[0];
        return {
          facts: {
            maxUsedPercent: fullest?.usedPercent ?? null,
            fullestPath: fullest?.mountedOn ?? null,
            hostUsedPercent: d.host?.usedPercent ?? null,
          },
          message: `disk: ${fullest ? `${fullest.mountedOn} ${fullest.usedPercent}% used (${fullest.availableMiB} MiB free)` : (d.note ?? 'no filesystem reported')}${d.host ? `; Docker host ${d.host.path} ${d.host.usedPercent}% used (${d.host.availableMiB} MiB free)` : ''}`,
          evidence: d.mounts.map((m) => `${m.filesystem} ${m.usedPercent}% ${m.mountedOn}`),
        };
      }
      case 'rollout': // answered above for a Deployment
        throw ApplicationFailure.nonRetryable(
          `a rollout probe reads a Deployment on Kubernetes; ${container} is a container`,
          'NotOnKubernetes',
        );
      case 'health': {
        const h = await deps.checkServiceHealth({ urls: args.urls });
        return {
          facts: { healthy: h.healthy, failing: h.checks.filter((c) => !c.ok).length },
          message: `health: ${h.healthy ? 'healthy' : 'failing'}`,
          evidence: h.checks.map((c) => `${c.url} → ${c.detail}`),
        };
      }
      case 'database': {
        if (!args.urlEnv)
          return {
            facts: { reachable: null, container: args.databaseContainer, containerRunning: null },
            message: 'database: none configured',
          };
        const check = await postgres.checkDatabase({ urlEnv: args.urlEnv });
        const db = args.databaseContainer
          ? await docker.inspectContainer({ container: args.databaseContainer })
          : null;
        return {
          facts: {
            reachable: check.reachable,
            container: args.databaseContainer,
            containerRunning: db ? db.running : null,
          },
          message: `database: ${check.detail}${db ? `; container ${db.name} ${db.status}` : ''}`,
        };
      }
      case 'connections': {
        if (!args.urlEnv)
          return {
            facts: { total: null, active: null, maxConnections: null, poolSize: null, exhausted: null },
            message: 'connections: no database configured',
          };
        const [usage, app] = await Promise.all([
          postgres.connectionUsage({ urlEnv: args.urlEnv }),
          docker.inspectContainer({ container }),
        ]);
        return connectionsReport(usage, app.env[probe.poolSizeVariable], probe.poolSizeVariable, container);
      }
      case 'command': {
        const r = await docker.runInContainer({
          container,
          command: probe.command,
          timeoutMs: probe.timeoutMs,
        });
        return {
          facts: { exitCode: r.exitCode, lines: r.lines.length },
          message: r.noShell
            ? `command: the image of ${container} has no shell`
            : `command \`${probe.command}\`: ${r.timedOut ? 'timed out' : `exit code ${r.exitCode}`}, ${r.lines.length} lines`,
          evidence: r.lines.slice(-10),
        };
      }
      case 'git-log': {
        const r = await deps.git.recentCommits({ service: args.service ?? '', sinceMs: probe.sinceMs });
        const hours = Math.round((probe.sinceMs / 3_600_000) * 10) / 10;
        return {
          facts: { commits: r.repository ? r.commits.length : null, newest: r.commits[0] ?? null },
          message: r.repository
            ? `recent changes: ${r.commits.length} commits in ${r.repository} in the last ${hours} h`
            : 'recent changes: the service names no repository',
          evidence: r.commits.slice(0, 10),
        };
      }
      case 'prometheus': {
        // Service names are letters, digits and . _ : / - (the intake's rule): safe inside a PromQL string.
        const query = probe.query.replace(/\$service\b/g, args.service ?? '');
        const q = anomalyQueries(query, probe.recentMs, probe.baselineMs);
        const [value, baseline] = await Promise.all([
          deps.prometheus.instantValue(q.value),
          deps.prometheus.instantValue(q.baseline),
        ]);
        const ratio = value !== null && baseline ? Math.round((value / baseline) * 100) / 100 : null;
        const anomalous = value === null ? null : baseline ? value >= baseline * probe.factor : value > 0;
        const fmt = (n: number | null) => (n === null ? 'no data' : String(Math.round(n * 1000) / 1000));
        return {
          facts: { value, baseline, ratio, anomalous },
          message: `metric \`${query}\`: ${fmt(value)} over the last ${promDuration(probe.recentMs)} vs ${fmt(baseline)} in the ${promDuration(probe.baselineMs)} before${ratio === null ? '' : ` (${ratio}×)`}${anomalous ? ' — anomalous' : ''}`,
        };
      }
    }
  }

  /**
   * The probes that read the workload, for a Deployment: the same facts as for a container (so the seed's
   * runbooks run unchanged) plus `rollout`. Null: the probe does not depend on the platform (health,
   * database, git-log, prometheus).
   */
  async function kubernetesProbe(args: ProbeArgs): Promise<ProbeReport | null> {
    const { probe, container: name } = args;
    const service = args.service as string;
    const k8s = deps.kubernetes;
    const hoursSince = (t: string | null) => (t ? round1((Date.now() - Date.parse(t)) / 3_600_000) : null);
    switch (probe.kind) {
      case 'container':
      case 'rollout': {
        const [d, pods] = await Promise.all([
          k8s.describeDeployment({ service }),
          k8s.podStates({ service }).catch(() => null),
        ]);
        if (!d.exists)
          return {
            facts: probe.kind === 'container' ? { name, exists: false, running: false } : { complete: false },
            message: `deployment ${name} does not exist`,
          };
        const waiting = pods ? Object.entries(pods.waiting) : [];
        const status = waiting.length
          ? waiting.map(([reason, n]) => `${reason} ×${n}`).join(', ')
          : `${d.availableReplicas}/${d.replicas} available`;
        const age = hoursSince(d.rolloutAt);
        const line = `deployment ${name}: revision ${d.revision}, image ${d.image}${age === null ? '' : `, rolled out ${age} h ago`}${d.previousImage ? `; previous revision ${d.previousRevision} (${d.previousImage})` : ''}; ${status}${d.complete ? '' : ', rollout in progress'}${pods ? `; restarts ${pods.restarts}` : ''}`;
        const evidence = [
          ...d.recentChanges
            .slice(0, 5)
            .map(
              (c) =>
                `${c.name} rolled out ${c.rolloutAt ?? '?'} (created ${c.createdAt ?? '?'}) image ${c.image ?? '?'}`,
            ),
          ...(pods?.pods.slice(0, 5) ?? []),
        ];
        if (probe.kind === 'container')
          return {
            facts: {
              name,
              exists: true,
              running: d.availableReplicas > 0,
              status,
              exitCode: pods?.lastExitCode ?? null,
              oomKilled: pods ? pods.oomKilled > 0 : null,
              restartCount: pods?.restarts ?? null,
              image: d.image,
              // The rollout's age: what "recent deployment" means on Kubernetes.
              imageAgeHours: age,
              previousImage: d.previousImage,
            },
            message: line,
            evidence,
          };
        const count = (...reasons: string[]) => reasons.reduce((n, r) => n + (pods?.waiting[r] ?? 0), 0);
        return {
          facts: {
            revision: d.revision,
            previousRevision: d.previousRevision,
            image: d.image,
            previousImage: d.previousImage,
            rolloutAgeHours: age,
            complete: d.complete,
            replicas: d.replicas,
            ready: d.readyReplicas,
            available: d.availableReplicas,
            updated: d.updatedReplicas,
            crashLooping: pods ? count('CrashLoopBackOff') : null,
            imagePullFailing: pods ? count('ImagePullBackOff', 'ErrImagePull') : null,
            oomKilled: pods?.oomKilled ?? null,
            pending: pods?.phases.Pending ?? (pods ? 0 : null),
            restarts: pods?.restarts ?? null,
          },
          message: line,
          evidence,
        };
      }
      case 'logs': {
        const logs = await k8s.podLogs({ service, tail: probe.tail, pattern: LOG_SCAN_PATTERN });
        return logsReport(logs);
      }
      case 'memory': {
        // Usage needs the metrics API, which not every cluster serves: the limit is what is known for sure.
        const d = await k8s.describeDeployment({ service });
        const mib = d.memoryLimitBytes === null ? null : Math.round(d.memoryLimitBytes / MIB);
        return {
          facts: {
            usagePercent: null,
            usageMiB: null,
            limitMiB: mib,
            hostTotalMiB: null,
            hostAvailableMiB: null,
          },
          message: `memory limit of ${name}: ${mib === null ? 'none' : `${mib} MiB`} (usage is not read on Kubernetes)`,
        };
      }
      case 'connections': {
        if (!args.urlEnv) return null;
        const [usage, env] = await Promise.all([
          deps.postgres.connectionUsage({ urlEnv: args.urlEnv }),
          deps.kubernetesEnvironment(service),
        ]);
        return connectionsReport(usage, env[probe.poolSizeVariable], probe.poolSizeVariable, name);
      }
      case 'processes':
      case 'disk':
      case 'command':
        throw ApplicationFailure.nonRetryable(
          `a ${probe.kind} probe runs inside a container and is not available for the Deployment ${name}`,
          'NotOnKubernetes',
        );
      default:
        return null;
    }
  }

  return {
    // The one place evidence is made: a target's credentials (a connection string in a log line, a password
    // in a printed command) never reach the timeline, Slack, the review or history.
    runProbe: async (args: ProbeArgs): Promise<ProbeReport> => redactDeep(await runProbe(args)),
  };
}
