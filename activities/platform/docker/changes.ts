/**
 * Docker Engine changes, each effectively once: it checks the container's state before acting, so a retried
 * activity or a worker killed mid-step never restarts a service twice. Long ones heartbeat.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type Docker from 'dockerode';
import type { MitigationResult } from '../../contract';
import { heartbeatWhile } from '../../heartbeat';
import type { DockerEngine } from './engine';
import { PREVIOUS_IMAGE_LABEL, REPLICA_OF_LABEL } from './labels';

export function dockerChanges(
  docker: Docker,
  { inspect, inspectOrFail, eventsSince, waitRunningSince }: DockerEngine,
) {
  /**
   * `docker restart` (works on stopped containers too, and is what the budget counts), effectively once:
   * if the container started after `requestedAt`, or a stop/restart is already under way since then, the
   * earlier attempt is awaited instead of restarting again.
   */
  async function restartContainer({
    container,
    requestedAt,
    stopTimeoutSeconds = 10,
  }: {
    container: string;
    requestedAt: string;
    stopTimeoutSeconds?: number;
  }): Promise<MitigationResult> {
    const since = Date.parse(requestedAt);
    const info = await inspectOrFail(container);
    if (info.State.Running && Date.parse(info.State.StartedAt) >= since)
      return {
        action: 'none',
        detail: `${container} already restarted at ${info.State.StartedAt} (since this step began)`,
        startedAt: info.State.StartedAt,
      };
    // Our restart always begins with a `kill` (the stop signal). A container that merely died since (an OOM
    // kill, a crash: `oom`/`die` and nothing else) is not being restarted by anyone: restart it now.
    const underway = await eventsSince(container, since, ['kill', 'stop', 'restart', 'start']);
    if (underway.length) {
      const startedAt = await heartbeatWhile(
        waitRunningSince(container, since, (stopTimeoutSeconds + 60) * 1000),
        'awaiting restart begun earlier',
      );
      return {
        action: 'none',
        detail: `${container} restart begun by an earlier attempt completed at ${startedAt}`,
        startedAt,
      };
    }
    await heartbeatWhile(docker.getContainer(container).restart({ t: stopTimeoutSeconds }), 'restarting');
    const after = await inspect(container);
    return {
      action: 'restarted',
      detail: `${container} restarted (started at ${after?.State.StartedAt})`,
      startedAt: after?.State.StartedAt ?? null,
    };
  }

  const startContainer = (args: { container: string }) =>
    heartbeatWhile(startContainerOnce(args), 'starting');
  async function startContainerOnce({ container }: { container: string }): Promise<MitigationResult> {
    const info = await inspectOrFail(container);
    if (info.State.Running)
      return { action: 'none', detail: `${container} is already running`, startedAt: info.State.StartedAt };
    await docker.getContainer(container).start();
    const after = await inspect(container);
    return { action: 'started', detail: `${container} started`, startedAt: after?.State.StartedAt ?? null };
  }

  /**
   * Re-creates the container with changed environment or image (raising the pool size, rolling back).
   * Idempotent: a container that already has the wanted settings is left alone.
   */
  interface RecreateArgs {
    container: string;
    env?: Record<string, string>;
    image?: string;
    stopTimeoutSeconds?: number;
  }
  const recreateContainer = (args: RecreateArgs) => heartbeatWhile(recreateContainerOnce(args), 'recreating');
  async function recreateContainerOnce({
    container,
    env = {},
    image,
    stopTimeoutSeconds = 10,
  }: RecreateArgs): Promise<MitigationResult> {
    const retired = `${container}-replaced`;
    let info = await inspect(container);
    if (!info) info = await inspect(retired); // crashed between rename and create: carry on from the old one
    if (!info)
      throw ApplicationFailure.nonRetryable(`container ${container} does not exist`, 'NoSuchContainer');
    const current = new Map(
      (info.Config.Env ?? []).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
    );
    const wantImage = image ?? info.Config.Image;
    const satisfied =
      info.Name === `/${container}` &&
      info.Config.Image === wantImage &&
      Object.entries(env).every(([k, v]) => current.get(k) === v);
    if (satisfied && info.State.Running)
      return {
        action: 'none',
        detail: `${container} already runs with the wanted settings`,
        startedAt: info.State.StartedAt,
      };
    if (satisfied) return startContainerOnce({ container });
    // What the container inherited from its old image belongs to that image: a rollback takes the
    // previous image's own defaults instead of carrying the newer ones over.
    const oldImage = image
      ? await docker
          .getImage(info.Image)
          .inspect()
          .catch(() => null)
      : null;
    const inherited = new Set(oldImage?.Config?.Env ?? []);
    for (const [k, v] of [...current]) if (inherited.has(`${k}=${v}`)) current.delete(k);
    const sameCmd = JSON.stringify(oldImage?.Config?.Cmd ?? null) === JSON.stringify(info.Config.Cmd);
    for (const [k, v] of Object.entries(env)) current.set(k, v);
    const labels = { ...(info.Config.Labels ?? {}) };
    if (image && image !== info.Config.Image) labels[PREVIOUS_IMAGE_LABEL] = info.Config.Image;
    if (info.Name === `/${container}`) {
      await docker
        .getContainer(info.Id)
        .stop({ t: stopTimeoutSeconds })
        .catch(() => undefined);
      const old = docker.getContainer(info.Id);
      await old.rename({ name: retired }).catch(async (err) => {
        // The engine may have applied a rename whose answer was lost: trust the state, not the error.
        if ((await old.inspect()).Name !== `/${retired}`) throw err;
      });
    }
    const sameEntrypoint =
      JSON.stringify(oldImage?.Config?.Entrypoint ?? null) === JSON.stringify(info.Config.Entrypoint ?? null);
    const created = await createLike(info, {
      name: container,
      image: wantImage,
      env: [...current].map(([k, v]) => `${k}=${v}`),
      labels,
      // What the old image supplied is left to the new one.
      cmd: !(oldImage && sameCmd),
      entrypoint: !(oldImage && sameEntrypoint),
    });
    await created.start();
    await docker
      .getContainer(info.Id)
      .remove({ force: true })
      .catch(() => undefined);
    const after = await inspect(container);
    const changes = [
      ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
      ...(image ? [`image ${image}`] : []),
    ].join(', ');
    return {
      action: 'recreated',
      detail: `${container} recreated with ${changes}`,
      startedAt: after?.State.StartedAt ?? null,
    };
  }

  /**
   * A container like `info`: everything it was given survives (ports, mounts, user, entrypoint, networks
   * with their aliases, capabilities, limits, labels, health check), with the changes asked for.
   */
  async function createLike(
    info: Docker.ContainerInspectInfo,
    want: {
      name: string;
      image: string;
      env: string[];
      labels: Record<string, string>;
      cmd: boolean;
      entrypoint: boolean;
    },
  ): Promise<Docker.Container> {
    const [firstNetwork, ...otherNetworks] = userNetworks(info);
    // dockerode's type omits StopSignal, which the engine reports.
    const config = info.Config as typeof info.Config & { StopSignal?: string };
    const created = await docker.createContainer({
      name: want.name,
      Image: want.image,
      ...(want.cmd ? { Cmd: info.Config.Cmd, WorkingDir: info.Config.WorkingDir } : {}),
      ...(want.entrypoint ? { Entrypoint: info.Config.Entrypoint } : {}),
      Env: want.env,
      Labels: want.labels,
      User: info.Config.User,
      ExposedPorts: info.Config.ExposedPorts,
      Volumes: info.Config.Volumes,
      Tty: info.Config.Tty,
      OpenStdin: info.Config.OpenStdin,
      ...(config.StopSignal ? { StopSignal: config.StopSignal } : {}),
      ...(info.Config.Healthcheck ? { Healthcheck: info.Config.Healthcheck } : {}),
      HostConfig: info.HostConfig,
      ...(firstNetwork
        ? { NetworkingConfig: { EndpointsConfig: { [firstNetwork.name]: firstNetwork.endpoint } } }
        : {}),
    });
    for (const network of otherNetworks)
      await docker
        .getNetwork(network.name)
        .connect({ Container: created.id, EndpointConfig: network.endpoint });
    return created;
  }

  /**
   * The seed's `docker-compose up --scale app=N`: replicas `<name>-2`…`<name>-N` made like the container,
   * on its networks with its aliases (so its name resolves to all of them). Idempotent: replicas that
   * exist are started if stopped, never made twice. Host networking or published host ports would make
   * replicas fight over the ports: refused (scale behind a load balancer instead).
   */
  const scaleOut = (args: { container: string; replicas: number }) =>
    heartbeatWhile(scaleOutOnce(args), 'scaling');
  async function scaleOutOnce({
    container,
    replicas,
  }: {
    container: string;
    replicas: number;
  }): Promise<MitigationResult> {
    const info = await inspectOrFail(container);
    const published = Object.values(info.HostConfig.PortBindings ?? {}).some((b) =>
      (b as { HostPort?: string }[] | null)?.some((p) => p.HostPort),
    );
    if (info.HostConfig.NetworkMode === 'host' || published)
      throw ApplicationFailure.nonRetryable(
        `replicas of ${container} would fight over its host ports (${published ? 'published ports' : 'host networking'}): scale behind a load balancer instead`,
        'CannotScale',
      );
    let made = 0;
    let started = 0;
    for (let i = 2; i <= replicas; i++) {
      const name = `${container}-${i}`;
      const replica = await inspect(name);
      if (replica?.State.Running) continue;
      if (replica) {
        await docker.getContainer(name).start();
        started += 1;
        continue;
      }
      const created = await createLike(info, {
        name,
        image: info.Config.Image,
        env: info.Config.Env ?? [],
        labels: { ...(info.Config.Labels ?? {}), [REPLICA_OF_LABEL]: container },
        cmd: true,
        entrypoint: true,
      });
      await created.start();
      made += 1;
    }
    return {
      action: made || started ? 'started' : 'none',
      detail: `${container} runs as ${replicas} replicas (${made} created, ${started} started, ${replicas - 1 - made - started} already running)`,
      startedAt: info.State.StartedAt,
    };
  }

  async function raiseMemoryLimit({
    container,
    limitBytes,
  }: {
    container: string;
    limitBytes: number;
  }): Promise<MitigationResult> {
    const info = await inspectOrFail(container);
    if ((info.HostConfig.Memory ?? 0) >= limitBytes)
      return {
        action: 'none',
        detail: `memory limit already ${info.HostConfig.Memory} bytes`,
        startedAt: info.State.StartedAt,
      };
    await docker.getContainer(container).update({ Memory: limitBytes, MemorySwap: -1 });
    return {
      action: 'updated',
      detail: `memory limit raised to ${Math.round(limitBytes / 1048576)} MiB`,
      startedAt: info.State.StartedAt,
    };
  }

  return { restartContainer, startContainer, recreateContainer, raiseMemoryLimit, scaleOut };
}

/**
 * The user-defined networks a container is attached to, with its aliases (minus the engine's own: the old
 * container's short id) and fixed addresses, to attach its replacement the same way. The built-in modes
 * (`host`, `none`, `bridge`, `container:…`) travel in HostConfig.NetworkMode.
 */
function userNetworks(
  info: Docker.ContainerInspectInfo,
): { name: string; endpoint: Docker.EndpointSettings }[] {
  const builtIn = ['host', 'none', 'bridge', 'default'];
  return Object.entries(info.NetworkSettings?.Networks ?? {})
    .filter(([name]) => !builtIn.includes(name) && !info.HostConfig.NetworkMode?.startsWith('container:'))
    .map(([name, settings]) => ({
      name,
      endpoint: {
        ...(settings.IPAMConfig ? { IPAMConfig: settings.IPAMConfig } : {}),
        Aliases: ((settings.Aliases ?? []) as string[]).filter((a) => !info.Id.startsWith(a)),
      },
    }));
}
