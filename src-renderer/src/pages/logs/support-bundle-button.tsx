import { useSupportBundle } from '../../bridge/use-support-bundle.js';
import { ErrorBanner } from '../../components/error-banner.js';
import { formatBytes } from '../../components/format/format-bytes.js';
import { base64ToBytes, saveBytes } from './download-file.js';

/** Builds a support bundle and saves it under the name main chose. */
export function SupportBundleButton() {
  const bundle = useSupportBundle();
  return (
    <div className="support-bundle">
      <button
        type="button"
        className="button"
        disabled={bundle.isPending}
        onClick={() =>
          bundle.mutate(undefined, {
            onSuccess: (b) => saveBytes(b.fileName, base64ToBytes(b.dataBase64), 'application/gzip'),
          })
        }
      >
        {bundle.isPending ? 'Preparing support bundle…' : 'Download support bundle'}
      </button>
      {bundle.isSuccess && (
        <span className="muted" role="status">
          Saved {bundle.data.fileName} ({formatBytes(bundle.data.bytes)}).
        </span>
      )}
      {bundle.isError && <ErrorBanner title="The support bundle could not be built" error={bundle.error} />}
    </div>
  );
}
