import type { DeliveryChannel } from '../../store/deliveries.ts';
import type { RecordingNotice } from '../../store/recorder.ts';

// The vocabulary of delivery (issue 10): the events that cause messages, what a channel plans for
// an event, and what a send reports back. docs/notifications.md describes the whole.

export type { DeliveryChannel } from '../../store/deliveries.ts';

/**
 * What a recording-received message says, whatever the channel (e-mail, Slack, help desk, webhook):
 * the recording with its link and workspace as stored (RecordingNotice), and what is worked out.
 */
export interface RecordingSummary extends RecordingNotice {
  /** Console entries of level error in the recording's console log. */
  consoleErrorCount: number;
  /** The dashboard player. */
  playerUrl: string;
}

/** Everything that can cause a delivery. `id` is the event's own id (evt_…), shared by its deliveries. */
export type DeliveryEvent =
  | { type: 'recording.ready'; id: string; at: number; workspaceId: string; recording: RecordingSummary }
  | {
      type: 'recording.deleted';
      id: string;
      at: number;
      workspaceId: string;
      recordingId: string;
      linkId: string;
    }
  | { type: 'link.created'; id: string; at: number; workspaceId: string; link: Record<string, unknown> }
  | { type: 'link.deleted'; id: string; at: number; workspaceId: string; linkId: string }
  | {
      type: 'member.joined';
      id: string;
      at: number;
      workspaceId: string;
      workspaceName: string;
      member: { memberId: string; userId: string; name: string; email: string; role: string };
      /** Who sent the invitation; "invitation accepted" goes to them. */
      invitedByMemberId: string | null;
    }
  | {
      type: 'invitation.created';
      id: string;
      at: number;
      workspaceId: string;
      workspaceName: string;
      email: string;
      role: string;
      inviterName: string;
      /** Contains the invitation token: only ever stored sealed. */
      acceptUrl: string;
      expiresAt: number;
    }
  | {
      type: 'connected_app.authorized';
      id: string;
      at: number;
      /** Account-wide: a grant belongs to a user, not a workspace. */
      workspaceId: null;
      userId: string;
      clientId: string;
      clientName: string;
      ip: string | null;
      userAgent: string | null;
    }
  | {
      /**
       * "Send test event" (Workspace Settings > Webhooks): one delivery to the one endpoint named,
       * whatever it subscribes to. Not in WEBHOOK_EVENT_TYPES: nobody subscribes to it, and the
       * other channels plan nothing for it.
       */
      type: 'webhook.test';
      id: string;
      at: number;
      workspaceId: string;
      endpointId: string;
    };

export type DeliveryEventType = DeliveryEvent['type'];

/** The webhook event types a workspace can subscribe to (issue 10 §4). */
export const WEBHOOK_EVENT_TYPES = [
  'recording.ready',
  'recording.deleted',
  'link.created',
  'link.deleted',
  'member.joined',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** A message a channel wants sent for an event; the outbox seals `payload` and assigns the id. */
export interface PlannedDelivery {
  channel: DeliveryChannel;
  workspaceId: string | null;
  /** The webhook endpoint id, the recipient user id, or null. */
  targetId: string | null;
  /** One line for the delivery log: recipient, URL host, ticket. No secrets. */
  summary: string;
  /** JSON-serialisable content the channel's sender needs (sealed at rest). */
  payload: unknown;
}

/** A claimed delivery handed to its channel's sender. */
export interface DeliveryJob {
  /** Also the idempotency key the receiver sees (webhook-id, Message-ID, Idempotency-Key). */
  id: string;
  channel: DeliveryChannel;
  workspaceId: string | null;
  targetId: string | null;
  eventType: string;
  eventId: string;
  payload: unknown;
  /** Tries before this one. */
  attempts: number;
  createdAt: number;
}

/** What a send reports. `retry: false` gives up at once (a refused credential, a blocked address). */
export type SendOutcome =
  | { ok: true; statusCode?: number; responseBody?: string }
  | { ok: false; retry: boolean; error: string; statusCode?: number; responseBody?: string };

/** An e-mail as the senders build it: plain text plus simple HTML, no remote images. */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** Becomes the Message-ID (`<id@host>`), so a resend after a crash is recognisable. */
  idempotencyKey: string;
  /** Extra headers, e.g. List-Unsubscribe pointing at the notification settings. */
  headers?: Record<string, string>;
}

/** Sends e-mail (nodemailer over SMTP_URL in production); null in Deps when SMTP_URL is unset. */
export interface Mailer {
  send(message: MailMessage): Promise<void>;
  /** Closes pooled connections. */
  close(): void;
}
