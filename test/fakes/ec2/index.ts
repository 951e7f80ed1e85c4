export { startEc2Fake, fakeCredentials, fakeIds } from './server.js';
export type { Ec2Fake, Ec2FakeOptions, RecordedCall } from './server.js';
export { Ec2Faults } from './faults.js';
export { defaultInstanceTypes } from './account.js';
export type { FakeInstance } from './account.js';
export { cloudConfigFor, driverFor, fakeCredentialEnv, newInstallation, specMaker } from './driver-for.js';
