import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// deploy/hearth.example.yaml is what operators copy: every service must accept it as shipped.
const root = resolve(import.meta.dirname, '..', '..');
const example = resolve(root, 'deploy', 'hearth.example.yaml');

describe('deploy/hearth.example.yaml', () => {
  for (const service of ['gateway', 'pool-manager']) {
    it(`passes the ${service}'s own configuration check`, () => {
      const result = spawnSync(process.execPath, [resolve(root, 'services', service, 'dist', 'main.js'), '--config', example, '--check-config'], {
        env: { ...process.env, HEARTH_NATS_PASSWORD: 'example' },
        encoding: 'utf8',
      });
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
    });
  }
});
