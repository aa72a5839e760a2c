import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';
import { KeyError, parseMasterKeys } from './keys.js';

describe('configuration', () => {
  it('reports every wrong value at once, one line each, without echoing keys', () => {
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud', CSME_SESSION_KEY: '', CSME_TRUST_PROXY: 'maybe' });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const problems = (e as ConfigError).problems;
      expect(problems.map((p) => p.split(':')[0])).toEqual(
        expect.arrayContaining(['PORT', 'DATABASE_URL', 'LOG_LEVEL', 'CSME_TRUST_PROXY']),
      );
      expect(problems).toHaveLength(4);
    }
  });

  it('has working defaults for a fresh self-hosted start', () => {
    const c = loadConfig({}, '/srv/csme');
    expect(c.http.port).toBe(8080);
    expect(c.dataDir).toBe('/srv/csme/data');
    expect(c.db.url).toBeNull();
    expect(c.http.publicUrl).toBe('http://localhost:8080');
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('explains a malformed master key ring without printing it', () => {
    expect(() => parseMasterKeys('CSME_MASTER_KEYS', 'k1:c2hvcnQ=')).toThrow(/32 bytes/);
    expect(() => parseMasterKeys('CSME_MASTER_KEYS', 'no-colon')).toThrow(KeyError);
    try {
      parseMasterKeys('CSME_MASTER_KEYS', 'k1:c2hvcnQ=');
    } catch (e) {
      expect((e as Error).message).not.toContain('c2hvcnQ=');
    }
  });

  it("refuses the fault suite's crash points outside tests, so a production process never kills itself", () => {
    expect(() => loadConfig({ NODE_ENV: 'production', CSME_TEST_CRASH_AFTER: '3' })).toThrow(/refused unless NODE_ENV=test/);
    expect(() => loadConfig({ CSME_TEST_CRASH_AFTER: '3' })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: 'test', CSME_TEST_CRASH_AFTER: '3', CSME_TEST_CRASH_POINTS: 'run.nowhere' })).toThrow(
      /not a crash point/,
    );
    expect(loadConfig({}).testCrash).toBeNull();
    expect(loadConfig({ NODE_ENV: 'test', CSME_TEST_CRASH_AFTER: '3', CSME_TEST_CRASH_POINTS: 'run.claimed' }).testCrash).toEqual({
      after: 3,
      points: ['run.claimed'],
      mode: 'kill',
    });
  });
});
