import Docker from 'dockerode';
import { ensureNodeImage } from '../../scripts/images';
import { eventually } from '../support/eventually';
import { describeWith, serviceValue } from '../support/services';

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
});
