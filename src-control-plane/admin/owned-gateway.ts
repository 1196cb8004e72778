/** Account scoping of admin routes: a gateway of another account is GATEWAY_UNKNOWN, exactly like one that does not exist, so ids do not leak. */
import type { AccountRecord, GatewayRecord, GatewayStore } from '../state/control-plane-state.js';
import { ControlError } from '../errors/control-error.js';

/** The gateway `id` if `account` owns it; GATEWAY_UNKNOWN otherwise. */
export async function ownedGateway(gateways: GatewayStore, account: AccountRecord, id: string): Promise<GatewayRecord> {
  const record = await gateways.get(id);
  if (record === null || record.accountId !== account.id) throw new ControlError('GATEWAY_UNKNOWN', `no gateway ${JSON.stringify(id)} in this account`);
  return record;
}
