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

  it('reads the remote Bonsai of pull and push: BONSAI_URL (http or https, default the local server) and BONSAI_TOKEN', () => {
    expect(loadConfig({}).remoteUrl).toBe('http://127.0.0.1:4000');
    const c = loadConfig({ BONSAI_URL: 'https://bonsai.example.org/', BONSAI_TOKEN: 'hf_bonsai_x' });
    expect(c.remoteUrl).toBe('https://bonsai.example.org');
    expect(c.remoteToken).toBe('hf_bonsai_x');
    for (const bad of ['ftp://bonsai.example.org', 'bonsai.example.org'])
      expect(() => loadConfig({ BONSAI_URL: bad })).toThrow(/BONSAI_URL: must be an http:\/\/ or https:\/\/ URL/);
  });
});
