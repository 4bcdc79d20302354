// LISTEN on a PostgreSQL channel over a connection of its own (a pooled one would be handed to
// queries), reconnecting with backoff when it drops (a restarted embedded Postgres). `onConnect`
// runs on each (re)connection: whatever was notified while it was down is lost, and the caller
// must assume the worst (PostgreSQL documentation, NOTIFY: notifications go only to sessions
// listening at commit time).
import pg from 'pg';

export interface ListenHandlers {
  onMessage(payload: string): void;
  onConnect?(): void;
}

export interface Listener {
  close(): Promise<void>;
}

const MIN_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 30_000;

/** The listening connection's application_name, as pg_stat_activity shows it. */
export const listenerName = (channel: string) => `bonsai-listen-${channel}`;

export function listen(connectionString: string, channel: string, handlers: ListenHandlers): Listener {
  let client: pg.Client | null = null;
  let closed = false;
  let backoff = MIN_BACKOFF_MS;
  let retry: NodeJS.Timeout | undefined;

  const reconnectLater = () => {
    client = null;
    if (closed) return;
    retry = setTimeout(connect, backoff);
    retry.unref();
    backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
  };

  async function connect(): Promise<void> {
    const c = new pg.Client({ connectionString, application_name: listenerName(channel) });
    client = c;
    c.on('error', () => {});
    c.on('end', () => {
      if (client === c) reconnectLater();
    });
    c.on('notification', (n) => {
      if (n.channel === channel) handlers.onMessage(n.payload ?? '');
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
      if (closed) {
        await c.end().catch(() => {});
        return;
      }
      backoff = MIN_BACKOFF_MS;
      handlers.onConnect?.();
    } catch {
      if (client === c) {
        client = null;
        await c.end().catch(() => {});
        reconnectLater();
      }
    }
  }

  void connect();
  return {
    async close() {
      closed = true;
      clearTimeout(retry);
      const c = client;
      client = null;
      await c?.end().catch(() => {});
    },
  };
}
