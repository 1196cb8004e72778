export { nbdErrno } from './errno-mapping.js';
export type { ExportListing, ExportResolver } from './export-resolver.js';
export { silentLogger, type LogFields, type Logger } from './logger.js';
export { NbdServer, type NbdClientInfo, type NbdServerOptions } from './nbd-server.js';
