// Which errors mean "the database is not reachable right now" (503 DATABASE_UNAVAILABLE): the
// messages below are node-postgres's own (pg/lib/client.js, pg-pool), raised without a code when the server
// dies under a query — the case a kill -9 of the embedded Postgres hits when the timing is unlucky.
import { describe, expect, it } from 'vitest';
import { isDatabaseUnavailable } from '../../src/db/unavailable.js';

describe('isDatabaseUnavailable', () => {
  it.each([
    'Connection terminated unexpectedly',
    'Connection terminated',
    'Connection terminated due to connection timeout',
    'Client has encountered a connection error and is not queryable',
  ])('"%s" from node-postgres, bare or as the cause of a wrapping error', (message) => {
    expect(isDatabaseUnavailable(new Error(message))).toBe(true);
    expect(isDatabaseUnavailable(new Error('query failed', { cause: new Error(message) }))).toBe(true);
  });

  it('a query error is not an outage', () => {
    expect(isDatabaseUnavailable(Object.assign(new Error('syntax error at or near "SELEC"'), { code: '42601' }))).toBe(false);
    expect(isDatabaseUnavailable(new Error('Connection terminated by the user: not a pg message'))).toBe(false);
  });
});
