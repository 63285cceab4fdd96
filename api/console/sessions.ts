/**
 * Console sessions, in this process's memory: the browser holds only an opaque random id (an
 * httpOnly cookie); the API key it signed in with stays here. A session ends at sign-out, after
 * `idleMs` without a request, after `maxAgeMs` in all, when its key is revoked (checked on every
 * request by the auth plugin's scope check), and when the process restarts (everyone signs in
 * again). With several instances behind a balancer, a session lives on the instance that created
 * it: the balancer must keep a browser on one instance (sticky by source address), or staff sign
 * in again when moved.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Scope } from '../api-keys.ts';

export interface ConsoleSession {
  readonly id: string;
  readonly key: string;
  readonly keyId: string;
  /** The key's name (who signed in, as the administrator named the key). */
  readonly keyName: string;
  readonly scopes: readonly Scope[];
  /** Sent in every form, checked on every POST (with SameSite=Strict: a second line against CSRF). */
  readonly csrf: string;
  readonly createdAt: number;
  lastUsed: number;
  /** One message shown on the next page (what a POST did). */
  flash: { readonly kind: 'ok' | 'error'; readonly text: string } | null;
}

export interface SessionOptions {
  /** A session unused this long ends. Default 30 minutes. */
  readonly idleMs?: number;
  /** A session ends this long after sign-in, used or not. Default 12 hours. */
  readonly maxAgeMs?: number;
  /** At most this many sessions; the least recently used ends first. Default 10 000. */
  readonly maxSessions?: number;
}

export const SESSION_DEFAULTS = { idleMs: 30 * 60_000, maxAgeMs: 12 * 3_600_000, maxSessions: 10_000 } as const;

export class ConsoleSessions {
  /** Insertion order is kept least recently used first (a use moves the entry to the end). */
  private readonly sessions = new Map<string, ConsoleSession>();
  private readonly idleMs: number;
  private readonly maxAgeMs: number;
  private readonly maxSessions: number;

  constructor(
    private readonly now: () => number,
    o: SessionOptions = {},
  ) {
    this.idleMs = o.idleMs ?? SESSION_DEFAULTS.idleMs;
    this.maxAgeMs = o.maxAgeMs ?? SESSION_DEFAULTS.maxAgeMs;
    this.maxSessions = o.maxSessions ?? SESSION_DEFAULTS.maxSessions;
  }

  create(key: string, keyId: string, keyName: string, scopes: readonly Scope[]): ConsoleSession {
    this.sweep();
    while (this.sessions.size >= this.maxSessions) this.sessions.delete(this.sessions.keys().next().value!);
    const now = this.now();
    const s: ConsoleSession = { id: randomBytes(32).toString('base64url'), key, keyId, keyName, scopes, csrf: randomBytes(32).toString('base64url'), createdAt: now, lastUsed: now, flash: null };
    this.sessions.set(s.id, s);
    return s;
  }

  /** The live session of this id (and marks it used), or null. */
  get(id: string | undefined): ConsoleSession | null {
    if (id === undefined || id.length === 0) return null;
    const s = this.sessions.get(id);
    if (s === undefined) return null;
    const now = this.now();
    if (now - s.lastUsed > this.idleMs || now - s.createdAt > this.maxAgeMs) {
      this.sessions.delete(id);
      return null;
    }
    s.lastUsed = now;
    this.sessions.delete(id);
    this.sessions.set(id, s);
    return s;
  }

  end(id: string): void {
    this.sessions.delete(id);
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Constant-time comparison of a presented CSRF token with the session's. */
  static csrfMatches(s: ConsoleSession, presented: unknown): boolean {
    if (typeof presented !== 'string') return false;
    const a = Buffer.from(presented);
    const b = Buffer.from(s.csrf);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  private sweep(): void {
    const now = this.now();
    for (const [id, s] of this.sessions) {
      if (now - s.lastUsed > this.idleMs || now - s.createdAt > this.maxAgeMs) this.sessions.delete(id);
    }
  }
}
