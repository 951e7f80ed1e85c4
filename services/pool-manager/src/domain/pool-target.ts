import type { MachineRecord } from '@hearth/bus';

export type StateCounts = Record<MachineRecord['state'], number>;

export const emptyCounts = (): StateCounts => ({ launching: 0, booting: 0, ready: 0, allocated: 0, deleting: 0, failed: 0 });
