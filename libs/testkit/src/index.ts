export { freePort } from './ports.js';
export { natsServerBinary, startNatsServer, type TestNatsServer } from './nats-server.js';
