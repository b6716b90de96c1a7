import { findActiveMember } from '../../store/members.ts';
import { integrationCredentials, integrationTarget, reportRefusedCredentials } from '../integrations.ts';
import { wantsNotification } from '../notification-prefs.ts';
import type { Channel } from './channels.ts';
import { capText, durationText, errorCountText, hostOf, linkTitleText, sendJson } from './provider-http.ts';
import type { RecordingSummary, SendOutcome } from './types.ts';

// Slack (issue 10 §5): "recording received" as a message through the workspace's incoming webhook
// (https://api.slack.com/messaging/webhooks): POST {text, blocks} as JSON, answered 200 "ok".
// The webhook URL is the credential: it is read (sealed) at send time, so a replaced URL applies to
// retries too, and it never appears in the delivery log or in errors.

/** Slack's section text holds at most 3000 characters; the notes get most of that. */
const MAX_NOTES = 2_000;

/**
 * Text for Slack mrkdwn that shows as typed: &, < and > escaped as Slack asks (so no `<!channel>`,
 * `<@U…>` or `<url|label>` can be written by a customer), and @channel/@here/@everyone broken with
 * a zero-width space so no client turns them into a mention either.
 */
export function slackEscape(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/@(channel|here|everyone)\b/gi, '@\u200b$1');
}

/** The message for a recording: a fallback `text` (notifications) and the blocks Slack shows. */
export function slackMessage(recording: RecordingSummary): { text: string; blocks: unknown[] } {
  const title = slackEscape(linkTitleText(recording));
  const facts = `${durationText(recording.durationMs)} · ${errorCountText(recording.consoleErrorCount)}`;
  const player = slackEscape(recording.playerUrl);
  const notes = recording.notes?.trim() ? slackEscape(capText(recording.notes.trim(), MAX_NOTES)) : null;
  const blocks: unknown[] = [
    {
      type: 'section',
      text: { type: 'mrkdwn', text: `*New recording* for *${title}*\n${facts}` },
    },
  ];
  if (notes) {
    // A quote per line keeps multi-line notes inside the quote.
    const quoted = notes
      .split('\n')
      .map((line) => `>${line}`)
      .join('\n');
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `*Customer notes*\n${quoted}` } });
  }
  blocks.push({
    type: 'section',
    text: { type: 'mrkdwn', text: `<${player}|Open the recording in Userplane>` },
  });
  return { text: `New recording for ${title} (${facts}): ${player}`, blocks };
}

interface SlackPayload {
  recordingId: string;
  message: { text: string; blocks: unknown[] };
}

/** Slack incoming webhook: recording received. */
export const slackChannel: Channel = {
  channel: 'slack',
  plan: async (_deps, db, event) => {
    if (event.type !== 'recording.ready') return [];
    const recording = event.recording;
    const target = await integrationTarget(db, event.workspaceId, 'slack');
    if (!target) return [];
    // The link creator decides (Account Settings > Notifications, "recording received" by Slack);
    // a creator who left the workspace has no say, and the workspace's channel still hears of it.
    const creator = await findActiveMember(db, event.workspaceId, recording.linkCreatorMemberId);
    if (
      creator &&
      !(await wantsNotification(db, creator.userId, event.workspaceId, 'recording_received', 'slack'))
    )
      return [];
    const payload: SlackPayload = { recordingId: recording.recordingId, message: slackMessage(recording) };
    return [
      {
        channel: 'slack',
        workspaceId: event.workspaceId,
        targetId: null,
        summary: `Slack (${target.baseUrl}): recording ${recording.recordingId}`,
        payload,
      },
    ];
  },
  send: async (deps, job) => {
    const payload = job.payload as SlackPayload;
    if (!job.workspaceId) return { ok: false, retry: false, error: 'Slack: the delivery has no workspace' };
    const credentials = await integrationCredentials(deps, job.workspaceId, 'slack');
    if (!credentials)
      return { ok: false, retry: false, error: 'Slack is no longer connected to this workspace' };
    const response = await sendJson(deps, {
      url: credentials.url,
      method: 'POST',
      headers: { 'idempotency-key': job.id },
      body: payload.message,
      what: `Slack (${hostOf(credentials.url)})`,
    });
    if (!response.ok) return response.outcome;
    const { status, body } = response;
    const answer = body.trim().slice(0, 100);
    const base = { statusCode: status, responseBody: body };
    if (status >= 200 && status < 300) return { ok: true, ...base };
    if (status === 429 || status >= 500)
      return {
        ok: false,
        retry: true,
        error: `Slack answered ${status}${answer ? ` ${answer}` : ''}`,
        ...base,
      };
    // Slack's answers to a webhook that no longer works: 403 invalid_token / action_prohibited,
    // 404 no_service / channel_not_found, 410 channel_is_archived. Only a new URL helps.
    if (status === 401 || status === 403 || status === 404 || status === 410) {
      const detail = `Slack refused the webhook URL (${status}${answer ? ` ${answer}` : ''}). Add a new incoming-webhook URL.`;
      await reportRefusedCredentials(deps, credentials, detail);
      return { ok: false, retry: false, error: detail, ...base } satisfies SendOutcome;
    }
    return {
      ok: false,
      retry: false,
      error: `Slack refused the message (${status}${answer ? ` ${answer}` : ''})`,
      ...base,
    };
  },
};
