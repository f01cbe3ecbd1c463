import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import type { WorkflowHandle } from '@temporalio/client';
import {
  PREVIOUS_IMAGE_LABEL,
  REPLICA_OF_LABEL,
  createDockerActivities,
} from '../../activities/platform/docker';
import { ensureNodeImage, ensureShellImage } from '../../scripts/testbed/images';
import { incidentWorkflow } from '../../workflows/incident';
import { approveSignal, statusQuery } from '../../domain/messages';
import { restartClaimsQuery, restartLedgerWorkflowId } from '../../domain/restart-claims';
import type { IncidentStatusView } from '../../domain/types';
import { testConfig } from '../../scripts/testbed/config';
import { engineActions } from '../support/docker-events';
import { startDevWorker, type DevWorker } from '../support/dev-server';
import { eventually } from '../../scripts/testbed/eventually';
import { describeWith, serviceValue } from '../../scripts/testbed/services';

/** Written only as data, like a user's: every probe kind that needs no database, and rules over them. */
const PROBE_KIT = {
  scenario: 'probe-kit',
  description: 'Looks at a container with every probe that needs only Docker; changes nothing.',
  probes: {
    container: { kind: 'container' },
    processes: { kind: 'processes' },
    disk: { kind: 'disk', paths: ['/'] },
    memory: { kind: 'memory' },
    marker: { kind: 'command', command: 'echo probe-kit-ran; exit 3' },
    changes: { kind: 'git-log', since: '4h' },
  },
  rules: [
    { when: { fact: 'processes.available', eq: false }, cause: 'image-without-shell' },
    {
      when: {
        all: [
          { fact: 'marker.exitCode', eq: 3 },
          { fact: 'processes.count', gte: 1 },
        ],
      },
      cause: 'looked-inside',
    },
    { cause: 'other' },
  ],
  causes: {
    'image-without-shell': { summary: 'the image has no shell; container {{container.status}}' },
    'looked-inside': { summary: '{{processes.count}} processes, biggest {{processes.topCommand}}' },
    other: { summary: 'nothing matched' },
  },
};

/** One restart step, verified by the container probe: what two incidents race for. */
const CRASH_RESTART = {
  scenario: 'crash-restart',
  description: 'Restarts the container, once per budget.',
  probes: { container: { kind: 'container' } },
  rules: [{ cause: 'restart-it' }],
  causes: {
    'restart-it': {
      summary: 'container {{container.status}}',
      steps: [
        {
          id: 'restart-app',
          kind: 'restart',
          description: 'restart the container ({{container.status}})',
          verify: { probe: 'container', expect: { fact: 'container.running', eq: true }, within: '20s' },
        },
      ],
    },
  },
};

/** Every step kind that changes a container, on two containers (each has a budget of one restart). */
const STEP_KIT = {
  scenario: 'step-kit',
  description: 'Starts the dependency, raises the memory limit, recreates with a variable; or rolls back.',
  probes: { container: { kind: 'container' } },
  rules: [
    { when: { fact: 'container.previousImage', exists: true }, cause: 'recent-deploy' },
    { cause: 'reconfigure' },
  ],
  causes: {
    reconfigure: {
      summary: 'reconfigure {{container.image}}',
      steps: [
        { id: 'start-db', kind: 'start-dependency', description: 'start the dependency' },
        { id: 'more-memory', kind: 'raise-memory-limit', factor: 2, description: 'double the memory limit' },
        {
          id: 'set-flag',
          kind: 'recreate',
          env: { STEP_KIT: 'yes' },
          description: 'recreate with STEP_KIT=yes',
          verify: { probe: 'container', expect: { fact: 'container.running', eq: true }, within: '20s' },
        },
        {
          id: 'scale-out',
          kind: 'scale',
          replicas: 3,
          description: 'scale {{container.name}} to 3 replicas',
        },
      ],
    },
    'recent-deploy': {
      summary: '{{container.image}} replaced {{container.previousImage}}',
      steps: [
        {
          id: 'roll-back',
          kind: 'rollback',
          gate: 'approve',
          description: 'roll back to {{container.previousImage}}',
          verify: {
            probe: 'container',
            expect: { fact: 'container.image', eq: 'durable-runbooks/shell:previous' },
            within: '20s',
          },
        },
      ],
    },
  },
};

