export { IscsiServer, type IscsiServerOptions, type IscsiSessionInfo } from './iscsi-server.js';
export { TargetTable, TARGET_IQN_PREFIX, targetNameOf, type ExportedVolume } from './target-table.js';
export type { IscsiTarget, TargetResolver } from './target-resolver.js';
export { isIscsiName } from './iscsi-name.js';
export { iscsiTargetNameProblem, validateIscsiTargetName, MAX_ISCSI_NAME_BYTES } from './iscsi-target-name.js';
export { validateChapCredentials } from './login/index.js';
