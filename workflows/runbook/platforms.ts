/** The platform of the run's target: Kubernetes for a Deployment, else the Docker Engine. */
import { dockerPlatform } from './docker-platform';
import { kubernetesPlatform } from './kubernetes-platform';
import type { Platform, PlatformContext } from './platform';

export function platformFor(ctx: PlatformContext): Platform {
  return ctx.input.target.platform === 'kubernetes' ? kubernetesPlatform(ctx) : dockerPlatform(ctx);
}
