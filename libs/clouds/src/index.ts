export { DriverKind, InstanceState, OwnerTag } from './driver.js';
export type { CallOptions, CloudDriver, DriverFactory, Instance, InstanceRef, LaunchSpec, Quota } from './driver.js';
export {
  AbortedError,
  AuthError,
  CapacityError,
  CloudError,
  CloudUnavailableError,
  InvalidSpecError,
  QuotaExceededError,
} from './errors.js';
export { createDriver, drivers, isKnownDriverKind } from './registry.js';
export type { DriverConfig, DriverDeps, KnownDriverKind } from './registry.js';
export {
  BootTime,
  ManualClock,
  SimCloud,
  SimConfig,
  SimFault,
  SimLimits,
  bootTimeSampler,
  fitLognormal,
  seededRandom,
  simDriver,
  systemClock,
} from './sim/index.js';
export type { Clock, Random, SimDeps, SimDriverFactory } from './sim/index.js';
export {
  DockerConfig,
  DockerDriver,
  DockerLimits,
  analysisImageScript,
  defaultSocketPath,
  dockerDriver,
  ensureAnalysisImage,
} from './docker/index.js';
export type { DockerDeps, EnsureAnalysisImageOptions } from './docker/index.js';
export { Ec2Config, Ec2Driver, Ec2Limits, clientTokenOf, ec2Driver } from './ec2/index.js';
export type { Ec2Credentials, Ec2Deps } from './ec2/index.js';
export {
  OpenStackAuth,
  OpenStackClient,
  OpenStackConfig,
  OpenStackDriver,
  OpenStackEndpoints,
  OpenStackHttpError,
  TransportError as OpenStackTransportError,
  candidateFiles as openstackCloudsFiles,
  defaultComputeMicroversion,
  findCloud as findOpenStackCloud,
  installationTag as openstackInstallationTag,
  openstackDriver,
  openstackSettings,
} from './openstack/index.js';
export type { ApiRequest as OpenStackRequest, Credentials as OpenStackCredentials, FoundCloud as OpenStackFoundCloud, NovaServer, OpenStackDeps, OpenStackSettings } from './openstack/index.js';
