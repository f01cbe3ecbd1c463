/**
 * The activities the incident workflow may call. Workflows import only this type; the implementations
 * (one module per external system) are wired in `activities/index.ts`.
 */
import type { NotificationChannel } from '../domain/notification-rules';
import type { IncidentPolicy } from '../domain/policy';
import type { ResponderPlan, TeamPolicy } from '../domain/responders';
import type {
  IncidentRecord,
  IncidentStatusView,
  PageRecord,
  ResponderTarget,
  Severity,
  TimelineEntry,
} from '../domain/types';
import type { StoredOverride } from '../domain/oncall';
import type { MaintenanceWindow } from '../domain/messages';
import type { ProbeDefinition, ProbeReport } from '../domain/runbook-definition';

export interface ContainerState {
  exists: boolean;
  name: string;
  running: boolean;
  status: string;
  exitCode: number | null;
  oomKilled: boolean;
  startedAt: string | null;
  finishedAt: string | null;
  restartCount: number;
  image: string;
  imageCreatedAt: string | null;
  previousImage: string | null;
  memoryLimitBytes: number;
  /** Only the variables the runbooks read (never secrets). */
  env: Record<string, string>;
}

export interface MemoryStats {
  usageBytes: number;
  limitBytes: number;
  percent: number;
  processRssBytes: number | null;
  diskFreePercent: number | null;
}

export interface MitigationResult {
  action: 'restarted' | 'started' | 'recreated' | 'updated' | 'none';
  detail: string;
  startedAt: string | null;
}

export interface DatabaseCheck {
  reachable: boolean;
  detail: string;
}

export interface ConnectionUsage {
  byState: Record<string, number>;
  total: number;
  maxConnections: number;
}

export interface DeploymentState {
  exists: boolean;
  /** namespace/name */
  name: string;
  revision: number | null;
  /** The pod template's container the runbooks read and change. */
  container: string | null;
  image: string | null;
  /** When the running image was rolled out (restarts since then make revisions but deploy nothing new). */
  rolloutAt: string | null;
  /** The newest older revision that ran another image: where a rollback goes. */
  previousRevision: number | null;
  previousReplicaSet: string | null;
  previousImage: string | null;
  replicas: number;
  readyReplicas: number;
  availableReplicas: number;
  updatedReplicas: number;
  complete: boolean;
  memoryLimitBytes: number | null;
  /**
   * The container's literal environment variables, each value as `sha256:<16 hex digits>`: this answer is
   * recorded in history, and values (a database URL's password) stay inside activities.
   */
  env: Record<string, string>;
  /** Deployments of the namespace by creation time, newest rollout first (the seed's "recent changes"). */
  recentChanges: { name: string; createdAt: string | null; rolloutAt: string | null; image: string | null }[];
}

export interface ProbeArgs {
  /** The probe's id in its definition (what a rehearsal's recorded facts are filed under). */
  id?: string;
  probe: ProbeDefinition;
  /** The incident's service (a `prometheus` probe's `$service`); absent from the first interpreter runs. */
  service?: string;
  container: string;
  databaseContainer: string | null;
  urlEnv: string | null;
  urls: string[];
}

export interface SlackThreadRef {
  channel: string;
  ts: string;
  /** The incident's own channel (`slack.channelPerIncident`): people are invited to it; archived on close. */
  own?: boolean;
  /** The announcement's link (`chat.getPermalink`), for the console; absent when Slack did not give one. */
  permalink?: string;
}

export interface AnnounceIncidentArgs {
  incidentId: string;
  workflowId: string;
  text: string;
  /** For a channel per incident (absent from older workflow code): its name, and whom to invite. */
  service?: string;
  severity?: string;
  contactIds?: string[];
}

export interface ThreadMessageArgs {
  incidentId: string;
  thread: SlackThreadRef | null;
  text: string;
}