describeWith(['temporal', 'docker'], 'runbook definitions on the real Docker Engine', () => {
  let docker: Docker;
  let dev: DevWorker;
  const handles: WorkflowHandle[] = [];
  const containers = [
    'rbd-disk-app',
    'rbd-kit-shell',
    'rbd-kit-bare',
    'rbd-budget-app',
    'rbd-steps-app',
    'rbd-rollback-app',
  ];
  let seq = 0;

  const services = Object.fromEntries(
    containers.map((c) => [c.replace(/^rbd-/, ''), { container: c, healthUrls: [] }]),
  );
  // The seed's "recent changes": a repository on the worker's host with two commits.
  const repository = mkdtempSync(path.join(os.tmpdir(), 'rbd-repo-'));
  for (const [file, subject] of [
    ['a.txt', 'raise the cache size'],
    ['b.txt', 'switch the payment provider'],
  ]) {
    writeFileSync(path.join(repository, file), subject);
    execFileSync('git', ['init', '-q', repository]);
    execFileSync('git', ['-C', repository, 'add', file]);
    execFileSync('git', [
      '-C',
      repository,
      '-c',
      'user.name=Dev',
      '-c',
      'user.email=dev@invalid',
      'commit',
      '-qm',
      subject,
    ]);
  }
  (services['kit-shell'] as { repository?: string }).repository = repository;
  services['steps-app'] = {
    container: 'rbd-steps-app',
    databaseContainer: 'rbd-steps-db',
    healthUrls: [],
  } as never;

  async function run(
    name: string,
    image: string,
    hostConfig: Docker.HostConfig = {},
    labels: Record<string, string> = {},
  ) {
    await docker
      .getContainer(name)
      .remove({ force: true })
      .catch(() => undefined);
    const c = await docker.createContainer({
      name,
      Image: image,
      Labels: labels,
      HostConfig: { NetworkMode: 'none', ...hostConfig },
    });
    await c.start();
    return c;
  }

  /** A shell command in a container, through the same Docker activity the runbooks use: its output. */
  const exec = async (container: string, command: string) =>
    (await createDockerActivities(docker).runInContainer({ container, command })).lines.join('\n');

  beforeAll(async () => {
    docker = new Docker({ socketPath: serviceValue('docker') });
    const [shell, bare] = await Promise.all([ensureShellImage(docker), ensureNodeImage(docker)]);
    // The log directory is a 10 MiB tmpfs: filling it is quick and touches no real disk.
    await run('rbd-disk-app', shell, { Tmpfs: { '/var/log/app': 'size=10m' } });
    await run('rbd-kit-shell', shell);
    await run('rbd-kit-bare', bare);
    await run('rbd-budget-app', shell);
    await run('rbd-steps-app', shell, { Memory: 64 * 1048576 });
    await (await run('rbd-steps-db', shell)).stop({ t: 0 });
    // A "previous release": the same files under another tag; the running one records it as its previous.
    await docker.getImage(shell).tag({ repo: 'durable-runbooks/shell', tag: 'previous' });
    await run('rbd-rollback-app', shell, {}, { [PREVIOUS_IMAGE_LABEL]: 'durable-runbooks/shell:previous' });
    const config = testConfig({
      services: services as never,
      resolution: { settleAfterMitigation: '1s' },
      runbooks: { stopTimeout: '1s', restartBudget: { max: 1, window: '1h' } },
      runbookDefinitions: [PROBE_KIT, CRASH_RESTART, STEP_KIT] as never,
    });
    dev = await startDevWorker(config, { DOCKER_SOCKET: serviceValue('docker') });
    // A ledger left by an earlier run of this suite lives on that run's task queue, which no worker polls.
    for (const c of containers)
      await dev.client.workflow
        .getHandle(restartLedgerWorkflowId(c))
        .terminate('earlier test run')
        .catch(() => undefined);
  }, 180_000);

  afterAll(async () => {
    for (const h of handles) await h.terminate('suite finished').catch(() => undefined);
    await dev?.close();
    for (const c of [...containers, 'rbd-steps-db', 'rbd-steps-app-2', 'rbd-steps-app-3', 'rbd-host-app'])
      await docker
        ?.getContainer(c)
        .remove({ force: true })
        .catch(() => undefined);
  });

  async function openIncident(service: string, scenario: string) {
    seq += 1;
    const handle = await dev.client.workflow.start(incidentWorkflow, {
      taskQueue: dev.taskQueue,
      workflowId: `rbd-${service}-${seq}-${Date.now()}`,
      args: [
        {
          dedupKey: `rbd-${service}-${seq}`,
          service,
          scenario,
          severity: 'P2',
          summary: `${scenario} on ${service}`,
          security: false,
        },
      ],
    });
    handles.push(handle);
    return handle;
  }
  const text = (v: IncidentStatusView) => v.timeline.map((e) => `${e.type}: ${e.message}`).join('\n');
  const finished = (handle: WorkflowHandle, timeoutMs = 90_000) =>
    eventually(
      async () => {
        const v = await handle.query(statusQuery);
        expect(text(v)).toMatch(/runbook [\w-]+ finished/);
        return v;
      },
      timeoutMs,
      250,
    );

  test('disk-full, a scenario written only as a file: df in the container, approval, cleanup, verified', async () => {
    await exec('rbd-disk-app', 'dd if=/dev/zero of=/var/log/app/app.log.1 bs=1024 count=9500');
    await exec('rbd-disk-app', 'echo current > /var/log/app/app.log');
    const handle = await openIncident('disk-app', 'disk-full');
    const pending = await eventually(
      async () => {
        const v = await handle.query(statusQuery);
        expect(v.pendingApprovals.map((p) => p.step)).toEqual(['clean-old-logs']);
        return v;
      },
      60_000,
      250,
    );
    const before = text(pending);
    expect(before).toMatch(/finding: runbook disk-full \(disk-full\.yaml\) started for rbd-disk-app/);
    expect(before).toMatch(/finding: disk: \/var\/log\/app (9\d|100)% used/);
    expect(before).toMatch(/Docker host \/\S+ \d+% used/);
    expect(before).toMatch(/finding: processes in rbd-disk-app: \d+; most memory: sleep/);
    expect(before).toMatch(
      /diagnosis \(rule 1\): log-directory-filling — the log directory \/var\/log\/app is (9\d|100)% full/,
    );
    expect(pending.pendingApprovals[0].proposal).toMatch(/delete rotated logs .* it is (9\d|100)% full/);
    // Nothing is deleted before someone agrees.
    expect(await exec('rbd-disk-app', 'ls /var/log/app')).toMatch(/app\.log\.1/);

    await handle.signal(approveSignal, { step: 'clean-old-logs', by: 'erin' });
    const view = await finished(handle);
    const log = text(view);
    expect(log).toMatch(/approval: clean-old-logs approved by erin/);
    expect(log).toMatch(/action: mitigation done: clean-old-logs: exit code 0/);
    expect(log).toMatch(
      /finding: verification by disk: holds — disk: \/\S* \d% used|finding: verification by disk: holds/,
    );
    expect(log).toMatch(/runbook disk-full finished: mitigated \(cause: log-directory-filling\)/);
    const left = await exec('rbd-disk-app', 'ls /var/log/app');
    expect(left).not.toMatch(/app\.log\.1/);
    expect(left).toMatch(/app\.log/); // the live log stays
  });

  test('probes on any image: a shell image answers processes and commands; an image without one says so', async () => {
    const [withShell, bare] = await Promise.all([
      finished(await openIncident('kit-shell', 'probe-kit')),
      finished(await openIncident('kit-bare', 'probe-kit')),
    ]);
    const shellLog = text(withShell);
    expect(shellLog).toMatch(/finding: container rbd-kit-shell: running/);
    expect(shellLog).toMatch(/command `echo probe-kit-ran; exit 3`: exit code 3, 1 lines/);
    expect(shellLog).toMatch(/probe-kit-ran/);
    expect(shellLog).toMatch(
      /finding: recent changes: 2 commits in \/\S+rbd-repo-\S+ in the last 4 h\n\s+> [0-9a-f]+ switch the payment provider\n\s+> [0-9a-f]+ raise the cache size/,
    );
    // No limit: the engine reports the host's memory as the limit (the seed's `free -m`).
    expect(shellLog).toMatch(
      /finding: memory \d+ MiB of \d+ MiB \(\d+(\.\d)?%\); Docker host \d+ MiB available of \d+ MiB/,
    );
    expect(shellLog).toMatch(/diagnosis \(rule 2\): looked-inside — \d+ processes, biggest sleep/);
    expect(shellLog).toMatch(/runbook probe-kit finished: nothing-to-do/);

    const bareLog = text(bare);
    expect(bareLog).toMatch(/finding: recent changes: the service names no repository/);
    expect(bareLog).toMatch(/processes in rbd-kit-bare: the image has no shell/);
    expect(bareLog).toMatch(/disk: the image has no df/);
    expect(bareLog).toMatch(
      /diagnosis \(rule 1\): image-without-shell — the image has no shell; container running/,
    );
  });

  test('two incidents on one container at once: the durable ledger grants the one restart in the budget to one', async () => {
    const since = Date.now() - 1000;
    const [a, b] = await Promise.all([
      openIncident('budget-app', 'crash-restart'),
      openIncident('budget-app', 'crash-restart'),
    ]);
    const logs = (await Promise.all([finished(a), finished(b)])).map(text);
    const mitigated = logs.filter((l) => /runbook crash-restart finished: mitigated/.test(l));
    const refused = logs.filter((l) =>
      /restart budget spent: 1 of 1 restarts of rbd-budget-app in the last 1:00:00 \(\S+\/restart-app\)/.test(
        l,
      ),
    );
    expect(mitigated).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(mitigated[0]).toMatch(/finding: verification by container: holds/);
    expect((await engineActions(docker, 'rbd-budget-app', since, ['restart'])).length).toBe(1);
    const claims = await dev.client.workflow
      .getHandle(restartLedgerWorkflowId('rbd-budget-app'))
      .query(restartClaimsQuery);
    expect(claims).toHaveLength(1);
  });

  test('every changing step on a real container: dependency started, limit raised, recreated with a variable (keeping the limit); rollback after approval', async () => {
    const [steps, rollback] = await Promise.all([
      openIncident('steps-app', 'step-kit'),
      openIncident('rollback-app', 'step-kit'),
    ]);
    const view = await finished(steps);
    const log = text(view);
    expect(log).toMatch(/diagnosis \(rule 2\): reconfigure — reconfigure durable-runbooks\/shell:local/);
    expect(log).toMatch(/action: mitigation done: rbd-steps-db started/);
    expect(log).toMatch(/finding: memory limit of rbd-steps-app: 64 MiB → 128 MiB/);
    expect(log).toMatch(/action: mitigation done: memory limit raised to 128 MiB/);
    expect(log).toMatch(
      /finding: to keep the 128 MiB limit across a redeploy, change the compose file \(suggested patch\):\n\s+> services:\n\s+> {3}rbd-steps-app:\n\s+> {5}mem_limit: 128m/,
    );
    expect(log).toMatch(
      /runbook step-kit finished: mitigated \(cause: reconfigure\) — reconfigure durable-runbooks\/shell:local; done: start-db, more-memory, set-flag, scale-out/,
    );
    expect(log).toMatch(
      /action: mitigation done: rbd-steps-app runs as 3 replicas \(2 created, 0 started, 0 already running\)/,
    );
    for (const replica of ['rbd-steps-app-2', 'rbd-steps-app-3']) {
      const r = await docker.getContainer(replica).inspect();
      expect(r.State.Running).toBe(true);
      expect(r.Config.Env).toContain('STEP_KIT=yes');
      expect(r.HostConfig.Memory).toBe(128 * 1048576);
      expect(r.Config.Labels[REPLICA_OF_LABEL]).toBe('rbd-steps-app');
    }
    // Asked again (a retry): nothing made twice.
    const engine = createDockerActivities(docker);
    expect((await engine.scaleOut({ container: 'rbd-steps-app', replicas: 3 })).detail).toMatch(
      /0 created, 0 started, 2 already running/,
    );
    // On host networking, replicas would fight over the ports: refused with the reason.
    await run('rbd-host-app', (await docker.getContainer('rbd-steps-app').inspect()).Config.Image, {
      NetworkMode: 'host',
    });
    await expect(engine.scaleOut({ container: 'rbd-host-app', replicas: 2 })).rejects.toThrow(
      /would fight over its host ports \(host networking\)/,
    );
    const app = await docker.getContainer('rbd-steps-app').inspect();
    expect(app.State.Running).toBe(true);
    expect(app.Config.Env).toContain('STEP_KIT=yes');
    expect(app.HostConfig.Memory).toBe(128 * 1048576); // the raised limit survives the recreate
    expect((await docker.getContainer('rbd-steps-db').inspect()).State.Running).toBe(true);

    await eventually(
      async () => {
        const v = await rollback.query(statusQuery);
        expect(v.pendingApprovals.map((p) => p.step)).toEqual(['roll-back']);
        expect(v.pendingApprovals[0].proposal).toBe('roll back to durable-runbooks/shell:previous');
      },
      60_000,
      250,
    );
    expect((await docker.getContainer('rbd-rollback-app').inspect()).Config.Image).toBe(
      'durable-runbooks/shell:local',
    );
    await rollback.signal(approveSignal, { step: 'roll-back', by: 'erin' });
    const rolled = text(await finished(rollback));
    expect(rolled).toMatch(/finding: verification by container: holds/);
    expect(rolled).toMatch(/runbook step-kit finished: mitigated \(cause: recent-deploy\)/);
    const after = await docker.getContainer('rbd-rollback-app').inspect();
    expect(after.Config.Image).toBe('durable-runbooks/shell:previous');
    expect(after.Config.Labels[PREVIOUS_IMAGE_LABEL]).toBe('durable-runbooks/shell:local');
  });

  test('a scenario with no runbook (any name a caller chose) runs the health runbook and says so', async () => {
    const log = text(await finished(await openIncident('kit-shell', 'constructor')));
    expect(log).toMatch(/error: start input: scenario "constructor" is unknown: using "health"/);
    expect(log).toMatch(/finding: runbook health \(health\.yaml\) started/);
    expect(log).toMatch(/runbook health finished/);
  });
});
