// The keywarden sandbox: a real HTTP endpoint on loopback that unmodified AWS SDK v3 clients talk
// to. Services are found by table (X-Amz-Target prefix for JSON protocols, SigV4 service name for
// query protocols); the control API lives under /_sandbox/.

import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { alarmActions, cloudwatchService, evaluateAlarms } from './cloudwatch.js';
import { faultSettingsSchema, isOperationDenied, networkFault, replaceFaults, shouldThrottle, type FaultSettings } from './faults.js';
import { ec2Service, SANDBOX_DOWN_REGIONS } from './ec2.js';
import { callerCopyEventId, catchUpWorkloads, cloudtrailQualifiedService, cloudtrailService, idFor, openTrail, recordKmsCall, sharedEventIdFor, trailDelivers } from './cloudtrail.js';
import { addressedAccount, decryptRefusalForS3, kmsService, resolvedKeyArn, sweepDeletions } from './kms.js';
import { AccountStores } from './accounts.js';
import { organizationsService } from './organizations.js';
import { QuotaBuckets } from './quotas.js';
import type { LogSink } from './log-sink.js';
import { deliverLogEvents, logsService } from './logs.js';
import { insightsOperations } from './insights.js';
import { AwsError, callerFor, parseAuthorization, xmlEscape, type CallerIdentity, type JsonService, type QueryService, type RequestContext } from './protocol.js';
import { announcePresence } from './presence.js';
import { securityHubService } from './securityhub.js';
import { seedState } from './seed.js';
import { SANDBOX_TIME_HEADER } from '../domain/clock.js';
import { readStateFile, type SandboxState, type Store } from './state.js';
import { addGeneratedKeys, MANAGEMENT_ACCOUNT, ORG_ACCOUNTS, seedMembers } from './organization.js';
import { isSessionToken, sessionCaller, stsService } from './sts.js';
import { isS3Request, serveS3 } from './s3.js';
import { listLogFiles } from './trail-delivery.js';

export type { FaultSettings } from './faults.js';

export interface SandboxOptions {
  host?: string; // default '127.0.0.1'
  port?: number; // default 0 (free port)
  statePath?: string; // persisted state file; undefined = in memory only
  largeEstate?: number; // extra generated customer keys in us-east-1 (benchmarks: 1000, 10000)
  latencyMs?: number; // added delay per request (simulated round trip)
  now?: () => Date; // base clock; default () => new Date()
  lookupEventsPerSecond?: number; // CloudTrail LookupEvents quota before quotaScale; default 2 (AWS's)
  quotaScale?: number; // multiplies every request quota (faults.quotaScale); default 1 (AWS's values)
  regionDown?: string[]; // regions whose KMS refuses every call (fault); default: the opt-in region me-south-1
  workloads?: boolean; // false: the seeded estate's simulated workloads never run (tests that move time a lot and watch only keys they create); default true
  organizationId?: string; // the trail is an organization trail of this organization (o-…): AWSLogs/<org-id>/<account>/… in its bucket; default: an account trail
  orgEstate?: { regions: string[]; perRegion: number }; // benchmarks: that many generated keys in each Region of every active account of the organization (a fresh state only)
}

export interface RequestLogEntry {
  seq: number;
  time: string;
  service: 'kms' | 'sts' | string;
  operation: string;
  region: string;
  caller: string;
  params: unknown;
  status: number;
  errorCode?: string;
  /** A network fault injected on this call: 'reset' / 'hang' (not run), 'reset-after' / 'hang-after' (run, then no answer). */
  fault?: 'reset' | 'hang' | 'reset-after' | 'hang-after';
  /** When the request arrived, in real milliseconds since the epoch (Date.now(); not the sandbox clock): for measuring request rates. */
  receivedAt: number;
}

export interface Sandbox {
  url: string; // e.g. 'http://127.0.0.1:40123'
  port: number;
  close(): Promise<void>;
  faults: FaultSettings; // mutable; also settable over HTTP
  requests(): RequestLogEntry[]; // every request served, in order
  clearRequests(): void;
  advanceClock(seconds: number): void; // sandbox time moves forward (for waiting periods)
  /** Sandbox time: the base clock plus every advance. */
  now(): Date;
  /**
   * The log files the trail has delivered to its bucket (the management account's), in key order,
   * those whose key starts with `prefix`: what `aws s3 sync` of the bucket would write, without
   * the S3 round trips (tests and benchmarks that need a local copy of a year of them).
   */
  trailLogFiles(prefix?: string): Iterable<{ key: string; body: Buffer; deliveredAt: number }>;
  reset(): Promise<void>; // back to the seeded estate (and persist)
}

