import { type AddressObject, type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

// A real SMTP server on a loopback port for the e-mail tests (issue 10: "tests send real SMTP to
// a real SMTP server"). It accepts any sender and recipient without authentication, parses every
// message with mailparser, and can be told to answer the next N messages with a 451 (a transient
// failure, RFC 5321 §4.2.2) or a 550 (permanent) so a test can watch the outbox retry.

/** A message the server accepted, parsed. */
export interface ReceivedMail {
  /** RCPT TO addresses of the SMTP envelope. */
  envelopeTo: string[];
  envelopeFrom: string;
  to: string[];
  from: string;
  subject: string;
  text: string;
  html: string;
  messageId: string;
  headers: ParsedMail['headers'];
  raw: string;
}

export interface TestSmtpServer {
  port: number;
  /** `smtp://127.0.0.1:<port>`: what SMTP_URL should be. */
  url: string;
  /** Every accepted message, in order. */
  messages: ReceivedMail[];
  /** How many DATA commands were answered with 451 so far. */
  rejected: number;
  /** Answers the next `count` messages with `code` (451 by default; 550 for a permanent refusal). */
  rejectNext(count: number, code?: number): void;
  /** Waits until a message matching `match` arrived (or `timeoutMs` passed); returns it. */
  waitFor(match: (m: ReceivedMail) => boolean, timeoutMs?: number): Promise<ReceivedMail>;
  close(): Promise<void>;
}

function addresses(field: AddressObject | AddressObject[] | undefined): string[] {
  const list = field === undefined ? [] : Array.isArray(field) ? field : [field];
  return list.flatMap((a) => a.value.map((v) => v.address ?? '')).filter(Boolean);
}

/** Starts the server on 127.0.0.1 and a free port. */
export async function startSmtpServer(): Promise<TestSmtpServer> {
  const messages: ReceivedMail[] = [];
  let toReject = 0;
  let rejectCode = 451;
  const waiters = new Set<() => void>();
  const state = { rejected: 0 };

  const server = new SMTPServer({
    authOptional: true,
    // No STARTTLS: nodemailer would upgrade and then refuse the server's self-signed certificate.
    disabledCommands: ['STARTTLS'],
    logger: false,
    // Tests close the server while the app's pool may still hold an idle connection.
    closeTimeout: 200,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (toReject > 0) {
          toReject -= 1;
          state.rejected += 1;
          const text = rejectCode >= 500 ? 'Refused (test server)' : 'Try again later (test server)';
          const error = Object.assign(new Error(text), { responseCode: rejectCode });
          callback(error);
          return;
        }
        const raw = Buffer.concat(chunks).toString('utf8');
        simpleParser(raw).then(
          (parsed) => {
            messages.push({
              envelopeTo: session.envelope.rcptTo.map((r) => r.address),
              envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              to: addresses(parsed.to),
              from: addresses(parsed.from)[0] ?? '',
              subject: parsed.subject ?? '',
              text: parsed.text ?? '',
              html: typeof parsed.html === 'string' ? parsed.html : '',
              messageId: parsed.messageId ?? '',
              headers: parsed.headers,
              raw,
            });
            for (const wake of waiters) wake();
            callback();
          },
          (error: Error) => callback(error),
        );
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    messages,
    get rejected() {
      return state.rejected;
    },
    rejectNext(count, code = 451) {
      toReject = count;
      rejectCode = code;
    },
    waitFor(match, timeoutMs = 10_000) {
      return new Promise<ReceivedMail>((resolve, reject) => {
        const check = () => {
          const found = messages.find(match);
          if (!found) return false;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching e-mail within ${timeoutMs} ms (got ${messages.length})`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
