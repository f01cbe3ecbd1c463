/**
 * Docker Engine activities (dockerode): the reads and the effectively-once changes a runbook makes on
 * containers. `workflows/runbook/docker-platform.ts` is their side of the runbook's Platform.
 */
import type Docker from 'dockerode';
import type { ContainerState, MemoryStats, MitigationResult } from '../../contract';
import { dockerChanges } from './changes';
import { dockerEngine } from './engine';
import { dockerReads } from './reads';

export type { ContainerState, MemoryStats, MitigationResult };
export { PREVIOUS_IMAGE_LABEL, REPLICA_OF_LABEL } from './labels';
export { demux, parseDf, parseProcesses, type DiskUsage, type ProcessTable } from './parse';

export function createDockerActivities(docker: Docker) {
  const engine = dockerEngine(docker);
  return { ...dockerReads(docker, engine), ...dockerChanges(docker, engine) };
}

export type DockerActivities = ReturnType<typeof createDockerActivities>;
