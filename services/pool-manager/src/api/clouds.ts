import { HearthError, serve, subjects, type Service } from '@hearth/bus';
import type { Cloud } from '../clouds.js';
import type { Engine } from '../engine.js';

/** `clouds.list`, `clouds.drain`, `clouds.undrain`: decode → monitor → encode. */
export function serveCloudEndpoints(service: Service, engine: Engine): void {
  serve(service, subjects.clouds.list, () => ({ clouds: [...engine.clouds.values()].map((c) => c.monitor.status()) }));
  serve(service, subjects.clouds.drain, async (input, ctx) => {
    const status = await cloudNamed(engine, input.cloud).monitor.setDrained(true, input.by);
    ctx.log.info({ cloud: input.cloud, by: input.by }, 'drain asked');
    engine.kick(); // replacements elsewhere start now
    return status;
  });
  serve(service, subjects.clouds.undrain, async (input, ctx) => {
    const status = await cloudNamed(engine, input.cloud).monitor.setDrained(false, input.by);
    ctx.log.info({ cloud: input.cloud, by: input.by }, 'undrain asked');
    engine.kick();
    return status;
  });
}

function cloudNamed(engine: Engine, name: string): Cloud {
  const cloud = engine.clouds.get(name);
  if (!cloud) {
    throw new HearthError('NOT_FOUND', `unknown cloud ${JSON.stringify(name)}; expected one of: ${[...engine.clouds.keys()].join(', ')}`, {
      cloud: name,
      issues: [{ path: 'cloud', message: 'no such cloud' }],
    });
  }
  return cloud;
}
