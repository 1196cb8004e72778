import { defineConfig } from 'vitest/config';

// Unit tests live beside the code (*.test.ts); interop, crash and recovery tests in each
// package's test/ folder. Outside tools (nbdinfo, qemu-img, radosgw) are installed by .ci/run.
export default defineConfig({
  test: {
    include: ['src-*/**/*.test.{ts,tsx}'],
    // One throw-away radosgw (real S3) for the whole run; S3 tests read it via s3TestTarget().
    globalSetup: ['src-gateway-engine/test/support/radosgw.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: 'forks',
    reporters: ['default', 'json'],
    outputFile: { json: 'reports/vitest.json' },
  },
});
