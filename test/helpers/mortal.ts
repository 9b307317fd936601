// A process that can be killed between any two of its I/O operations, simulated faithfully in
// process. Everything a retirement driver does outside itself goes through three doors: the SDK
// clients' request handlers (AWS), the audit journal and the retirement record store (disk). A
// `Mortal` wraps all three and counts each request and each write. At the chosen one the process
// dies: the request is either not sent, or sent and its answer lost (a write: not written, or
// written and the process dies right after). From that instant nothing of this driver instance
// reaches AWS or disk, and nothing comes back to it — every later I/O, and every answer still in
// flight, is a promise that never settles, so no catch or finally block after the kill has any
// effect. A fresh driver over the same data directory is the restarted process.

import type { Clients } from '../../src/aws/clients.js';
import type { Journal } from '../../src/journal/journal.js';
import type { RetirementStore } from '../../src/journal/retirements.js';

export interface KillPoint {
  /** The n-th I/O operation (1-based: requests and disk writes, in the order they are started)… */
  at?: number;
  /** …or the first one named so ("kms:DisableKey", "store:save"). */
  on?: string;
  /** true: the request is sent (the write made) and the process dies before the answer; false: it dies before sending. */
  lost: boolean;
}

/** What was killed, for the sequence's log. */
export interface Death {
  at: number;
  what: string;
  lost: boolean;
}

const never = <T>(): Promise<T> => new Promise<T>(() => undefined);

/** Journal and store methods that change the disk. */
const WRITES = new Set(['recordIntent', 'recordResult', 'save', 'remove']);

export class Mortal {
  private count = 0;
  private point: { at?: number; on?: string; lost: boolean } | undefined;
  private dead: Death | undefined;
  private resolveDeath!: (death: Death) => void;
  /** Settles when the process dies. */
  readonly died: Promise<Death>;
  /** Every I/O operation, in order ("kms:DisableKey", "journal:recordIntent" …). */
  readonly operations: string[] = [];

  constructor() {
    this.died = new Promise<Death>((resolve) => {
      this.resolveDeath = resolve;
    });
  }

  get isDead(): boolean {
    return this.dead !== undefined;
  }

  get death(): Death | undefined {
    return this.dead;
  }

  /** Arms the kill at `point` (counted from now), or disarms it. */
  arm(point: KillPoint | undefined): void {
    this.point = point ? { ...(point.at !== undefined ? { at: this.count + point.at } : {}), ...(point.on !== undefined ? { on: point.on } : {}), lost: point.lost } : undefined;
  }

  private die(what: string, lost: boolean): void {
    if (this.dead) return;
    this.dead = { at: this.count, what, lost };
    this.resolveDeath(this.dead);
  }

  /** One I/O operation of this process: counted when `counted`; after the kill, nothing happens and nothing returns. */
  io<T>(what: string, counted: boolean, op: () => Promise<T>): Promise<T> {
    if (this.dead) return never();
    if (counted) {
      this.count += 1;
      this.operations.push(what);
      if (this.point && (this.count === this.point.at || what === this.point.on)) {
        if (!this.point.lost) {
          this.die(what, false);
          return never();
        }
        // Sent (written); the process dies before it learns the outcome.
        const settle = () => {
          this.die(what, true);
          return never<T>();
        };
        return op().then(settle, settle);
      }
    }
    return op().then(
      (value) => (this.dead ? never<T>() : value),
      (error: unknown) => (this.dead ? never<T>() : Promise.reject(error)),
    );
  }

  /** `clients` with every SDK client's request handler going through this process. */
  clients(clients: Clients): Clients {
    const seen = new WeakSet<object>();
    const wrap = <C extends { config: { requestHandler: unknown } }>(client: C, service: string): C => {
      if (seen.has(client)) return client;
      seen.add(client);
      const handler = client.config.requestHandler as { handle: (request: { headers: Record<string, string>; body?: unknown }, options?: unknown) => Promise<unknown> };
      const inner = handler.handle.bind(handler);
      handler.handle = (request, options) => {
        const target = request.headers['x-amz-target'] ?? request.headers['X-Amz-Target'];
        const operation = typeof target === 'string' ? target.split('.').pop()! : /Action=([A-Za-z]+)/.exec(String(request.body ?? ''))?.[1] ?? '?';
        return this.io(`${service}:${operation}`, true, () => inner(request, options));
      };
      return client;
    };
    return {
      regions: clients.regions,
      readOnly: clients.readOnly,
      kms: (region) => wrap(clients.kms(region), 'kms'),
      cloudtrail: (region) => wrap(clients.cloudtrail(region), 'cloudtrail'),
      logs: (region) => wrap(clients.logs(region), 'logs'),
      cloudwatch: (region) => wrap(clients.cloudwatch(region), 'cloudwatch'),
      securityHub: (region) => wrap(clients.securityHub(region), 'securityhub'),
      s3: (region) => wrap(clients.s3(region), 's3'),
      sts: () => wrap(clients.sts(), 'sts'),
      now: () => clients.now(),
      onRetry: (listener) => clients.onRetry(listener),
      destroy: () => clients.destroy(),
    };
  }

  /** A journal or record store whose every call goes through this process (writes are counted kill points). */
  files<T extends Journal | RetirementStore>(target: T, name: string): T {
    return new Proxy(target, {
      get: (obj, prop, receiver) => {
        const value = Reflect.get(obj, prop, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => this.io(`${name}:${String(prop)}`, WRITES.has(String(prop)), async () => (value as (...a: unknown[]) => unknown).apply(obj, args));
      },
    });
  }
}
