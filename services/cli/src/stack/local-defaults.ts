import { ensureAnalysisImage } from '@hearth/clouds';
import { ensureProgram } from '../system/requirements.js';
import type { CliConfig } from '../config.js';

/** What `hearth up` runs on when hearth.yaml names no clouds. */
export interface LocalDefaults {
  /** `--set` overrides for every service. */
  set: string[];
  warnings: string[];
}

const analysisType = (image: string): string[] => [
  'machineTypes[0].name=analysis',
  'machineTypes[0].description=Debian 12 with Python 3, SSH and everyday tools',
  'machineTypes[0].cpus=2',
  'machineTypes[0].memoryMb=2048',
  `machineTypes[0].images.default=${image}`,
  'machineTypes[0].sudo=true',
];

/**
 * The embedded local stack: one `analysis` machine type pooled on the local Docker engine
 * (its image built from images/ when missing), or on the simulated cloud where no Docker
 * engine answers, saying so. Nothing when hearth.yaml configures clouds itself.
 */
export async function localDefaults(
  config: CliConfig,
  dockerProblem: string | undefined,
  opts: { install: boolean; say: (line: string) => void },
): Promise<LocalDefaults> {
  const { say } = opts;
  if ((config.clouds ?? []).length > 0) return { set: [], warnings: [] };
  if (dockerProblem === undefined) {
    say('making sure the analysis machine image is built');
    await ensureProgram('debootstrap', 'debootstrap', 'the machine image is built from a debootstrap tree', opts);
    const image = await ensureAnalysisImage({ say });
    return {
      set: [
        ...analysisType(image),
        'clouds[0].name=docker-local',
        'clouds[0].driver=docker',
        'clouds[0].region=local',
        'clouds[0].network=hearth-local',
        'pools[0].type=analysis',
        'pools[0].cloud=docker-local',
        'pools[0].minReady=2',
        'pools[0].max=8',
      ],
      warnings: [],
    };
  }
  return {
    set: [
      ...analysisType('debian'),
      'clouds[0].name=sim-local',
      'clouds[0].driver=sim',
      'clouds[0].region=local',
      'clouds[0].bootTimeMs.distribution=lognormal',
      'clouds[0].bootTimeMs.meanMs=1500',
      'clouds[0].bootTimeMs.p99Ms=6000',
      'clouds[0].images[0]=debian',
      'pools[0].type=analysis',
      'pools[0].cloud=sim-local',
      'pools[0].minReady=2',
      'pools[0].max=8',
    ],
    warnings: [`the local stack runs on the simulated cloud (${dockerProblem}): its machines exist only in memory and cannot be logged into`],
  };
}
