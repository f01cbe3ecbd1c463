/** Which configured contact a channel's person is: shared by the intake's access rules and the activities. */
import type { RunbooksConfig } from './index';
import { ownValue } from '../domain/policy';

/**
 * A person as the channel identifies them: Slack's user id, PagerDuty's user id (the webhook's agent), or for
 * the API the contact id its token or proxy named.
 */
export interface ResponderIdentity {
  channel: 'slack' | 'pagerduty' | 'api';
  userId: string;
  /** The channel's display name, for the timeline only: never used to decide. */
  name?: string;
}

/** The configured contact id a channel's person is (its Slack member id, PagerDuty user id, API contact). */
export function contactOf(config: RunbooksConfig, who: ResponderIdentity): string | undefined {
  if (who.channel === 'api') return ownValue(config.contacts, who.userId) ? who.userId : undefined;
  for (const [id, contact] of Object.entries(config.contacts)) {
    const known = who.channel === 'slack' ? contact.slackUserId : contact.pagerdutyUserId;
    if (known !== undefined && known === who.userId) return id;
  }
  return undefined;
}
