/**
 * On-disk format of the embedded control-plane state (constants only). Layout of `<dir>`
 * (0700; every file 0600):
 *
 *   state.lock                 pid of the process that has the folder open
 *   accounts.json              { format, version, accounts: AccountRecord[], tokens: [{ sha256, accountId, createdAt }] }
 *   activation-keys.json       { format, version, keys: ActivationKeyRecord[] }
 *   gateways.json              { format, version, gateways: GatewayRecord[] }
 *   alerts.json                { format, version, alerts: AlertRecord[] }
 *   samples/<gatewayId>/<YYYY-MM-DD>.jsonl
 *                              one StatusSample JSON per line, appended in arrival order; the
 *                              day is the UTC day of the sample's `at`; on read the newest
 *                              sample of each minute wins and an unparsable line is skipped
 *
 * The four JSON files are whole snapshots replaced by `writeFileAtomic`. A reader refuses a
 * file whose `format` or `version` it does not know rather than guess.
 */

/** Version of every JSON snapshot file; bump on an incompatible change. */
export const EMBEDDED_FORMAT_VERSION = 1;

/** File names and their `format` signatures. */
export const EMBEDDED_FILES = {
  accounts: { name: 'accounts.json', format: 'tidegate-control-plane-accounts' },
  activationKeys: { name: 'activation-keys.json', format: 'tidegate-control-plane-activation-keys' },
  gateways: { name: 'gateways.json', format: 'tidegate-control-plane-gateways' },
  alerts: { name: 'alerts.json', format: 'tidegate-control-plane-alerts' },
} as const;

/** The folder lock file. */
export const LOCK_FILE = 'state.lock';

/** Folder of the status-sample files. */
export const SAMPLES_DIR = 'samples';

/** Suffix of a day file of samples. */
export const SAMPLE_FILE_SUFFIX = '.jsonl';

/** Activation keys are forgotten this long after they expire (until then `use` says 'expired'). */
export const ACTIVATION_KEY_RETENTION_MS = 7 * 24 * 3600_000;
