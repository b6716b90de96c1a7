import { z } from 'zod';
import type { Db } from '../../store/db.ts';
import { findActiveMember } from '../../store/members.ts';
import { findUserById } from '../../store/users.ts';
import type { Deps } from '../deps.ts';
import { wantsNotification } from '../notification-prefs.ts';
import type { Channel } from './channels.ts';
import {
  connectedAppMail,
  invitationAcceptedMail,
  invitationMail,
  type RenderedMail,
  recordingReceivedMail,
} from './email-templates.ts';
import { smtpFailure } from './mailer.ts';
import type { DeliveryEvent, PlannedDelivery } from './types.ts';

// E-mail (issue 10 §2, docs/notifications.md "E-mail"): the invitation to the invitee; "recording
// received" to the link's creator, "invitation accepted" to the inviter and "new Connected App" to
// the account's owner when their notification preferences allow. The message is rendered when the
// event is published (inside its transaction, from the event's own facts) and stored sealed, so
// what is sent is what was true at the time. Without SMTP_URL nothing is planned: no rows pile up
// that would all go out the day someone sets it.

/** The sealed payload of an e-mail delivery. */
const payloadSchema = z.object({
  to: z.string(),
  subject: z.string(),
  text: z.string(),
  html: z.string(),
  headers: z.record(z.string(), z.string()).optional(),
});
type EmailPayload = z.infer<typeof payloadSchema>;

function planned(
  workspaceId: string | null,
  targetId: string | null,
  to: string,
  what: string,
  mail: RenderedMail,
): PlannedDelivery {
  const payload: EmailPayload = { to, ...mail };
  return { channel: 'email', workspaceId, targetId, summary: `${what} to ${to}`, payload };
}

async function plan(deps: Deps, db: Db, event: DeliveryEvent): Promise<PlannedDelivery[]> {
  if (!deps.mailer) return [];
  const publicUrl = deps.config.publicUrl;
  switch (event.type) {
    case 'invitation.created':
      // Sent whatever anyone's preferences: the invitee may have no account, and the inviter asked.
      return [planned(event.workspaceId, null, event.email, 'Invitation', invitationMail(event, publicUrl))];
    case 'recording.ready': {
      const { recording } = event;
      const creator = await findActiveMember(db, event.workspaceId, recording.linkCreatorMemberId);
      // A creator who left the workspace no longer hears about it.
      if (!creator) return [];
      if (!(await wantsNotification(db, creator.userId, event.workspaceId, 'recording_received', 'email')))
        return [];
      return [
        planned(
          event.workspaceId,
          creator.userId,
          creator.email,
          'Recording received',
          recordingReceivedMail(recording, creator.name, publicUrl),
        ),
      ];
    }
    case 'member.joined': {
      if (!event.invitedByMemberId) return [];
      const inviter = await findActiveMember(db, event.workspaceId, event.invitedByMemberId);
      if (!inviter || inviter.userId === event.member.userId) return [];
      if (!(await wantsNotification(db, inviter.userId, event.workspaceId, 'invitation_accepted', 'email')))
        return [];
      return [
        planned(
          event.workspaceId,
          inviter.userId,
          inviter.email,
          'Invitation accepted',
          invitationAcceptedMail(
            {
              workspaceId: event.workspaceId,
              workspaceName: event.workspaceName,
              name: event.member.name,
              email: event.member.email,
              role: event.member.role,
            },
            publicUrl,
          ),
        ),
      ];
    }
    case 'connected_app.authorized': {
      const user = await findUserById(db, event.userId);
      if (!user) return [];
      if (!(await wantsNotification(db, user.id, null, 'connected_app', 'email'))) return [];
      return [
        planned(
          null,
          user.id,
          user.email,
          'New Connected App',
          connectedAppMail(
            { clientName: event.clientName, at: event.at, ip: event.ip, userAgent: event.userAgent },
            publicUrl,
          ),
        ),
      ];
    }
    default:
      return [];
  }
}

/** E-mail: invitations, recording received, invitation accepted, new Connected App. */
export const emailChannel: Channel = {
  channel: 'email',
  plan,
  send: async (deps, job) => {
    // SMTP_URL was removed after the message was planned: say so in the log, do not retry for a day.
    if (!deps.mailer) return { ok: false, retry: false, error: 'SMTP_URL is unset: e-mail is turned off' };
    const parsed = payloadSchema.safeParse(job.payload);
    if (!parsed.success) return { ok: false, retry: false, error: 'malformed e-mail payload' };
    const { headers, ...message } = parsed.data;
    try {
      await deps.mailer.send({ ...message, ...(headers ? { headers } : {}), idempotencyKey: job.id });
      return { ok: true };
    } catch (error) {
      return smtpFailure(error);
    }
  },
};
