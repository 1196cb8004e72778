/** Logs & diagnostics: the downloadable support bundle. */
import { buildSupportBundle } from '../../diagnostics/support-bundle.js';
import type { ConsoleDeps, RegisterHandler } from './console-deps.js';

export function registerDiagnosticsHandlers(register: RegisterHandler, deps: ConsoleDeps): void {
  register('diagnostics.supportBundle', () => buildSupportBundle(deps));
}
