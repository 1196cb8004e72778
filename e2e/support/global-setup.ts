/** Starts the gateway every spec drives. */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { startGatewayUnderTest } from './gateway-under-test.js';

export default async function globalSetup(): Promise<void> {
  mkdirSync(resolve(import.meta.dirname, '..', '..', 'reports', 'screenshots'), { recursive: true });
  await startGatewayUnderTest();
}
