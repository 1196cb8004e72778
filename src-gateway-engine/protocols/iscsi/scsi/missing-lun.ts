import { Op } from './opcodes.js';
import { reportLuns } from './report-luns.js';
import { requestSenseData } from './request-sense.js';
import { ScsiStatus, type ScsiRequest, type ScsiResponse } from './scsi-contract.js';
import { Ascs, ScsiCheckCondition, SenseKey, fixedSense, senseForError, type Sense } from './sense.js';

/**
 * Answers for a LUN that does not exist (SPC-4 6.6.2, SAM-5 5.9.x): INQUIRY reports
 * peripheral qualifier 011b / device type 1Fh ("not capable of supporting a device here"),
 * REPORT LUNS lists the target's LUNs, REQUEST SENSE returns LOGICAL UNIT NOT SUPPORTED
 * as its data, and every other command ends with CHECK CONDITION, ILLEGAL REQUEST,
 * LOGICAL UNIT NOT SUPPORTED. There is no mode page to ask for D_SENSE: sense is fixed.
 */

const NOT_SUPPORTED: Sense = { key: SenseKey.IllegalRequest, ...Ascs.LogicalUnitNotSupported };

const checkCondition = (sense: Sense): ScsiResponse => ({ status: ScsiStatus.CheckCondition, sense: fixedSense(sense) });

/** Answer `request` for a LUN that does not exist, given the LUNs that do. */
export function missingLunResponse(request: ScsiRequest, reportLunList: number[]): ScsiResponse {
  const cdb = request.cdb;
  try {
    switch (cdb[0]) {
      case Op.Inquiry: {
        const evpd = (cdb[1]! & 0x01) !== 0;
        const allocation = cdb.length >= 5 ? cdb.readUInt16BE(3) : 0;
        let data: Buffer;
        if (evpd) {
          data = Buffer.from([0x7f, cdb[2]!, 0, 0]);
        } else {
          data = Buffer.alloc(36);
          data[0] = 0x7f; // qualifier 011b, type 1Fh
          data[2] = 0x06; // SPC-4
          data[3] = 0x02; // response data format
          data[4] = 31;
        }
        return { status: ScsiStatus.Good, dataIn: data.subarray(0, Math.min(data.length, allocation)) };
      }
      case Op.ReportLuns:
        return reportLuns(cdb, reportLunList);
      case Op.RequestSense:
        return { status: ScsiStatus.Good, dataIn: requestSenseData(cdb, NOT_SUPPORTED) };
      default:
        return checkCondition(NOT_SUPPORTED);
    }
  } catch (err) {
    if (err instanceof ScsiCheckCondition) return checkCondition(err.sense);
    return checkCondition(senseForError(err));
  }
}