export interface PageContactsArgs {
  incidentId: string;
  workflowId: string;
  service: string;
  severity: Severity;
  summary: string;
  levelName: string;
  contactIds: string[];
  channel: 'page' | 'slack';
  reason: string;
  thread: SlackThreadRef | null;
  /**
   * PagerDuty dedup key of this page: one per page, so a repeat round or a reopen opens a new alert that
   * notifies people, instead of folding into the alert already open. Absent in pages scheduled by older
   * workflow code, which used the incident id.
   */
  dedupKey?: string;
  /** Revision 9: each contact reached by their notification rules; the answer lists their follow-ups. */
  byRules?: boolean;
}

/** Revision 9: one contact's follow-up by one channel, a while after a page that nobody has answered. */
export interface FollowUpArgs extends Omit<PageContactsArgs, 'contactIds' | 'channel' | 'byRules'> {
  contactId: string;
  channel: NotificationChannel;
  /** The rule's index among the contact's: with the page's dedup key, what makes the message once-only. */
  rule: number;
}

export type { EmailNoticeArgs, NamedContact, PagingUpdateArgs, TicketArgs } from './notice-contract';
import type { EmailNoticeArgs, NamedContact, PagingUpdateArgs, TicketArgs } from './notice-contract';

export interface DeliveryResult {
  delivered: boolean;
  /** Human-readable outcome for the timeline (never contains a secret). */
  detail: string;
  /** Revision 9: what the paged people's rules ask for later, unless the incident is owned by then. */
  followUps?: Array<{ contactId: string; channel: NotificationChannel; afterMs: number; rule: number }>;
}

export interface StatusPageArgs {
  incidentId: string;
  service: string;
  state: 'investigating' | 'monitoring' | 'resolved';
  message: string;
}

export interface HealthCheckResult {
  healthy: boolean;
  checks: { url: string; ok: boolean; status: number | null; detail: string }[];
}

export interface WriteReviewArgs {
  incidentId: string;
  directory: string;
  markdown: string;
  /**
   * Timeline entries moved out of the workflow's state into the journal (see `appendTimeline`): the
   * review puts them back, oldest first, right after `insertAfter` (the timeline's heading).
   */
  journal?: { entries: number; createdAt: string; insertAfter: string };
  /** For the worker's MTTA / MTTR histograms (absent from older workflow code). */
  responseTimes?: {
    service: string;
    severity: string;
    ackSeconds: number | null;
    resolveSeconds: number | null;
  };
}

/** A batch of timeline entries leaving the workflow's bounded state for the incident's journal. */
export interface AppendTimelineArgs {
  incidentId: string;
  directory: string;
  /** Position of the first entry in the journal: a retried batch rewrites the same file. */
  firstSeq: number;
  entries: TimelineEntry[];
}

/**
 * Revision 4: the incident's writes to the system of record, on a lane of their own (`recordTaskQueue`),
 * polled by the process that holds the store. Every write is idempotent: entries by their number, pages by
 * theirs, the incident's row by the time its fields were true.
 */
export interface RecordIncidentArgs {
  incident: IncidentRecord;
  /** The number of `entries[0]` in the incident's whole timeline. */
  firstSeq: number;
  entries: TimelineEntry[];
  /** Pages sent or answered since the last write. */
  pages: PageRecord[];
}

/** The review, built by the store's holder from every entry stored, with the workflow's own as a fallback. */
export interface StoredReviewArgs {
  /** With `timelineTotal`: which entries of the whole timeline its `timeline` holds. */
  view: IncidentStatusView;
  directory: string;
  responseTimes: NonNullable<WriteReviewArgs['responseTimes']>;
}

export interface RecordWritten {
  timelineAdded: number;
  pagesWritten: number;
}

export interface StoredReview {
  path: string;
  entries: number;
  /** Entries neither the store nor the workflow had (lost in a store outage). */
  missing: number;
}

export interface RecordActivities {
  recordIncident(args: RecordIncidentArgs): Promise<RecordWritten>;
  writeStoredReview(args: StoredReviewArgs): Promise<StoredReview>;
}

