import type { BlockDevice } from '../../device/block-device.js';

/** What NBD_OPT_LIST shows for one export. */
export interface ExportListing {
  name: string;
  description?: string;
}

/** How the NBD server finds its exports; the export name is the volume name. */
export interface ExportResolver {
  /** The device behind an export name, or undefined when there is none. */
  lookup(name: string): BlockDevice | undefined;
  /** Every export a client may see. */
  list(): ExportListing[];
}