/** JSON-protocol services by X-Amz-Target prefix. CloudTrail, Logs and CloudWatch add theirs here. */
const JSON_SERVICES: JsonService[] = [kmsService, { ...logsService, operations: { ...logsService.operations, ...insightsOperations } }, cloudwatchService, cloudtrailService, cloudtrailQualifiedService, securityHubService, organizationsService];
/** restJson1 services by SigV4 service name: the operation comes from the method and path. */
const REST_JSON_SERVICES: Record<string, JsonService & { routes: Record<string, string> }> = { securityhub: securityHubService };
/** Query-protocol services by SigV4 service name. */
const QUERY_SERVICES: Record<string, QueryService> = { sts: stsService, ec2: ec2Service };

/** The request log keeps at most this many entries (oldest dropped first). */
const REQUEST_LOG_LIMIT = 200_000;
const THROTTLE_MESSAGE = 'You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls.';
const REGION_DOWN_MESSAGE = 'The security token included in the request is invalid.';

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const baseNow = options.now ?? (() => new Date());
  const accounts = new AccountStores(options.statePath);
  const store = accounts.management;
  const existing = options.statePath ? await readStateFile(options.statePath) : undefined;
  if (existing) {
    if (accounts.load(existing)) await store.flush();
  } else {
    accounts.load(withOrgEstate(seedState(baseNow().getTime(), options.largeEstate ?? 0), options.orgEstate));
    store.touch();
    await store.flush();
  }

  // One trail per account: the management account's next to the state file, as before; each member's beside it.
  const trailFile = (account: string) => (options.statePath ? { file: account === store.account ? `${options.statePath}.cloudtrail.jsonl` : `${options.statePath}.${account}.cloudtrail.jsonl` } : {});
  const trails = await Promise.all(accounts.all().map((s) => openTrail(s, { ...trailFile(s.account), ...(options.organizationId ? { organizationId: options.organizationId } : {}) })));
  const trail = { flush: () => Promise.all(trails.map((t) => t.flush())), reset: () => Promise.all(trails.map((t) => t.reset())) };
  const quotas = new QuotaBuckets();
  const regionDown = options.regionDown ?? [...SANDBOX_DOWN_REGIONS];
  const faults: FaultSettings = {
    ...(options.latencyMs ? { latencyMs: options.latencyMs } : {}),
    ...(regionDown.length > 0 ? { regionDown } : {}),
    ...(options.quotaScale !== undefined ? { quotaScale: options.quotaScale } : {}),
  };
  let log: RequestLogEntry[] = [];
  let seq = 0;
  const deliverLogsBySink = new Map<Store, LogSink>();
  /** Where the trail of `target`'s account delivers (its own log group). */
  const deliverLogsFor = (target: Store): LogSink => {
    let sink = deliverLogsBySink.get(target);
    if (!sink) deliverLogsBySink.set(target, (sink = makeDeliverLogs(target)));
    return sink;
  };
  const makeDeliverLogs = (store: Store): LogSink => (delivery) => {
    // The trail delivers only while logging, and only the events its selectors include.
    const trail = store.state.trail;
    if (!trail.logging || !trail.includeManagementEvents) return;
    const events = delivery.events.filter((event) => {
      if (trail.readWriteType === 'All' && trail.excludeManagementEventSources.length === 0) return true;
      try {
        return trailDelivers(trail, JSON.parse(event.message) as { eventSource?: unknown; readOnly?: unknown });
      } catch {
        return true;
      }
    });
    if (events.length > 0) deliverLogEvents(store, { ...delivery, events }, now().getTime());
  };
  const sinkOfAccount = (account: string): LogSink | undefined => {
    const target = accounts.of(account);
    return target ? deliverLogsFor(target) : undefined;
  };
  const now = (): Date => new Date(baseNow().getTime() + store.state.clockOffsetSeconds * 1000);

  function record(entry: Omit<RequestLogEntry, 'seq' | 'time'>): void {
    seq += 1;
    log.push({ seq, time: now().toISOString(), ...entry });
    if (log.length > REQUEST_LOG_LIMIT) log = log.slice(log.length - REQUEST_LOG_LIMIT / 2);
  }

  async function advance(seconds: number): Promise<void> {
    store.state.clockOffsetSeconds += seconds;
    store.touchState();
    for (const each of accounts.all()) sweepDeletions(each, now().getTime());
    // Workload calls that fell due run (and reach the trail's log group) before alarms are evaluated.
    if (options.workloads !== false) {
      for (const each of accounts.all()) catchUpWorkloads({ region: 'us-east-1', caller: callerFor(''), requestId: randomUUID(), operation: 'AdvanceClock', now, store: each, accounts, faults, deliverLogs: deliverLogsFor(each), deliverLogsFor: sinkOfAccount });
    }
    for (const each of accounts.all()) evaluateAlarms(each, now().getTime());
    await Promise.all([store.flush(), trail.flush()]);
  }

  async function reset(): Promise<void> {
    accounts.load(seedState(baseNow().getTime(), options.largeEstate ?? 0));
    store.touch();
    await store.flush();
    await trail.reset();
  }

  async function handleControl(req: IncomingMessage, res: ServerResponse, path: string, body: string): Promise<void> {
    const send = (status: number, value: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    const parse = (): unknown => (body.trim() === '' ? {} : JSON.parse(body));
    try {
      const route = `${req.method} ${path}`;
      switch (route) {
        case 'GET /_sandbox/health':
          return send(200, { ok: true });
        case 'GET /_sandbox/requests':
          return send(200, log);
        case 'DELETE /_sandbox/requests':
          log = [];
          return send(200, { ok: true });
        case 'GET /_sandbox/faults':
          return send(200, faults);
        case 'PUT /_sandbox/faults': {
          const parsed = faultSettingsSchema.safeParse(parse());
          if (!parsed.success) return send(400, { error: `invalid fault settings: ${parsed.error.issues[0]?.message ?? 'invalid'}` });
          replaceFaults(faults, parsed.data as FaultSettings);
          return send(200, faults);
        }
        case 'POST /_sandbox/clock': {
          const advanceSeconds = (parse() as { advanceSeconds?: unknown }).advanceSeconds;
          if (typeof advanceSeconds !== 'number' || !Number.isFinite(advanceSeconds) || advanceSeconds < 0) {
            return send(400, { error: 'advanceSeconds must be a non-negative number' });
          }
          await advance(advanceSeconds);
          return send(200, { now: now().toISOString() });
        }
        case 'GET /_sandbox/clock':
          // pid: `keywarden sandbox clock` checks that the server at a recorded URL is the recorded process.
          return send(200, { now: now().toISOString(), offsetSeconds: store.state.clockOffsetSeconds, pid: process.pid });
        case 'GET /_sandbox/alarm-actions':
          return send(200, alarmActions(store));
        case 'POST /_sandbox/reset':
          await reset();
          return send(200, { ok: true });
        default:
          return send(404, { error: `no control route ${route}` });
      }
    } catch (error) {
      return send(400, { error: (error as Error).message });
    }
  }

  function sendJsonError(res: ServerResponse, service: JsonService | undefined, requestId: string, error: AwsError): void {
    res.writeHead(error.status, {
      'Content-Type': service?.contentType ?? 'application/x-amz-json-1.1',
      'x-amzn-RequestId': requestId,
      'x-amzn-ErrorType': error.code,
      ...(error as AwsError & { headers?: Record<string, string> }).headers, // x-amzn-query-error (CloudWatch)
    });
    // Some errors carry members of their own (MalformedQueryException's queryCompileError).
    const fields = (error as AwsError & { fields?: Record<string, unknown> }).fields;
    res.end(JSON.stringify({ __type: error.code, message: error.message, ...fields }));
  }

  async function handleJson(req: IncomingMessage, res: ServerResponse, target: string, body: string, requestId: string): Promise<void> {
    const service = JSON_SERVICES.find((s) => target.startsWith(s.targetPrefix));
    const operation = service ? target.slice(service.targetPrefix.length) : target;
    const scope = parseAuthorization(req.headers.authorization, service?.name ?? 'unknown');
    let caller: CallerIdentity;
    let callerError: AwsError | undefined;
    try {
      caller = identify(req, scope.accessKeyId, 'json');
    } catch (error) {
      if (!(error instanceof AwsError)) throw error;
      callerError = error;
      caller = callerFor(scope.accessKeyId);
    }
    let params: Record<string, unknown>;
    const entry = { service: service?.name ?? scope.service, operation, region: scope.region, caller: caller.arn, params: {} as unknown, receivedAt: arrivals.get(req) ?? Date.now() };
    const fail = (error: AwsError) => {
      record({ ...entry, status: error.status, errorCode: error.code });
      sendJsonError(res, service, requestId, error);
    };
    if (!service || !Object.hasOwn(service.operations, operation)) {
      return fail(new AwsError('UnknownOperationException', service ? `Unknown operation ${operation}` : `Unknown target ${target}`));
    }
    try {
      const parsed: unknown = body.trim() === '' ? {} : JSON.parse(body);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
      params = parsed as Record<string, unknown>;
    } catch {
      return fail(new AwsError('SerializationException', 'Start of structure or map found where not expected.'));
    }
    entry.params = loggedParams(params);
    if (callerError) return fail(callerError);
    if (service === kmsService && faults.regionDown?.includes(scope.region)) return fail(new AwsError('UnrecognizedClientException', REGION_DOWN_MESSAGE));
    if (shouldThrottle(faults, service.name, operation)) return fail(new AwsError('ThrottlingException', THROTTLE_MESSAGE));
    // Every request counts toward its quota before it is looked at, as in AWS (quotas.ts).
    if (!quotas.take({ account: caller.account, region: scope.region, service: service.name, operation }, faults, options.lookupEventsPerSecond)) {
      return fail(service.throttled?.() ?? new AwsError('ThrottlingException', service === kmsService ? THROTTLE_MESSAGE : 'Rate exceeded'));
    }
    if (isOperationDenied(faults, operation)) return fail(operationDenied(service, caller.arn, operation));
    const network = networkFault(faults, operation);
    if (network?.kind === 'server-error') return fail(serverError(service, network.status));
    if (network && !network.after) {
      // Not run, not answered: a reset closes the socket now; a hang leaves it open until the client gives up.
      record({ ...entry, status: 0, fault: network.kind });
      if (network.kind === 'reset') req.socket.destroy();
      return;
    }
    // The store of the account the request addresses: a key ARN's account for KMS, else the caller's own.
    const home = accounts.of(caller.account) ?? store;
    const addressed = service === kmsService ? (accounts.of(addressedAccount(caller.account, operation, params)) ?? home) : home;
    const ctx: RequestContext = { region: scope.region, caller, requestId, operation, now, store: addressed, accounts, faults, deliverLogs: deliverLogsFor(addressed), deliverLogsFor: sinkOfAccount };
    // A cross-account KMS call is logged in the key owner's trail and in the caller's; one refused
    // for access only in the caller's (KMS developer guide, "Logging AWS KMS API calls with AWS
    // CloudTrail": "cross-account AWS KMS requests that are rejected because access is denied are
    // logged only in the caller's account").
    // Both copies carry the request's requestID; each has its own eventID and, when both are
    // delivered, the same sharedEventID (CloudTrail User Guide, "Example sharedEventID").
    const recordIn = (outcome: Parameters<typeof recordKmsCall>[2]) => {
      const crossAccount = addressed !== home;
      const both = crossAccount && outcome.error?.code !== 'AccessDeniedException';
      const shared = both ? { sharedEventId: sharedEventIdFor(requestId) } : {};
      if (!crossAccount || both) recordKmsCall(ctx, params, outcome, callMeta(req), shared);
      if (crossAccount) recordKmsCall({ ...ctx, store: home, deliverLogs: deliverLogsFor(home) }, params, outcome, callMeta(req), { eventId: callerCopyEventId(ctx.eventId ?? idFor(`event/${requestId}`), home.account), ...shared });
    };
    let result: unknown;
    try {
      for (const each of accounts.all()) sweepDeletions(each, now().getTime());
      if (options.workloads !== false) for (const each of accounts.all()) catchUpWorkloads({ ...ctx, store: each, deliverLogs: deliverLogsFor(each) });
      for (const each of accounts.all()) evaluateAlarms(each, now().getTime());
      result = await service.operations[operation]!(ctx, params);
      if (service === kmsService) recordIn({ result, keyArn: resolvedKeyArn(ctx) });
    } catch (error) {
      if (service === kmsService && error instanceof AwsError) {
        recordIn({ error: { code: error.code, message: error.message }, keyArn: resolvedKeyArn(ctx) });
      }
      await Promise.all([store.flush().catch(() => undefined), trail.flush().catch(() => undefined)]); // lazy changes (deletions, rotations) before the error
      if (error instanceof AwsError) return fail(error);
      return fail(new AwsError('KMSInternalException', `Internal error: ${(error as Error).message}`, 500));
    }
    try {
      await Promise.all([store.flush(), trail.flush()]);
    } catch (error) {
      return fail(new AwsError('KMSInternalException', `Could not save the sandbox state: ${(error as Error).message}`, 500));
    }
    if (network) {
      // The call ran and its change is saved, but the answer never arrives.
      record({ ...entry, status: 200, fault: network.kind === 'reset' ? 'reset-after' : 'hang-after' });
      if (network.kind === 'reset') req.socket.destroy();
      return;
    }
    record({ ...entry, status: 200 });
    res.writeHead(200, { 'Content-Type': service.contentType, 'x-amzn-RequestId': requestId });
    res.end(JSON.stringify(result ?? {}));
  }

  function handleQuery(req: IncomingMessage, res: ServerResponse, body: string, requestId: string): void {
    const form = new URLSearchParams(body);
    const params = Object.fromEntries(form.entries());
    const action = params.Action ?? '';
    const scope = parseAuthorization(req.headers.authorization, 'sts');
    const service = QUERY_SERVICES[scope.service] ?? QUERY_SERVICES.sts!;
    let caller: CallerIdentity;
    let callerError: AwsError | undefined;
    try {
      caller = identify(req, scope.accessKeyId, 'query');
    } catch (error) {
      if (!(error instanceof AwsError)) throw error;
      callerError = error;
      caller = callerFor(scope.accessKeyId);
    }
    const entry = { service: service.name, operation: action, region: scope.region, caller: caller.arn, params, receivedAt: arrivals.get(req) ?? Date.now() };
    const handler = Object.hasOwn(service.operations, action) ? service.operations[action] : undefined;
    const throttled = handler && shouldThrottle(faults, service.name, action);
    if (!handler || throttled) {
      const code = throttled ? 'Throttling' : 'InvalidAction';
      const message = throttled ? 'Rate exceeded' : `Could not find operation ${action} for version ${params.Version ?? ''}`;
      record({ ...entry, status: 400, errorCode: code });
      res.writeHead(400, { 'Content-Type': 'text/xml', 'x-amzn-RequestId': requestId });
      if (service.ec2Protocol) {
        res.end(`<Response><Errors><Error><Code>${throttled ? 'RequestLimitExceeded' : code}</Code><Message>${xmlEscape(message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`);
        return;
      }
      res.end(
        `<ErrorResponse xmlns="${service.xmlNamespace}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
      );
      return;
    }
    const home = accounts.of(caller.account) ?? store;
    const ctx: RequestContext = { region: scope.region, caller, requestId, operation: action, now, store: home, accounts, faults, deliverLogs: deliverLogsFor(home) };
    let inner: string;
    try {
      if (callerError) throw callerError;
      inner = handler(ctx, params);
    } catch (error) {
      if (!(error instanceof AwsError)) throw error;
      record({ ...entry, status: error.status, errorCode: error.code });
      res.writeHead(error.status, { 'Content-Type': 'text/xml', 'x-amzn-RequestId': requestId });
      if (service.ec2Protocol) {
        res.end(`<Response><Errors><Error><Code>${error.code}</Code><Message>${xmlEscape(error.message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`);
        return;
      }
      res.end(`<ErrorResponse xmlns="${service.xmlNamespace}"><Error><Type>Sender</Type><Code>${error.code}</Code><Message>${xmlEscape(error.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`);
      return;
    }
    record({ ...entry, status: 200 });
    res.writeHead(200, { 'Content-Type': 'text/xml', 'x-amzn-RequestId': requestId });
    if (service.ec2Protocol) {
      res.end(`<${action}Response xmlns="${service.xmlNamespace}"><requestId>${requestId}</requestId>${inner}</${action}Response>`);
      return;
    }
    res.end(
      `<${action}Response xmlns="${service.xmlNamespace}"><${action}Result>${inner}</${action}Result><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`,
    );
  }

  /** S3 (REST-XML): found by its SigV4 service name or a bucket's virtual host (s3.ts). */
  async function handleS3(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    const scope = parseAuthorization(req.headers.authorization, 's3');
    const caller = identify(req, scope.accessKeyId, 'json');
    const receivedAt = arrivals.get(req) ?? Date.now();
    // The buckets are the management account's (its trail delivers there).
    const ctx: RequestContext = { region: scope.region, caller, requestId, operation: 'S3', now, store, accounts, faults, deliverLogs: deliverLogsFor(store), deliverLogsFor: sinkOfAccount };
    // The trail's files are rendered from its events: the workloads' calls that fell due come first.
    for (const each of accounts.all()) sweepDeletions(each, now().getTime());
    if (options.workloads !== false) for (const each of accounts.all()) catchUpWorkloads({ ...ctx, store: each, deliverLogs: deliverLogsFor(each) });
    let network: ReturnType<typeof networkFault>;
    const answer = serveS3({
      method: req.method ?? 'GET',
      host: req.headers.host ?? '',
      url: req.url ?? '/',
      headers: req.headers,
      region: scope.region,
      caller,
      requestId,
      now,
      store,
      takeQuota: (bucket, operation) => quotas.take({ account: bucket, region: '', service: 's3', operation }, faults),
      fault: (operation) => {
        network = networkFault(faults, operation);
        return {
          throttle: shouldThrottle(faults, 's3', operation),
          denied: isOperationDenied(faults, operation),
          ...(network?.kind === 'server-error' ? { serverError: network.status } : {}),
        };
      },
      kmsDecrypt: (keyArn, encryptionContext) => decryptRefusalForS3(ctx, keyArn, encryptionContext),
      objectFault: (key) => ({
        denied: (faults.accessDenied ?? []).some((rule) => rule.key === key && (!rule.operations || rule.operations.includes('GetObject'))),
        truncated: faults.truncatedObjects?.includes(key) ?? false,
      }),
    });
    await Promise.all([store.flush().catch(() => undefined), trail.flush().catch(() => undefined)]);
    const entry = { service: 's3', operation: answer.operation, region: scope.region, caller: caller.arn, params: answer.params, receivedAt };
    if (network && network.kind !== 'server-error') {
      // A read: run or not, the answer never arrives.
      record({ ...entry, status: 0, fault: network.kind });
      if (network.kind === 'reset') req.socket.destroy();
      return;
    }
    record({ ...entry, status: answer.status, ...(answer.errorCode ? { errorCode: answer.errorCode } : {}) });
    res.writeHead(answer.status, answer.headers);
    res.end(answer.body);
  }

  /**
   * Who signed a request: a session of STS AssumeRole (its `X-Amz-Security-Token`, checked and
   * possibly expired: sts.ts), else a seeded caller by access key (principals.ts).
   */
  function identify(req: IncomingMessage, accessKeyId: string, style: 'json' | 'query'): CallerIdentity {
    const token = req.headers['x-amz-security-token'];
    if (typeof token === 'string' && isSessionToken(token)) return sessionCaller(token, accessKeyId, store.state.secret, now().getTime(), style);
    return callerFor(accessKeyId);
  }

  /** When each request arrived (before any injected latency): RequestLogEntry.receivedAt. */
  const arrivals = new WeakMap<IncomingMessage, number>();
  const server = createServer((req, res) => {
    arrivals.set(req, Date.now());
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const path = (req.url ?? '/').split('?')[0]!;
      const requestId = randomUUID();
      // Every answer carries the sandbox's time: keywarden's clock follows it (src/domain/clock.ts).
      res.setHeader(SANDBOX_TIME_HEADER, now().toISOString());
      void (async () => {
        if (path.startsWith('/_sandbox/')) return handleControl(req, res, path, body);
        if (faults.latencyMs) await delay(faults.latencyMs);
        const target = req.headers['x-amz-target'];
        if (typeof target === 'string') return handleJson(req, res, target, body, requestId);
        const rest = REST_JSON_SERVICES[parseAuthorization(req.headers.authorization, '').service];
        if (rest) {
          const operation = rest.routes[`${req.method ?? ''} ${path}`];
          return handleJson(req, res, `${rest.targetPrefix}${operation ?? `${req.method ?? ''} ${path}`}`, body, requestId);
        }
        if (isS3Request(parseAuthorization(req.headers.authorization, '').service, req.headers.host)) return handleS3(req, res, requestId);
        if (req.method === 'POST' && String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
          return handleQuery(req, res, body, requestId);
        }
        sendJsonError(res, undefined, requestId, new AwsError('UnknownOperationException', 'Missing X-Amz-Target header'));
      })().catch((error: unknown) => {
        if (!res.headersSent) sendJsonError(res, undefined, requestId, new AwsError('InternalFailure', String(error), 500));
        else res.end();
      });
    });
  });

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const url = `http://${urlHost}:${port}`;
  // Where this sandbox listens, next to its state file, so `keywarden sandbox clock` reaches it.
  const leave = options.statePath ? await announcePresence(options.statePath, url) : undefined;

  return {
    url,
    port,
    faults,
    requests: () => [...log],
    clearRequests: () => {
      log = [];
    },
    advanceClock: (seconds: number) => {
      // The clock and the deletion sweep change at once; the save follows in the background.
      advance(seconds).catch(() => undefined);
    },
    now,
    trailLogFiles: (prefix = '') => listLogFiles(trails.find((t) => t.store === store)!, now().getTime(), prefix, ''),
    reset,
    close: async () => {
      await leave?.();
      await Promise.all([store.flush(), trail.flush()]);
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}

/** Where a call came from, for its CloudTrail record. */
function callMeta(req: IncomingMessage): { sourceIp?: string; userAgent?: string } {
  const address = req.socket.remoteAddress?.replace(/^::ffff:/, '');
  const agent = req.headers['user-agent'];
  return { ...(address ? { sourceIp: address } : {}), ...(typeof agent === 'string' ? { userAgent: agent } : {}) };
}

/** The `serverError` fault's answer: KMS's modeled 500, or the generic AWS ones. */
function serverError(service: JsonService, status: 500 | 503): AwsError {
  if (status === 503) return new AwsError('ServiceUnavailable', 'Service is unavailable. Try again later.', 503);
  if (service === kmsService) return new AwsError('KMSInternalException', 'An internal error occurred. Try again later.', 500);
  return new AwsError('InternalFailure', 'The request processing has failed because of an unknown error, exception or failure.', 500);
}

/** The `accessDenied` fault without a key: an identity policy that does not allow the action. */
function operationDenied(service: JsonService, callerArn: string, operation: string): AwsError {
  const prefix = service.name === 'monitoring' ? 'cloudwatch' : service.name;
  const message = `User: ${callerArn} is not authorized to perform: ${prefix}:${operation} because no identity-based policy allows the ${prefix}:${operation} action`;
  if (service.name !== 'monitoring') return new AwsError('AccessDeniedException', message);
  // CloudWatch is query-compatible: the SDK reads the awsQuery code from this header.
  return Object.assign(new AwsError('AccessDenied', message, 403), { headers: { 'x-amzn-query-error': 'AccessDenied;Sender' } });
}

/** Plaintext never reaches the request log. */
function loggedParams(params: Record<string, unknown>): Record<string, unknown> {
  if (!('Plaintext' in params)) return params;
  const { Plaintext: _plaintext, ...rest } = params;
  return { ...rest, Plaintext: '<redacted>' };
}

/** The seeded state with `orgEstate`'s generated keys in every active account (members seeded first). */
function withOrgEstate(state: SandboxState, estate: SandboxOptions['orgEstate']): SandboxState {
  if (!estate) return state;
  seedMembers(state.members, state.seededAt);
  for (const account of ORG_ACCOUNTS) {
    if (account.status !== 'ACTIVE') continue;
    const target = account.id === MANAGEMENT_ACCOUNT ? state : state.members[account.id];
    if (target) addGeneratedKeys(target, account.id === MANAGEMENT_ACCOUNT ? undefined : account.id, estate.regions, estate.perRegion, state.seededAt);
  }
  return state;
}
