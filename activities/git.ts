/**
 * Recent changes in the service's git repository on the worker's host (the seed's
 * `git log --oneline --since="4 hours ago"`). The repository comes from the configuration only.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { RunbooksConfig } from '../config';

const run = promisify(execFile);

export interface RecentCommits {
  /** Null when the service names no repository. */
  repository: string | null;
  commits: string[];
}

export function createGitActivities(config: Pick<RunbooksConfig, 'services'>) {
  async function recentCommits({
    service,
    sinceMs,
  }: {
    service: string;
    sinceMs: number;
  }): Promise<RecentCommits> {
    const repository = Object.hasOwn(config.services, service)
      ? config.services[service].repository
      : undefined;
    if (!repository) return { repository: null, commits: [] };
    const { stdout } = await run(
      'git',
      [
        '-C',
        repository,
        'log',
        '--oneline',
        '--no-decorate',
        `--since=${Math.round(sinceMs / 1000)} seconds ago`,
        '-n',
        '200',
      ],
      { timeout: 15_000, maxBuffer: 1_048_576 },
    );
    return { repository, commits: stdout.split('\n').filter(Boolean) };
  }
  return { recentCommits };
}
