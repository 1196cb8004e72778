/** The operational parameters one session runs with once login is over (RFC 7143 §13). */
export interface SessionParams {
  headerDigest: boolean;
  dataDigest: boolean;
  /** What the initiator accepts per PDU: caps our Data-In and text segments. */
  initiatorMaxRecvDataSegmentLength: number;
  /** What we accept per PDU (we declared it). */
  targetMaxRecvDataSegmentLength: number;
  maxBurstLength: number;
  firstBurstLength: number;
  immediateData: boolean;
  initialR2T: boolean;
  maxOutstandingR2T: number;
  defaultTime2Wait: number;
  defaultTime2Retain: number;
}
