import nodemailer, { type NodemailerError } from 'nodemailer';
import type { Config } from '../../config/index.ts';
import type { Mailer, MailMessage, SendOutcome } from './types.ts';

// E-mail over SMTP with nodemailer (issue 10 §2). SMTP_URL is a nodemailer connection URL
// (smtp://user:pass@host:587 upgrades with STARTTLS when offered, smtps://…:465 is TLS from the
// start; query options such as ?pool=false are nodemailer's). The Message-ID is built from the
// delivery id, so a message resent after a crash carries the same id and a mail system (or a
// person) can tell it is the same message.

// The outbox's claim on a delivery lasts two minutes; a send must end well within it.
const CONNECTION_TIMEOUT_MS = 10_000;
const GREETING_TIMEOUT_MS = 10_000;
const SOCKET_TIMEOUT_MS = 30_000;

/** `<id@host>`: the delivery id at the host of PUBLIC_URL (RFC 5322 §3.6.4). */
export function messageIdFor(idempotencyKey: string, publicUrl: string): string {
  return `<${idempotencyKey}@${new URL(publicUrl).hostname}>`;
}

/** The mailer SMTP_URL names, or null when it is unset. */
export function mailerFor(config: Readonly<Config>): Mailer | null {
  if (!config.smtpUrl) return null;
  // A small pool: the worker sends up to five deliveries at once, and reusing a connection saves a
  // TLS handshake per message in a burst of notifications. Settings in the URL win over these.
  const transport = nodemailer.createTransport(
    {
      url: config.smtpUrl,
      pool: true,
      maxConnections: 3,
      connectionTimeout: CONNECTION_TIMEOUT_MS,
      greetingTimeout: GREETING_TIMEOUT_MS,
      socketTimeout: SOCKET_TIMEOUT_MS,
    },
    { from: config.mailFrom },
  );
  const publicUrl = config.publicUrl;
  return {
    send: async (message: MailMessage) => {
      await transport.sendMail({
        to: message.to,
        subject: message.subject,
        text: message.text,
        html: message.html,
        messageId: messageIdFor(message.idempotencyKey, publicUrl),
        headers: message.headers ?? {},
        // Nothing in our messages is fetched or read from disk: refuse it should a path slip in.
        disableFileAccess: true,
        disableUrlAccess: true,
      });
    },
    close: () => transport.close(),
  };
}

// Errors that say something is wrong with this message or its recipient: sending it again gets the
// same answer. Configuration problems (a refused password, TLS) are retried instead: an operator
// who fixes SMTP_URL within the retry window (about a day) gets the queued mail out.
const PERMANENT_CODES = new Set(['EENVELOPE', 'EMESSAGE', 'EMAXRECIPIENTS', 'ECONFIG']);

/**
 * What a failed SMTP send means for the outbox: a 5xx rejection of the message or recipient
 * (RFC 5321 §4.2.1: permanent negative completion) fails at once; a 4xx, a dropped or refused
 * connection, a timeout or an authentication failure is tried again later.
 */
export function smtpFailure(error: unknown): Extract<SendOutcome, { ok: false }> {
  const e = (error ?? {}) as NodemailerError;
  const rejected = e.rejectedErrors?.[0];
  const code = e.responseCode ?? rejected?.responseCode;
  const permanent =
    e.permanent ?? rejected?.permanent ?? (code === undefined && PERMANENT_CODES.has(e.code ?? ''));
  const detail = [e.code, e.response ?? e.message].filter(Boolean).join(' ') || 'SMTP send failed';
  return {
    ok: false,
    retry: !permanent,
    error: detail,
    ...(code !== undefined ? { statusCode: code } : {}),
  };
}
