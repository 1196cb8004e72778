import { describe, expect, it } from 'vitest';
import { INITIAL_WIZARD_DRAFT, type WizardDraft } from '../../state/wizard-store.js';
import { appInfoFixture } from '../../test-support/fixtures.js';
import { beginRequest, controlPlaneStepProblem, gatewayDetailsProblem, isValidTimeZone, keyStepProblem } from './wizard-checks.js';

const draft = (patch: Partial<WizardDraft>): WizardDraft => ({ ...INITIAL_WIZARD_DRAFT, ...patch });
const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';

describe('isValidTimeZone', () => {
  it('accepts IANA zones and refuses others', () => {
    for (const tz of ['Europe/Paris', 'America/New_York', 'UTC', 'Asia/Kolkata']) expect(isValidTimeZone(tz)).toBe(true);
    for (const tz of ['', 'Mars/Olympus', 'Europe/Pariss', ' Europe/Paris', 'GMT+25']) expect(isValidTimeZone(tz)).toBe(false);
  });
});

describe('step 1: control plane', () => {
  it('needs an embedded control plane to choose it', () => {
    expect(controlPlaneStepProblem(draft({}), appInfoFixture)).toBeNull();
    expect(controlPlaneStepProblem(draft({}), { ...appInfoFixture, embeddedControlPlaneUrl: null })).toMatch(/no embedded control plane/);
    expect(controlPlaneStepProblem(draft({}), undefined)).toMatch(/Loading/);
  });

  it('needs an https URL, PEM text if any, and an API token for a remote one', () => {
    const remote = { controlPlane: 'remote' as const };
    expect(controlPlaneStepProblem(draft({ ...remote, controlPlaneUrl: 'cp.example.com' }), appInfoFixture)).toMatch(/Enter the control plane’s URL/);
    expect(controlPlaneStepProblem(draft({ ...remote, controlPlaneUrl: 'http://cp.example.com' }), appInfoFixture)).toMatch(/https/);
    expect(controlPlaneStepProblem(draft({ ...remote, controlPlaneUrl: 'https://cp.example.com', caCertPem: 'junk' }), appInfoFixture)).toMatch(/PEM/);
    expect(controlPlaneStepProblem(draft({ ...remote, controlPlaneUrl: 'https://cp.example.com', caCertPem: PEM }), appInfoFixture)).toMatch(/API token/);
    expect(controlPlaneStepProblem(draft({ ...remote, controlPlaneUrl: 'https://cp.example.com', caCertPem: PEM, apiToken: 't' }), appInfoFixture)).toBeNull();
  });

  it('builds the begin request', () => {
    expect(beginRequest(draft({}))).toEqual({ controlPlaneUrl: null });
    expect(beginRequest(draft({ controlPlane: 'remote', controlPlaneUrl: ' https://cp:9443 ', caCertPem: '' }))).toEqual({ controlPlaneUrl: 'https://cp:9443' });
    expect(beginRequest(draft({ controlPlane: 'remote', controlPlaneUrl: 'https://cp:9443', caCertPem: PEM }))).toEqual({ controlPlaneUrl: 'https://cp:9443', caCertPem: PEM });
  });
});

describe('steps 2 and 3', () => {
  it('need an unexpired key', () => {
    const key = { activationKey: 'K7QF-M2XD-9TRC', expiresAt: '2026-11-03T10:10:00Z', controlPlaneUrl: 'https://cp' };
    expect(keyStepProblem(null, 0)).toMatch(/Request an activation key/);
    expect(keyStepProblem(key, Date.parse('2026-11-03T10:09:59Z'))).toBeNull();
    expect(keyStepProblem(key, Date.parse('2026-11-03T10:10:00Z'))).toMatch(/expired/);
  });

  it('need a name and a valid zone', () => {
    expect(gatewayDetailsProblem('  ', 'UTC')).toMatch(/Enter a name/);
    expect(gatewayDetailsProblem('x'.repeat(101), 'UTC')).toMatch(/100/);
    expect(gatewayDetailsProblem('paris', 'Europe/Pariss')).toMatch(/not an IANA time zone/);
    expect(gatewayDetailsProblem('paris', 'Europe/Paris')).toBeNull();
  });
});