/**
 * Revision 5: the same write and review, as local activities of the worker running the incident's workflow
 * task; null at once from a worker that holds no store (the lane then takes them).
 */
export interface RecordHereActivities {
  recordIncidentHere(args: RecordIncidentArgs): Promise<RecordWritten | null>;
  writeStoredReviewHere(args: StoredReviewArgs): Promise<StoredReview | null>;
}

export interface IncidentActivities {
  /** `scenario` (absent from older workflow code) brings the scenario's runbook definition along. */
  loadIncidentPolicy(args: { service: string; scenario?: string }): Promise<IncidentPolicy>;
  /** Revision 7: a responder's target as the configuration has it, for an incident of `severity`. */
  loadResponderPlan(args: {
    target: ResponderTarget;
    severity: Severity;
  }): Promise<ResponderPlan | { refused: string }>;
  /** Revision 7: a team's escalation policy, to reassign an incident to. */
  loadTeamPolicy(args: { team: string }): Promise<TeamPolicy | { refused: string }>;
  /** Revision 8: the configured contacts the timeline's names stand for (null where none does). */
  contactsNamed(args: { names: string[] }): Promise<(NamedContact | null)[]>;
  /** Revision 8: an e-mail to contacts (the review meeting's invitation, the commander's reminder). */
  emailNotice(args: EmailNoticeArgs): Promise<DeliveryResult>;
  announceIncident(args: AnnounceIncidentArgs): Promise<SlackThreadRef | null>;
  /** Archives the incident's own channel at close (best effort: the answer says what happened). */
  archiveIncidentChannel(args: { incidentId: string; channel: string }): Promise<DeliveryResult>;
  postThreadMessage(args: ThreadMessageArgs): Promise<DeliveryResult>;
  pageContacts(args: PageContactsArgs): Promise<DeliveryResult>;
  /** Revision 9: a notification rule's follow-up to one contact (an e-mail, a Slack message, a page). */
  followUpContact(args: FollowUpArgs): Promise<DeliveryResult>;
  sendPagingUpdate(args: PagingUpdateArgs): Promise<DeliveryResult>;
  createTicket(args: TicketArgs): Promise<DeliveryResult>;
  updateStatusPage(args: StatusPageArgs): Promise<DeliveryResult>;
  checkServiceHealth(args: { urls: string[] }): Promise<HealthCheckResult>;
  /** Who asked Temporal to cancel the run, and why (null when the history shows no request). */
  cancellationRequest(args: {
    workflowId: string;
    runId: string;
  }): Promise<{ identity: string; reason: string } | null>;
  writeReview(args: WriteReviewArgs): Promise<{ path: string }>;
  appendTimeline(args: AppendTimelineArgs): Promise<{ path: string }>;
  requestApproval(args: ApprovalRequestArgs): Promise<DeliveryResult>;
  /** Overrides of an on-call schedule, read when a page resolves who is on call. */
  onCallOverrides(args: { schedule: string }): Promise<StoredOverride[]>;
  /** The service's maintenance window under way at `at`, or null. */
  maintenanceWindow(args: { service: string; at: number }): Promise<MaintenanceWindow | null>;
}

export interface ApprovalRequestArgs {
  incidentId: string;
  workflowId: string;
  thread: SlackThreadRef | null;
  step: string;
  text: string;
  /** Which proposal of the step the buttons answer (when it was proposed): a re-proposal's are new ones. */
  proposal?: string;
}

