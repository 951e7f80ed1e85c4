import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Type from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from './config-error.js';
import { loadConfig, parsePath, type LoadConfigOptions } from './load-config.js';
import { Duration, Size } from './units.js';

const Pool = Type.Object(
  { type: Type.String(), max: Type.Integer({ minimum: 0 }), tags: Type.Optional(Type.Array(Type.String())) },
  { additionalProperties: false },
);
const Schema = Type.Object(
  {
    name: Type.String(),
    level: Type.Union([Type.Literal('debug'), Type.Literal('info'), Type.Literal('warn')], { default: 'info' }),
    timeout: Duration({ default: 5_000 }),
    disk: Size({ default: 0 }),
    server: Type.Object(
      {
        host: Type.String({ default: '127.0.0.1' }),
        port: Type.Integer({ minimum: 1, maximum: 65535, default: 4222 }),
      },
      { additionalProperties: false, default: {} },
    ),
    pools: Type.Array(Pool, { default: [] }),
    secret: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hearth-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Writes one YAML fixture and returns its path. */
async function fixture(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

/** Loads a fixture with Schema. */
async function load(name: string, yaml: string, options: Omit<LoadConfigOptions, 'path'> = {}) {
  return loadConfig(Schema, { ...options, path: await fixture(name, yaml) });
}

/** The ConfigError `run` throws (fails the test when it throws something else or nothing). */
async function configError(run: () => unknown): Promise<ConfigError> {
  try {
    await run();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError, but loading succeeded');
}

describe('loadConfig: values', () => {
  it('fills every default the file leaves out', async () => {
    const config = await load('defaults.yaml', 'name: lab\n');
    expect(config).toEqual({
      name: 'lab',
      level: 'info',
      timeout: 5_000,
      disk: 0,
      server: { host: '127.0.0.1', port: 4222 },
      pools: [],
    });
  });

  it('builds the config from defaults and overrides alone when there is no file', () => {
    expect(loadConfig(Schema, { set: ['name=x'] }).server.port).toBe(4222);
  });

  it('turns durations into milliseconds and sizes into bytes', async () => {
    const config = await load('units.yaml', 'name: x\ntimeout: 90s\ndisk: 2GiB\n');
    expect(config.timeout).toBe(90_000);
    expect(config.disk).toBe(2 * 1024 ** 3);
  });

  it('returns a deeply frozen object', async () => {
    const config = await load('frozen.yaml', 'name: x\npools:\n  - type: gpu\n    max: 2\n    tags: [a]\n');
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.server)).toBe(true);
    expect(Object.isFrozen(config.pools)).toBe(true);
    expect(Object.isFrozen(config.pools[0])).toBe(true);
    expect(Object.isFrozen(config.pools[0]?.tags)).toBe(true);
    expect(Reflect.set(config.server, 'port', 1)).toBe(false);
    expect(config.server.port).toBe(4222);
  });
});

describe('loadConfig: units inside unions', () => {
  const Boot = Type.Union([
    Type.Object({ distribution: Type.Literal('fixed'), meanMs: Duration() }, { additionalProperties: false }),
    Type.Object({ distribution: Type.Literal('uniform'), minMs: Duration(), maxMs: Duration() }, { additionalProperties: false }),
  ]);
  const WithBoot = Type.Object({ boot: Boot }, { additionalProperties: false });

  it('converts durations in the union branch the value names', async () => {
    const fixed = loadConfig(WithBoot, { path: await fixture('u1.yaml', 'boot:\n  distribution: fixed\n  meanMs: 45s\n') });
    expect(fixed.boot).toEqual({ distribution: 'fixed', meanMs: 45_000 });
    const uniform = loadConfig(WithBoot, { path: await fixture('u2.yaml', 'boot:\n  distribution: uniform\n  minMs: 1s\n  maxMs: 2m\n') });
    expect(uniform.boot).toEqual({ distribution: 'uniform', minMs: 1_000, maxMs: 120_000 });
  });
});

describe('loadConfig: references', () => {
  it('replaces ${env:NAME} with the variable, inside longer text too', async () => {
    const config = await load('env.yaml', 'name: lab-${env:SITE}\nsecret: ${env:TOKEN}\n', {
      env: { SITE: 'north', TOKEN: 's3cret' },
    });
    expect(config.name).toBe('lab-north');
    expect(config.secret).toBe('s3cret');
  });

  it('uses the fallback of ${env:NAME:-fallback} only when the variable is unset', async () => {
    const yaml = 'name: ${env:SITE:-south}\nsecret: ${env:URL:-nats://h:-1}\n';
    expect((await load('fallback.yaml', yaml)).name).toBe('south');
    expect((await load('fallback.yaml', yaml)).secret).toBe('nats://h:-1');
    expect((await load('fallback.yaml', yaml, { env: { SITE: 'east' } })).name).toBe('east');
  });

  it('gives a number or boolean setting its type when it comes from a reference', async () => {
    const config = await load('env-number.yaml', 'name: x\nserver:\n  port: ${env:PORT}\n', { env: { PORT: '4333' } });
    expect(config.server.port).toBe(4333);
  });

  it('still rejects a referenced value that is not a number where one is expected', async () => {
    const err = await configError(() => load('env-nan.yaml', 'name: x\nserver:\n  port: ${env:PORT}\n', { env: { PORT: 'high' } }));
    expect(err.message).toContain('env-nan.yaml:3 server.port: expected integer, got "high"');
  });

  it('reports an unset variable with the file, line and path that reference it', async () => {
    const err = await configError(() => load('missing-env.yaml', 'name: x\nserver:\n  host: ${env:NATS_HOST}\n'));
    expect(err.message).toBe(
      'missing-env.yaml:3 server.host: environment variable NATS_HOST is not set (referenced as ${env:NATS_HOST})',
    );
    expect(err.code).toBe('CONFIG_INVALID');
  });

  it('reads ${file:relative} from the config file folder, without its trailing newline', async () => {
    await writeFile(join(dir, 'token.txt'), 'from-a-file\n');
    const config = await load('file-ref.yaml', 'name: x\nsecret: ${file:token.txt}\n');
    expect(config.secret).toBe('from-a-file');
  });

  it('reports a ${file:...} that cannot be read', async () => {
    const err = await configError(() => load('file-missing.yaml', 'name: x\nsecret: ${file:nope.txt}\n'));
    expect(err.issues).toEqual([
      expect.objectContaining({
        file: 'file-missing.yaml',
        line: 2,
        path: 'secret',
        message: expect.stringMatching(/nope\.txt.*ENOENT/),
      }),
    ]);
  });
});

describe('loadConfig: --set overrides', () => {
  it('parses values as YAML scalars, so a number stays a number', async () => {
    const config = await load('set.yaml', 'name: x\n', { set: ['server.port=5', 'server.host=h.example'] });
    expect(config.server).toEqual({ host: 'h.example', port: 5 });
  });

  it('creates list items and mappings on the way to an indexed path', async () => {
    const config = await load('set-list.yaml', 'name: x\n', { set: ['pools[0].type=gpu', 'pools[0].max=3'] });
    expect(config.pools).toEqual([{ type: 'gpu', max: 3 }]);
  });

  it('wins over the file', async () => {
    const config = await load('set-wins.yaml', 'name: x\nserver:\n  port: 1\n', { set: ['server.port=2'] });
    expect(config.server.port).toBe(2);
  });

  it('reports a malformed override as coming from --set', async () => {
    const err = await configError(() => load('set-bad.yaml', 'name: x\n', { set: ['server.port', 'a..b=1'] }));
    expect(err.issues.map((i) => i.file)).toEqual(['<--set>', '<--set>']);
    expect(err.message).toContain('<--set>: cannot read override "server.port": expected path=value');
  });

  it('blames --set, not the file, for a bad value it supplied', async () => {
    const err = await configError(() => load('set-type.yaml', 'name: x\n', { set: ['server.port=high'] }));
    expect(err.message).toBe('<--set> server.port: expected integer, got "high"');
  });

  it('refuses to write through __proto__', async () => {
    const err = await configError(() => load('set-proto.yaml', 'name: x\n', { set: ['__proto__.polluted=yes'] }));
    expect(err.issues[0]?.file).toBe('<--set>');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('reads override paths with indices', () => {
    expect(parsePath('pools[2].max')).toEqual(['pools', 2, 'max']);
    expect(parsePath('a[0][1]')).toEqual(['a', 0, 1]);
    expect(parsePath('a..b')).toBeUndefined();
    expect(parsePath('[0]')).toBeUndefined();
  });
});

describe('loadConfig: reporting problems', () => {
  it('names file, 1-based line, path with indices, what was expected and what was found', async () => {
    const yaml = ['# pools', 'name: x', 'pools:', '  - type: a', '    max: 1', '  - type: b', '    max: many', '']
      .join('\n');
    const err = await configError(() => load('pools.yaml', yaml));
    expect(err.message).toBe('pools.yaml:7 pools[1].max: expected integer, got "many"');
    expect(err.issues).toEqual([
      { file: 'pools.yaml', line: 7, path: 'pools[1].max', message: 'expected integer, got "many"' },
    ]);
  });

  it('lists every issue, not only the first', async () => {
    const yaml = [
      'name: 5',
      'level: loud',
      'server:',
      '  port: 0',
      '  colour: red',
      'pools:',
      '  - type: a',
      '  - type: 7',
      '    max: -1',
      '    size: 3',
      'extra: true',
      '',
    ].join('\n');
    const err = await configError(() => load('many.yaml', yaml));
    expect(err.message.split('\n').sort()).toEqual(
      [
        'many.yaml:1 name: expected string, got 5',
        'many.yaml:2 level: expected one of "debug", "info", "warn", got "loud"',
        'many.yaml:4 server.port: expected >= 1, got 0',
        'many.yaml:5 server.colour: unknown key (expected one of: host, port)',
        'many.yaml:7 pools[0].max: is required but missing',
        'many.yaml:8 pools[1].type: expected string, got 7',
        'many.yaml:9 pools[1].max: expected >= 0, got -1',
        'many.yaml:10 pools[1].size: unknown key (expected one of: type, max, tags)',
        'many.yaml:11 extra: unknown key (expected one of: name, level, timeout, disk, server, pools, secret)',
      ].sort(),
    );
  });

  it('lists unit and reference problems together with schema problems', async () => {
    const yaml = 'name: 5\ntimeout: soon\nsecret: ${env:NOPE}\n';
    const err = await configError(() => load('mixed.yaml', yaml));
    expect(err.issues.map((i) => `${i.line} ${i.path}`)).toEqual(['3 secret', '2 timeout', '1 name']);
  });

  it('explains the expected form of a bad duration or size', async () => {
    const err = await configError(() => load('units-bad.yaml', 'name: x\ntimeout: soon\ndisk: 3 furlongs\n'));
    expect(err.message).toBe(
      [
        'units-bad.yaml:2 timeout: expected a duration such as "90s", "5m", "1h30m" or milliseconds, got "soon"',
        'units-bad.yaml:3 disk: expected a size such as "20GiB", "512MB" or bytes, got "3 furlongs"',
      ].join('\n'),
    );
  });

  it('reports a required key missing from the file', async () => {
    const err = await configError(() => load('required.yaml', 'level: info\n'));
    expect(err.message).toBe('required.yaml:1 name: is required but missing');
  });

  it('reports invalid YAML with its line', async () => {
    const err = await configError(() => load('broken.yaml', 'name: x\nserver:\n  port: [1, 2\n'));
    expect(err.issues[0]).toMatchObject({
      file: 'broken.yaml',
      path: '',
      message: expect.stringMatching(/^not valid YAML: /),
    });
    expect(err.issues[0]?.line).toBeGreaterThanOrEqual(3);
    expect(err.message).toMatch(/^broken\.yaml:\d+: not valid YAML: /);
  });

  it('reports a key given twice as invalid YAML', async () => {
    const err = await configError(() => load('twice.yaml', 'name: x\nname: y\n'));
    expect(err.issues[0]).toMatchObject({ line: 2, message: expect.stringMatching(/not valid YAML/) });
  });

  it('reports a top level that is not a mapping', async () => {
    const err = await configError(() => load('list.yaml', '- a\n- b\n'));
    expect(err.message).toBe('list.yaml:1: expected a mapping of settings at the top level');
  });

  it('reports a missing file', async () => {
    const path = join(dir, 'absent.yaml');
    const err = await configError(() => loadConfig(Schema, { path }));
    expect(err.message).toBe(`${path}: cannot read the configuration: no such file`);
  });
});
