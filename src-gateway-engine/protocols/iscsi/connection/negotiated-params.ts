import type { OperationalParams } from '../login/index.js';
import type { SessionParams } from '../session/session-params.js';

/** The negotiated keys as the transport uses them. */
export function toSessionParams(p: OperationalParams): SessionParams {
  return {
    headerDigest: p.headerDigest === 'CRC32C',
    dataDigest: p.dataDigest === 'CRC32C',
    initiatorMaxRecvDataSegmentLength: p.maxXmitDataSegmentLength,
    targetMaxRecvDataSegmentLength: p.maxRecvDataSegmentLength,
    maxBurstLength: p.maxBurstLength,
    firstBurstLength: p.firstBurstLength,
    immediateData: p.immediateData,
    initialR2T: p.initialR2T,
    maxOutstandingR2T: p.maxOutstandingR2T,
    defaultTime2Wait: p.defaultTime2Wait,
    defaultTime2Retain: p.defaultTime2Retain,
  };
}
