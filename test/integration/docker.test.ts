import Docker from 'dockerode';
import { createDockerActivities } from '../../activities/platform/docker';
import { freePort } from '../../scripts/testbed/local-services';
import { ensureNodeImage } from '../../scripts/testbed/images';
import { eventually } from '../../scripts/testbed/eventually';
import { describeWith, serviceValue } from '../../scripts/testbed/services';

describeWith(['docker'], 'real Docker Engine (project-local dockerd)', () => {
  test('a container from a locally imported image is inspected through dockerode', async () => {
    const docker = new Docker({ socketPath: serviceValue('docker') });
    const image = await ensureNodeImage(docker);
    const name = `runbooks-inspect-${Date.now()}`;
    const container = await docker.createContainer({
      name,
      Image: image,
      Cmd: ['/usr/bin/node', '-e', 'console.log("ready"); setInterval(() => {}, 1000)'],
      Env: ['ROLE=probe'],
      HostConfig: { NetworkMode: 'host', Memory: 128 * 1024 * 1024 },
    });
    try {
      await container.start();
      const info = await container.inspect();
      expect(info.Name).toBe(`/${name}`);
      expect(info.State.Running).toBe(true);
      expect(info.State.OOMKilled).toBe(false);
      expect(info.HostConfig.Memory).toBe(128 * 1024 * 1024);
      expect(info.Config.Env).toContain('ROLE=probe');
      await eventually(async () => {
        const logs = await container.logs({ stdout: true, stderr: true, tail: 10 });
        expect(logs.toString('utf8')).toContain('ready');
      });
    } finally {
      await container.remove({ force: true });
    }
  });

  test('recreate keeps the whole configuration: network, published port, volume, user, entrypoint, caps, labels', async () => {
    const docker = new Docker({ socketPath: serviceValue('docker') });
    const image = await ensureNodeImage(docker);
    const stamp = Date.now().toString(36);
    const [name, network, volume] = [
      `runbooks-recreate-${stamp}`,
      `runbooks-net-${stamp}`,
      `runbooks-vol-${stamp}`,
    ];
    const port = await freePort();
    await docker.createNetwork({ Name: network, Driver: 'bridge' });
    await docker.createVolume({ Name: volume });
    const container = await docker.createContainer({
      name,
      Image: image,
      Entrypoint: ['/usr/bin/node'],
      Cmd: ['-e', 'require("http").createServer((q, r) => r.end(process.env.GREETING)).listen(8080)'],
      Env: ['GREETING=v1'],
      User: '1000:1000',
      Labels: { team: 'payments' },
      ExposedPorts: { '8080/tcp': {} },
      HostConfig: {
        NetworkMode: network,
        PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] },
        Binds: [`${volume}:/data`],
        CapAdd: ['NET_ADMIN'],
        CapDrop: ['MKNOD'],
        Memory: 256 * 1024 * 1024,
        RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 },
      },
      NetworkingConfig: { EndpointsConfig: { [network]: { Aliases: ['api'] } } },
    });
    try {
      await container.start();
      const before = await container.inspect();
      const result = await createDockerActivities(docker).recreateContainer({
        container: name,
        env: { GREETING: 'v2' },
        stopTimeoutSeconds: 1,
      });
      expect(result.action).toBe('recreated');
      const after = await docker.getContainer(name).inspect();
      expect(after.Id).not.toBe(before.Id);
      expect(after.State.Running).toBe(true);
      expect(after.Config.Env).toContain('GREETING=v2');
      expect(after.Config.User).toBe('1000:1000');
      expect(after.Config.Entrypoint).toEqual(['/usr/bin/node']);
      expect(after.Config.Cmd).toEqual(before.Config.Cmd);
      expect(after.Config.Labels).toMatchObject({ team: 'payments' });
      expect(after.Config.ExposedPorts).toEqual({ '8080/tcp': {} });
      expect(after.HostConfig.PortBindings).toEqual(before.HostConfig.PortBindings);
      expect(after.HostConfig.Binds).toEqual([`${volume}:/data`]);
      expect(after.HostConfig.CapAdd).toEqual(['NET_ADMIN']);
      expect(after.HostConfig.CapDrop).toEqual(['MKNOD']);
      expect(after.HostConfig.Memory).toBe(256 * 1024 * 1024);
      expect(after.HostConfig.RestartPolicy).toEqual({ Name: 'on-failure', MaximumRetryCount: 3 });
      expect(Object.keys(after.NetworkSettings.Networks)).toEqual([network]);
      expect(after.NetworkSettings.Networks[network].Aliases).toContain('api');
      expect(after.Mounts.map((m) => [m.Name, m.Destination])).toEqual([[volume, '/data']]);
      // The published port reaches the new container, which runs with the new environment.
      await eventually(async () =>
        expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('v2'),
      );
      // The old container is gone, not left renamed.
      await expect(docker.getContainer(`${name}-replaced`).inspect()).rejects.toThrow(/no such container/i);
    } finally {
      await docker
        .getContainer(name)
        .remove({ force: true })
        .catch(() => undefined);
      await docker
        .getNetwork(network)
        .remove()
        .catch(() => undefined);
      await docker
        .getVolume(volume)
        .remove()
        .catch(() => undefined);
    }
  });
});
