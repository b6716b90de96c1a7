import type { Config } from '../../config/index.ts';
import type { Mailer } from './types.ts';

/** The mailer SMTP_URL names, or null when it is unset. (stub: the e-mail work fills it in) */
export function mailerFor(config: Readonly<Config>): Mailer | null {
  if (!config.smtpUrl) return null;
  return null;
}
