import type { Deps } from '../deps.ts';
import {
  type IntegrationCredentials,
  integrationCredentials,
  integrationTarget,
  PROVIDER_NAMES,
  reportRefusedCredentials,
} from '../integrations.ts';
import type { Channel } from './channels.ts';
import {
  capText,
  durationText,
  errorCountText,
  hostOf,
  linkTitleText,
  providerMessage,
  retryable,
  sendJson,
} from './provider-http.ts';
import type { DeliveryJob, RecordingSummary, SendOutcome } from './types.ts';

// Help desks (issue 10 §6): when a recording arrives through a link made for an Intercom
// conversation or a Zendesk ticket (linkProviderType + linkProviderId) and the workspace has
// connected that provider, an internal note with the summary and the player URL goes into it.
// - Intercom: POST {base}/conversations/{id}/reply, Bearer token, Intercom-Version 2.11,
//   {message_type: 'note', type: 'admin', admin_id, body: HTML} (Reply to a conversation).
// - Zendesk: PUT {base}/api/v2/tickets/{id}.json, Basic "<email>/token:<api token>",
//   {ticket: {comment: {body, public: false}}} (comments are added by updating the ticket).
// Credentials are read at send time; a refusal (401/403) marks the integration "needs reconnect".

export const INTERCOM_VERSION = '2.11';

/** Notes carry at most this much of the customer's text. */
const MAX_NOTES = 5_000;

type HelpdeskProvider = 'intercom' | 'zendesk';

