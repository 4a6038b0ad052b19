import type { Redis, RedisOptions } from 'ioredis';
import { AgentError } from '../contract/errors.js';
import { closeRedis, connectAll, openRedis } from '../adapters/redis/redis-connections.js';
import { guardRedis } from '../adapters/redis/redis-errors.js';
import { RedisScript } from '../adapters/redis/redis-script.js';
import { noopLogger, type Logger } from '../ports/logger.js';
import {
  DEFAULT_REGISTRY_TTL_MS,
  byAgentThenId,
  checkAnnouncement,
  type AgentRegistry,
  type Announcement,
  type Replica,
  type ReplicaAnnouncement,
} from './agent-registry.js';

/** Options of {@link createRedisAgentRegistry}. */
export interface RedisAgentRegistryOptions {
  /** `redis://…` or `rediss://…`. */
  url: string;
  /** First segment of every key; every process of one deployment must share it. Default `sutazai`. */
  prefix?: string;
  /** Lifetime of an entry without heartbeats. Default 10 s. */
  ttlMs?: number;
  /** Time between heartbeats. Default a third of the TTL, so two lost beats in a row are survived. */
  beatMs?: number;
  logger?: Logger;
  /** Longest wait for Redis at start. Default 5 s. */
  connectTimeoutMs?: number;
  /** Longest one registry command may take. Default 2 s. */
  commandTimeoutMs?: number;
  /** Extra ioredis options (TLS material and the like). */
  redisOptions?: RedisOptions;
}

/**
 * Reads the live replicas of the agents given in ARGV[2] (one name, or every agent in the KEYS[1]
 * set when empty) and prunes, in the same atomic step, index members whose entry expired and agents
 * left without members. A heartbeat (an atomic MULTI) runs wholly before or after this script, so
 * pruning never hides a replica that is beating. Entry and index keys are built from ARGV[1], as
 * the keys of an agent are only known once the agents set was read: standalone Redis only.
 */
const LIVE_SCRIPT = new RedisScript(`
local base = ARGV[1]
local agents
if ARGV[2] ~= '' then agents = { ARGV[2] } else agents = redis.call('SMEMBERS', KEYS[1]) end
local out = {}
for _, agent in ipairs(agents) do
  local idx = base .. '.idx:' .. agent
  local alive = 0
  for _, id in ipairs(redis.call('SMEMBERS', idx)) do
    local entry = redis.call('GET', base .. ':' .. agent .. ':' .. id)
    if entry then
      out[#out + 1] = entry
      alive = alive + 1
    else
      redis.call('SREM', idx, id)
    end
  end
  if alive == 0 then redis.call('SREM', KEYS[1], agent) end
end
return out
`);

/** Key layout of the registry under one prefix. */
class RegistryKeys {
  private readonly base: string;

  constructor(prefix: string) {
    this.base = `${prefix}:registry`;
  }

  /** `<prefix>:registry`: the base the live script builds entry and index keys from. */
  get scriptBase(): string {
    return this.base;
  }

  /** Set of agent names that have (or recently had) replicas. */
  get agents(): string {
    return `${this.base}.agents`;
  }

  /** Set of the replica ids of one agent; members whose entry expired are pruned on read. */
  index(agent: string): string {
    return `${this.base}.idx:${agent}`;
  }

  /** String holding one replica's announcement as JSON, with a PX TTL each beat renews. */
  entry(agent: string, replicaId: string): string {
    return `${this.base}:${agent}:${replicaId}`;
  }
}

function parseEntry(raw: unknown): Replica | undefined {
  if (typeof raw !== 'string') return undefined;
  try {
    const v = JSON.parse(raw) as Partial<ReplicaAnnouncement>;
    if (typeof v.agent !== 'string' || typeof v.replica_id !== 'string' || typeof v.url !== 'string') {
      return undefined;
    }
    return {
      agent: v.agent,
      replica_id: v.replica_id,
      url: v.url,
      ...(typeof v.version === 'string' ? { version: v.version } : {}),
      ...(typeof v.started_at === 'string' ? { started_at: v.started_at } : {}),
      ...(typeof v.capability === 'string' ? { capability: v.capability } : {}),
      source: 'announced',
    };
  } catch {
    return undefined;
  }
}

/** One announced replica's heartbeat loop. */
class Heartbeat implements Announcement {
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> = Promise.resolve();
  private stopped = false;
  private failing = false;
  private withdrawing: Promise<void> | undefined;
  private readonly value: string;

  constructor(
    readonly replica: ReplicaAnnouncement,
    private readonly client: Redis,
    private readonly keys: RegistryKeys,
    private readonly ttlMs: number,
    private readonly beatMs: number,
    private readonly logger: Logger,
    private readonly onEnd: (beat: Heartbeat) => void,
  ) {
    this.value = JSON.stringify(replica);
  }

