import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { ConfigError } from '../src/errors.js';

describe('configuration', () => {
  it('has defaults a new user can start with', () => {
    const c = loadConfig({});
    expect(c.port).toBe(4000);
    expect(c.databaseUrl).toBeUndefined();
    expect(c.home.endsWith('.bonsai')).toBe(true);
  });

  it('reports every bad variable at once, by name', () => {
    let caught: unknown;
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://localhost/x', LOG_LEVEL: 'loud' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const problems = (caught as ConfigError).problems.join('\n');
    expect(problems).toMatch(/^PORT: .*number/m);
    expect(problems).toMatch(/^DATABASE_URL: must be a postgres/m);
    expect(problems).toMatch(/^LOG_LEVEL: /m);
  });

  it('treats empty variables as unset and splits model roots', () => {
    const c = loadConfig({ PORT: '', BONSAI_MODEL_ROOTS: '/models:/srv/ckpt' });
    expect(c.port).toBe(4000);
    expect(c.modelRoots).toEqual(['/models', '/srv/ckpt']);
  });
});
