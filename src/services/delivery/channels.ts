import type { Db } from '../../store/db.ts';
import type { Deps } from '../deps.ts';
import { emailChannel } from './email.ts';
import { helpdeskChannels } from './helpdesk.ts';
import { slackChannel } from './slack.ts';
import type { DeliveryChannel, DeliveryEvent, DeliveryJob, PlannedDelivery, SendOutcome } from './types.ts';

/** A way out: what it sends for an event (planned in the event's transaction), and how it sends. */
export interface Channel {
  channel: DeliveryChannel;
  plan(deps: Deps, db: Db, event: DeliveryEvent): Promise<PlannedDelivery[]>;
  send(deps: Deps, job: DeliveryJob): Promise<SendOutcome>;
}

import { webhookChannel } from './webhooks.ts';

/** Every channel, in the order their deliveries are planned. */
export const channels: readonly Channel[] = [emailChannel, webhookChannel, slackChannel, ...helpdeskChannels];