  /** Beats once now, then every `beatMs` until stopped. */
  async start(): Promise<void> {
    await this.beatOnce();
    this.schedule();
  }

  /** Stops beating; the entry stays until its TTL runs out (what a crash looks like). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.inFlight;
    this.onEnd(this);
  }

  withdraw(): Promise<void> {
    this.withdrawing ??= (async () => {
      await this.stop();
      const { agent, replica_id: id } = this.replica;
      await guardRedis('registry withdraw', () =>
        this.client.multi().del(this.keys.entry(agent, id)).srem(this.keys.index(agent), id).exec(),
      );
    })();
    return this.withdrawing;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.beatOnce().finally(() => this.schedule());
    }, this.beatMs);
    this.timer.unref();
  }

  /**
   * Writes the whole entry again (not only its TTL), so an entry lost while Redis was away comes
   * back with the next beat. Failures are logged once per outage; the loop keeps going.
   */
  private beatOnce(): Promise<void> {
    const { agent, replica_id: id } = this.replica;
    this.inFlight = guardRedis('registry heartbeat', () =>
      this.client
        .multi()
        .set(this.keys.entry(agent, id), this.value, 'PX', this.ttlMs)
        .sadd(this.keys.index(agent), id)
        .sadd(this.keys.agents, agent)
        .exec(),
    ).then(
      () => {
        if (this.failing) this.logger.info({ replica_id: id }, 'registry heartbeat restored');
        this.failing = false;
      },
      (err: unknown) => {
        if (!this.failing) this.logger.warn({ err, replica_id: id }, 'registry heartbeat failed; retrying');
        this.failing = true;
      },
    );
    return this.inFlight;
  }
}

/**
 * The agent registry in Redis. Each replica is one string key `<prefix>:registry:<agent>:<id>`
 * holding its announcement, written with a PX TTL by every heartbeat: Redis itself forgets a
 * replica that stopped beating, so a crashed replica disappears within the TTL with no clock
 * shared between machines. Sets index the keys (`<prefix>:registry.idx:<agent>` of replica ids,
 * `<prefix>:registry.agents` of agent names) so reading never SCANs the keyspace; members whose key
 * expired are pruned atomically while reading. Resolves once Redis answered; rejects with
 * `dependency_unavailable` otherwise.
 */
export async function createRedisAgentRegistry(opts: RedisAgentRegistryOptions): Promise<AgentRegistry> {
  const logger = opts.logger ?? noopLogger;
  const ttlMs = opts.ttlMs ?? DEFAULT_REGISTRY_TTL_MS;
  const beatMs = opts.beatMs ?? Math.max(1, Math.floor(ttlMs / 3));
  if (!(ttlMs >= 100) || !(beatMs < ttlMs)) {
    throw new AgentError('internal', {
      detail: `registry heartbeat (${beatMs} ms) must be shorter than its TTL (${ttlMs} ms, at least 100)`,
      retryable: false,
    });
  }
  const keys = new RegistryKeys(opts.prefix ?? 'sutazai');
  const settings = {
    url: opts.url,
    connectTimeoutMs: opts.connectTimeoutMs ?? 5_000,
    commandTimeoutMs: opts.commandTimeoutMs ?? 2_000,
    clientName: `${keys.scriptBase}`,
    logger,
    ...(opts.redisOptions === undefined ? {} : { redisOptions: opts.redisOptions }),
  };
  const client = openRedis(settings, 'command');
  await connectAll([client], settings.connectTimeoutMs);

  const beats = new Set<Heartbeat>();
  let closing: Promise<void> | undefined;
  return {
    name: 'redis',
    ttlMs,
    async announce(replica) {
      checkAnnouncement(replica);
      if (closing) throw new AgentError('shutting_down', { detail: 'the registry is closed' });
      const beat = new Heartbeat({ ...replica }, client, keys, ttlMs, beatMs, logger, (b) => beats.delete(b));
      beats.add(beat);
      await beat.start();
      return beat;
    },
    async live(agent) {
      const raw = await guardRedis('registry read', () =>
        LIVE_SCRIPT.run(client, [keys.agents], [keys.scriptBase, agent ?? '']),
      );
      const out: Replica[] = [];
      for (const entry of Array.isArray(raw) ? (raw as unknown[]) : []) {
        const replica = parseEntry(entry);
        if (replica && (agent === undefined || replica.agent === agent)) out.push(replica);
      }
      return out.sort(byAgentThenId);
    },
    close() {
      closing ??= (async () => {
        await Promise.all([...beats].map((b) => b.stop()));
        await closeRedis(client);
      })();
      return closing;
    },
  };
}