interface NotePayload {
  recordingId: string;
  /** The conversation (Intercom) or ticket (Zendesk) id from the link. */
  providerId: string;
  /** Intercom: HTML; Zendesk: plain text. */
  body: string;
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** The Intercom note: HTML (notes accept some formatting), every value escaped. */
export function intercomNote(recording: RecordingSummary): string {
  const notes = recording.notes?.trim() ? capText(recording.notes.trim(), MAX_NOTES) : null;
  const parts = [
    `<p><b>New Userplane recording</b> for ${escapeHtml(linkTitleText(recording))}</p>`,
    `<p>${escapeHtml(durationText(recording.durationMs))} · ${escapeHtml(errorCountText(recording.consoleErrorCount))}</p>`,
  ];
  if (notes) parts.push(`<p><b>Customer notes:</b><br>${escapeHtml(notes).replace(/\r?\n/g, '<br>')}</p>`);
  const url = escapeHtml(recording.playerUrl);
  parts.push(`<p><a href="${url}">Open the recording in Userplane</a><br>${url}</p>`);
  return parts.join('');
}

/** The Zendesk note: plain text (Zendesk shows `body` as typed). */
export function zendeskNote(recording: RecordingSummary): string {
  const notes = recording.notes?.trim() ? capText(recording.notes.trim(), MAX_NOTES) : null;
  const lines = [
    `New Userplane recording for ${linkTitleText(recording)}`,
    `${durationText(recording.durationMs)} · ${errorCountText(recording.consoleErrorCount)}`,
  ];
  if (notes) lines.push('', 'Customer notes:', notes);
  lines.push('', `Open the recording: ${recording.playerUrl}`);
  return lines.join('\n');
}

/** "Intercom conversation 123", "Zendesk ticket 456". */
function targetName(provider: HelpdeskProvider, id: string): string {
  return `${PROVIDER_NAMES[provider]} ${provider === 'intercom' ? 'conversation' : 'ticket'} ${capText(id, 60)}`;
}

/** The request of a note for each provider. */
function noteRequest(
  provider: HelpdeskProvider,
  credentials: IntegrationCredentials,
  payload: NotePayload,
  job: DeliveryJob,
): { url: string; method: 'POST' | 'PUT'; headers: Record<string, string>; body: unknown } {
  const id = encodeURIComponent(payload.providerId);
  // Sent to both; a provider that honours it drops a repeat after a crash (at-least-once).
  const idempotency = { 'idempotency-key': job.id };
  if (provider === 'intercom') {
    return {
      url: `${credentials.url}/conversations/${id}/reply`,
      method: 'POST',
      headers: {
        authorization: `Bearer ${credentials.secret}`,
        'intercom-version': INTERCOM_VERSION,
        ...idempotency,
      },
      body: { message_type: 'note', type: 'admin', admin_id: credentials.adminId, body: payload.body },
    };
  }
  const basic = Buffer.from(`${credentials.agentEmail}/token:${credentials.secret}`, 'utf8').toString(
    'base64',
  );
  return {
    url: `${credentials.url}/api/v2/tickets/${id}.json`,
    method: 'PUT',
    headers: { authorization: `Basic ${basic}`, ...idempotency },
    body: { ticket: { comment: { body: payload.body, public: false } } },
  };
}

async function sendNote(deps: Deps, provider: HelpdeskProvider, job: DeliveryJob): Promise<SendOutcome> {
  const name = PROVIDER_NAMES[provider];
  const payload = job.payload as NotePayload;
  const target = targetName(provider, payload.providerId);
  if (!job.workspaceId) return { ok: false, retry: false, error: `${name}: the delivery has no workspace` };
  if (provider === 'zendesk' && !/^\d{1,20}$/.test(payload.providerId))
    return { ok: false, retry: false, error: `${target}: Zendesk ticket ids are numbers` };
  const credentials = await integrationCredentials(deps, job.workspaceId, provider);
  if (!credentials)
    return { ok: false, retry: false, error: `${name} is no longer connected to this workspace` };
  const response = await sendJson(deps, {
    ...noteRequest(provider, credentials, payload, job),
    what: `${name} (${hostOf(credentials.url)})`,
  });
  if (!response.ok) return response.outcome;
  const { status, body } = response;
  const base = { statusCode: status, responseBody: body };
  if (status >= 200 && status < 300) return { ok: true, ...base };
  const said = providerMessage(body);
  const because = said ? `: ${said}` : '';
  if (retryable(status))
    return { ok: false, retry: true, error: `${name} answered ${status}${because}`, ...base };
  if (status === 401 || status === 403) {
    const what = provider === 'intercom' ? 'access token' : 'agent e-mail and API token';
    const detail = `${name} refused the ${what} (${status}${because}). Save new credentials to reconnect.`;
    await reportRefusedCredentials(deps, credentials, detail);
    return { ok: false, retry: false, error: detail, ...base };
  }
  if (status === 404)
    return { ok: false, retry: false, error: `${target} was not found (404)${because}`, ...base };
  return {
    ok: false,
    retry: false,
    error: `${name} refused the note for ${target} (${status})${because}`,
    ...base,
  };
}

function helpdeskChannel(
  provider: HelpdeskProvider,
  render: (recording: RecordingSummary) => string,
): Channel {
  return {
    channel: provider,
    plan: async (_deps, db, event) => {
      if (event.type !== 'recording.ready') return [];
      const recording = event.recording;
      const providerId = recording.linkProviderId?.trim();
      if (recording.linkProviderType !== provider || !providerId) return [];
      const target = await integrationTarget(db, event.workspaceId, provider);
      if (!target) return [];
      const payload: NotePayload = {
        recordingId: recording.recordingId,
        providerId,
        body: render(recording),
      };
      return [
        {
          channel: provider,
          workspaceId: event.workspaceId,
          targetId: null,
          summary: `${targetName(provider, providerId)} (${hostOf(target.baseUrl)}): recording ${recording.recordingId}`,
          payload,
        },
      ];
    },
    send: (deps, job) => sendNote(deps, provider, job),
  };
}

/** Internal notes in Intercom conversations and Zendesk tickets. */
export const helpdeskChannels: Channel[] = [
  helpdeskChannel('intercom', intercomNote),
  helpdeskChannel('zendesk', zendeskNote),
];
