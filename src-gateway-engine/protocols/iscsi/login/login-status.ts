/** Login Response Status-Class / Status-Detail pairs (RFC 7143 §11.13.5) that login logic produces. */
export interface LoginStatus {
  readonly statusClass: number;
  readonly statusDetail: number;
}

/** The status codes used by the login phase. */
export const LoginStatuses = Object.freeze({
  success: { statusClass: 0, statusDetail: 0 },
  /** 0x0200: malformed or out-of-order negotiation (miscellaneous initiator error). */
  initiatorError: { statusClass: 2, statusDetail: 0 },
  /** 0x0201: authentication failed, or required authentication was not attempted. */
  authenticationFailure: { statusClass: 2, statusDetail: 1 },
  /** 0x0202: the initiator may not access this target. */
  authorizationFailure: { statusClass: 2, statusDetail: 2 },
  /** 0x0203: no such target. */
  targetNotFound: { statusClass: 2, statusDetail: 3 },
  /** 0x0207: a required key (InitiatorName, TargetName) is missing. */
  missingParameter: { statusClass: 2, statusDetail: 7 },
  /** 0x0209: SessionType is neither Normal nor Discovery. */
  sessionTypeNotSupported: { statusClass: 2, statusDetail: 9 },
} satisfies Record<string, LoginStatus>);