/** Activities of the runbook child workflows: Docker Engine, PostgreSQL, HTTP health. */
export interface RunbookActivities {
  inspectContainer(args: { container: string }): Promise<ContainerState>;
  containerLogs(args: {
    container: string;
    tail: number;
    pattern: string;
  }): Promise<{ scanned: number; matching: string[] }>;
  containerStats(args: { container: string }): Promise<MemoryStats>;
  countRecentRestarts(args: { container: string; windowMs: number }): Promise<number>;
  restartContainer(args: {
    container: string;
    requestedAt: string;
    stopTimeoutSeconds?: number;
  }): Promise<MitigationResult>;
  startContainer(args: { container: string }): Promise<MitigationResult>;
  recreateContainer(args: {
    container: string;
    env?: Record<string, string>;
    image?: string;
    stopTimeoutSeconds?: number;
  }): Promise<MitigationResult>;
  raiseMemoryLimit(args: { container: string; limitBytes: number }): Promise<MitigationResult>;
  scaleOut(args: { container: string; replicas: number }): Promise<MitigationResult>;
  checkDatabase(args: { urlEnv: string }): Promise<DatabaseCheck>;
  waitForDatabase(args: { urlEnv: string; timeoutMs: number }): Promise<DatabaseCheck>;
  connectionUsage(args: { urlEnv: string }): Promise<ConnectionUsage>;
  checkServiceHealth(args: { urls: string[] }): Promise<HealthCheckResult>;
  /** The engine's clock (`/info`): a restart's "since" is measured on the clock that stamps StartedAt. */
  engineTime(): Promise<string>;
  /** One probe of a runbook definition: its facts and a line for the timeline. */
  runProbe(args: ProbeArgs): Promise<ProbeReport>;
  /** A definition's shell command in the container (refused unless a loaded definition holds it). */
  runInContainer(args: {
    container: string;
    command: string;
    timeoutMs?: number;
  }): Promise<{ exitCode: number | null; lines: string[]; timedOut: boolean; noShell: boolean }>;
  /** A service's Deployment on Kubernetes: revisions, rollout, limit and environment (targets from config). */
  describeDeployment(args: { service: string }): Promise<DeploymentState>;
  rolloutRestart(args: { service: string; requestedAt: string }): Promise<MitigationResult>;
  rolloutUndo(args: {
    service: string;
    fromRevision: number;
    toReplicaSet: string;
  }): Promise<MitigationResult>;
  scaleDeployment(args: { service: string; replicas: number }): Promise<MitigationResult>;
  setMemoryLimit(args: { service: string; fromBytes: number; toBytes: number }): Promise<MitigationResult>;
  setEnvironment(args: { service: string; env: Record<string, string> }): Promise<MitigationResult>;
  rolloutStatus(args: { service: string; timeoutMs: number }): Promise<{ complete: boolean; detail: string }>;
  /** One restart from the container's budget, through its ledger workflow. */
  claimRestart(
    args: import('../domain/restart-claims').RestartClaimRequest & { container: string },
  ): Promise<import('../domain/restart-claims').RestartClaimAnswer>;
}

/** A run the watchdog's scan found: what Temporal's list and describe say, nothing read from its history. */
export interface StuckRun {
  kind: 'stuck' | 'terminated';
  workflowId: string;
  runId: string;
  /** Stuck: the attempt of its pending workflow task. */
  attempt?: number;
  /** Terminated: its last IncidentStatus, null when it had none yet. */
  status?: string | null;
  /** The second and later report of the same stuck run (a reminder): a new page, not folded into the first. */
  reportNumber?: number;
}

export interface FindStuckArgs {
  taskQueue: string;
  /** A workflow task on this attempt or later is stuck (the first retry is routine). */
  failedAttempts: number;
  /** Terminated runs closed at or after this instant (ISO) are reported. */
  terminatedSince: string;
}

/** The stuck-incident watchdog's I/O: Temporal's records in, a page and a thread message out. */
export interface WatchdogActivities {
  /** Lists and describes only: a run found again on every scan costs no history read. */
  findStuckIncidents(args: FindStuckArgs): Promise<StuckRun[]>;
  /** Reads the run's history (input, thread, last page, the failure) and pages about it. */
  reportStuckIncident(run: StuckRun): Promise<DeliveryResult>;
}
