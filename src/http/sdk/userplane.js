/*
 * Userplane embed script, served as /sdk/v1/userplane.js (classic script: defines window.Userplane)
 * and, wrapped by src/http/sdk/route.ts, as /sdk/v1/userplane.mjs (ES module). Protocol and upload
 * API: docs/recorder.md.
 *
 * From page load it keeps a bounded in-memory buffer of console calls, fetch/XHR requests and user
 * actions, masked as it is captured (so nothing secret is ever held, let alone sent). When the
 * customer records their screen through Userplane.open(), the recorder page sends an `attach`
 * message and the entries around the recording are uploaded straight from this origin.
 *
 * Plain modern JavaScript with no build step and no dependencies. Every hook catches its own errors:
 * a bug here must never break the page that embeds us.
 */
(() => {
  // biome-ignore lint/suspicious/noRedundantUseStrict: this file is a classic script (the .mjs wraps it)
  'use strict';
  const global = typeof window === 'undefined' ? undefined : window;
  if (!global?.document) return;

  // Including the script twice (or the classic script and the module) must not wrap console and
  // fetch twice: the first copy wins and later copies reuse its API. A registered symbol cannot
  // collide with a page's own `Userplane` object.
  const MARK = Symbol.for('userplane.embed');
  if (global.Userplane && global.Userplane[MARK] === true) return;

  const SDK_VERSION = 1;
  const REDACTED = '[redacted]';
  // The same marker the server adds when it cuts a string (src/domain/captured-data.ts).
  const TRUNCATED = '…[truncated]';

  // Longest text kept per field. The server caps again (it cannot trust any client); capping here
  // keeps the buffer small and avoids sending what would be cut anyway.
  const CAPS = {
    message: 10_000,
    stack: 20_000,
    url: 4_000,
    selector: 300,
    classes: 200,
    arg: 2_000,
    args: 50,
    header: 1_000,
    value: 1_000,
  };

  const DEFAULT_HEADER_ALLOW_LIST = [
    'content-type',
    'content-length',
    'accept',
    'x-request-id',
    'x-correlation-id',
    'cache-control',
  ];

  const DEFAULTS = {
    // How far before the start of a recording the upload reaches.
    lookBackSeconds: 300,
    // How long entries are kept while no recording is open (see retentionCutoff).
    maxAgeSeconds: 300,
    // At most this many entries per kind (console, network, action): bounds memory on chatty pages.
    maxEntries: 2_000,
    // Request and response bodies are personal data more often than not: off unless a site opts in.
    captureBodies: false,
    maxBodyBytes: 16 * 1024,
    headerAllowList: DEFAULT_HEADER_ALLOW_LIST,
    // The Userplane server's origin; defaults to the origin this script was loaded from.
    origin: null,
  };

  // The server keeps at most 64 KB per body; more would only be cut there.
  const MAX_BODY_BYTES_LIMIT = 64 * 1024;
  // A JSON body is read this far (even past maxBodyBytes) so it can be parsed and its secret keys
  // redacted before it is cut; a cut JSON text cannot be parsed.
  const JSON_PARSE_LIMIT = 256 * 1024;
  // A response body that has not finished arriving by then is kept as far as it got.
  const BODY_READ_TIMEOUT_MS = 10_000;
  // The recorder page waits 15 s for `userplane:attached`; answer before that.
  const UPLOAD_TIMEOUT_MS = 12_000;
  // Keystrokes in one field less than this apart are one `input` action, not one per key.
  const INPUT_COALESCE_MS = 1_000;

  const CONSOLE_LEVELS = ['log', 'info', 'warn', 'error', 'debug'];

  // ---------------------------------------------------------------------------------------------
  // Masking rules
  // ---------------------------------------------------------------------------------------------

  // A query parameter or JSON key is treated as a secret when its name contains one of these
  // (case-insensitive) anywhere: token, passw (password, passwd), pwd, secret, auth (authorization,
  // oauth, x-auth…), session, credential, signature, jwt, bearer, cookie, csrf, xsrf, cvv, cvc,
  // ssn, card (credit card numbers), api key / private key / access key in any spelling.
  // Over-masking a harmless name (e.g. `author`) costs little; missing a secret costs a lot. These
  // are the same names the server masks again (src/domain/captured-data.ts SECRET_NAME).
  const SECRET_SUBSTRING =
    /token|passw|pwd|secret|auth|session|credential|signature|jwt|bearer|cookie|csrf|xsrf|cvv|cvc|ssn|card|api[-_]?key|private[-_]?key|access[-_]?key/i;
  // Short names that are secrets only as a whole word of the name (`code`, `zip_code`, `apiKey`,
  // `cc_number`, `X-Amz-Sig`), so that e.g. `keyword`, `success` or `design` stay readable:
  // key, pass, pin, sess, sid, sig, code (OAuth codes, one-time codes), cc, otp, iban.
  const SECRET_WORDS = new Set(['key', 'pass', 'pin', 'sess', 'sid', 'sig', 'code', 'cc', 'otp', 'iban']);

  // Secret-looking values whatever their name: JSON Web Tokens and bearer credentials in text.
  const JWT_PATTERN = /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
  const BEARER_PATTERN = /\b(Bearer)\s+[A-Za-z0-9._~+/=-]{8,}/gi;

  // Headers whose values are credentials: recorded as `[redacted]` whenever they appear, whether or
  // not the allow-list names them, so the team can see that one was sent but never its value.
  const CREDENTIAL_HEADERS = new Set([
    'authorization',
    'proxy-authorization',
    'cookie',
    'set-cookie',
    'x-api-key',
  ]);

  // Elements whose content is never read: ours and the markers other session tools use, so a site
  // that already marks private areas for one of them is masked here too.
  // - Userplane: data-userplane-blur
  // - LogRocket: data-private
  // - Sentry Replay: data-sentry-mask, data-sentry-block, .sentry-mask, .sentry-block
  // - Hotjar: data-hj-suppress
  // - OpenReplay: data-openreplay-masked, data-openreplay-obscured, data-openreplay-hidden
  // - FullStory: .fs-mask, .fs-exclude, .fs-block
  // - Datadog RUM: data-dd-privacy="mask" | "hidden" | "mask-user-input"
  // - rrweb (PostHog, Highlight and others): .rr-mask, .rr-block; PostHog: .ph-no-capture
  // - Microsoft Clarity: data-clarity-mask="true"
  const MASK_SELECTOR = [
    '[data-userplane-blur]',
    '[data-private]',
    '[data-sentry-mask]',
    '[data-sentry-block]',
    '.sentry-mask',
    '.sentry-block',
    '[data-hj-suppress]',
    '[data-openreplay-masked]',
    '[data-openreplay-obscured]',
    '[data-openreplay-hidden]',
    '.fs-mask',
    '.fs-exclude',
    '.fs-block',
    '[data-dd-privacy="mask"]',
    '[data-dd-privacy="hidden"]',
    '[data-dd-privacy="mask-user-input"]',
    '.rr-mask',
    '.rr-block',
    '.ph-no-capture',
    '[data-clarity-mask="true"]',
    '[data-clarity-mask="True"]',
  ].join(', ');
  // Input values are captured only inside an element marked with this (and never for passwords).
  const CAPTURE_SELECTOR = '[data-userplane-capture]';
  // Our own overlay: clicks on it are not the customer's actions on the site.
  const OWN_UI_SELECTOR = '[data-userplane-ui]';
  // Autocomplete tokens of fields that hold secrets even when they are not type=password.
  const SENSITIVE_AUTOCOMPLETE = /password|one-time-code|cc-/i;
  const TEST_ID_ATTRIBUTES = ['data-testid', 'data-test-id', 'data-test', 'data-cy'];

  // The page's own functions, kept before wrapping: our uploads and warnings go through these so
  // that they never show up in the buffers.
  const originalFetch = typeof global.fetch === 'function' ? global.fetch : null;
  const originalConsole = {};
  for (const level of CONSOLE_LEVELS) {
    if (typeof console[level] === 'function') originalConsole[level] = console[level];
  }

  // Where this copy was loaded from. The .mjs wrapper (route.ts) declares `__userplaneModuleUrl`
  // as import.meta.url before this code, because a module has no document.currentScript; a classic
  // script reads its own tag, which is only set while the script first runs.
  const currentScript = global.document.currentScript;
  const scriptUrl = typeof __userplaneModuleUrl === 'string' ? __userplaneModuleUrl : currentScript?.src;

  const config = Object.assign({}, DEFAULTS, { origin: originOf(scriptUrl) });
  let headerAllowSet = new Set(config.headerAllowList);
  let customMeta;

  // ---------------------------------------------------------------------------------------------
  // Small helpers
  // ---------------------------------------------------------------------------------------------

  /** Runs a hook, swallowing anything it throws (the page must never see our errors). */
  function safely(fn) {
    try {
      return fn();
    } catch {
      return undefined;
    }
  }

  /** Warns through the page's original console so the warning is not captured. */
  function warn(message) {
    safely(() => originalConsole.warn?.call(console, `[Userplane] ${message}`));
  }

  function originOf(url) {
    if (typeof url !== 'string' || url === '') return null;
    return safely(() => {
      const parsed = new URL(url, global.location.href);
      return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.origin : null;
    });
  }

  /** `text` cut to at most `max` characters in all, marked when cut. */
  function cap(text, max) {
    if (text.length <= max) return text;
    return text.slice(0, Math.max(0, max - TRUNCATED.length)) + TRUNCATED;
  }

  /** Like cap, for a text that is already a cut prefix of something longer: always marked then. */
  function capPrefix(text, max, cut) {
    if (!cut) return cap(text, max);
    return text.slice(0, Math.max(0, max - TRUNCATED.length)) + TRUNCATED;
  }

  function toText(value) {
    try {
      return String(value);
    } catch {
      return '[unprintable]';
    }
  }

  function isError(value) {
    return (
      value instanceof Error ||
      (value !== null &&
        typeof value === 'object' &&
        typeof value.message === 'string' &&
        typeof value.name === 'string' &&
        typeof value.stack === 'string')
    );
  }

  // ---------------------------------------------------------------------------------------------
  // Masking
  // ---------------------------------------------------------------------------------------------

  const secretNameCache = new Map();

  /** Whether a parameter, key or header name looks like it holds a secret (see SECRET_SUBSTRING). */
  function isSecretName(name) {
    if (typeof name !== 'string' || name === '') return false;
    let verdict = secretNameCache.get(name);
    if (verdict !== undefined) return verdict;
    verdict =
      SECRET_SUBSTRING.test(name) ||
      name
        .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
        .toLowerCase()
        .split(/[^a-z0-9]+/)
        .some((word) => SECRET_WORDS.has(word));
    // Names repeat (the same keys in every response); a small cache keeps masking cheap.
    if (secretNameCache.size < 1_000) secretNameCache.set(name, verdict);
    return verdict;
  }

  /** Free text with JWTs and bearer credentials replaced. */
  function maskText(text) {
    if (text.indexOf('eyJ') === -1 && !/bearer/i.test(text)) return text;
    return text.replace(JWT_PATTERN, REDACTED).replace(BEARER_PATTERN, `$1 ${REDACTED}`);
  }

  /** `a=1&token=x` with the values of secret-named parameters replaced; everything else untouched. */
  function maskParams(query) {
    return query
      .split('&')
      .map((part) => {
        const eq = part.indexOf('=');
        if (eq === -1) return part;
        const rawName = part.slice(0, eq);
        let name = rawName;
        try {
          name = decodeURIComponent(rawName.replace(/\+/g, ' '));
        } catch {
          // A malformed escape: judge the name as written.
        }
        return isSecretName(name) ? `${rawName}=${REDACTED}` : part;
      })
      .join('&');
  }

  // A fragment can carry parameters too: OAuth's implicit flow puts `#access_token=…` there, and
  // hash routers put a query after the route (`#/reset?token=…`).
  function maskFragment(hash) {
    const body = hash.slice(1);
    const q = body.indexOf('?');
    if (q !== -1) return `#${body.slice(0, q + 1)}${maskParams(body.slice(q + 1))}`;
    return body.indexOf('=') === -1 ? hash : `#${maskParams(body)}`;
  }

  /**
   * An absolute URL with credentials removed, secret-named query (and fragment) parameters replaced
   * by `[redacted]`, token-looking values masked, and the whole capped. The query is rewritten by
   * hand rather than through URLSearchParams so the other parameters keep their exact spelling.
   */
  function maskUrl(raw) {
    const text = toText(raw);
    let url;
    try {
      url = new URL(text, global.location.href);
    } catch {
      return cap(maskText(text), CAPS.url);
    }
    // data: URLs hold the content itself, often large: keep only what kind it was.
    if (url.protocol === 'data:') return cap(`data:${url.pathname.split(/[;,]/)[0]},…`, CAPS.url);
    url.username = '';
    url.password = '';
    if (url.search.length > 1) url.search = maskParams(url.search.slice(1));
    if (url.hash.length > 1) url.hash = maskFragment(url.hash);
    return cap(maskText(url.href), CAPS.url);
  }

  /** Parsed JSON with secret-named keys replaced, at any depth. */
  function redactJson(value, depth) {
    if (depth > 50) return '[…]';
    if (typeof value === 'string') return maskText(value);
    if (Array.isArray(value)) return value.map((item) => redactJson(item, depth + 1));
    if (value !== null && typeof value === 'object') {
      const out = {};
      for (const key of Object.keys(value)) {
        out[key] = isSecretName(key) ? REDACTED : redactJson(value[key], depth + 1);
      }
      return out;
    }
    return value;
  }

  // When JSON cannot be parsed (cut, or not quite JSON), secret-named "key": value pairs are still
  // found and masked in the text. Object values under a secret key are not caught this way, but the
  // keys inside them are.
  const JSON_PAIR =
    /"((?:[^"\\\n]|\\.){1,200})"(\s*:\s*)("(?:[^"\\]|\\.)*(?:"|$)|-?[\d.eE+-]+|true|false|null)/g;
  function redactJsonText(text) {
    return text.replace(JSON_PAIR, (match, key, separator) =>
      isSecretName(key) ? `"${key}"${separator}"${REDACTED}"` : match,
    );
  }

  // ---------------------------------------------------------------------------------------------
  // Configuration
  // ---------------------------------------------------------------------------------------------

  function numberOption(name, value, min, max) {
    const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isFinite(n) || n < min || n > max) {
      throw new TypeError(`Userplane.init: ${name} must be a number from ${min} to ${max}`);
    }
    return n;
  }

  function booleanOption(name, value) {
    if (typeof value === 'boolean') return value;
    if (value === 'true' || value === '') return true;
    if (value === 'false') return false;
    throw new TypeError(`Userplane.init: ${name} must be true or false`);
  }

  /** Checked options merged over the current configuration; throws a TypeError naming a bad one. */
  function checkedOptions(options) {
    if (options === null || typeof options !== 'object') {
      throw new TypeError('Userplane.init: expected an options object');
    }
    const next = {};
    for (const key of Object.keys(options)) {
      const value = options[key];
      if (value === undefined) continue;
      switch (key) {
        case 'lookBackSeconds':
          next[key] = numberOption(key, value, 0, 3_600);
          break;
        case 'maxAgeSeconds':
          next[key] = numberOption(key, value, 1, 86_400);
          break;
        case 'maxEntries':
          next[key] = Math.floor(numberOption(key, value, 1, 100_000));
          break;
        case 'maxBodyBytes':
          next[key] = Math.floor(numberOption(key, value, 256, MAX_BODY_BYTES_LIMIT));
          break;
        case 'captureBodies':
          next[key] = booleanOption(key, value);
          break;
        case 'headerAllowList': {
          const list = typeof value === 'string' ? value.split(',') : value;
          if (!Array.isArray(list) || list.some((name) => typeof name !== 'string')) {
            throw new TypeError('Userplane.init: headerAllowList must be an array of header names');
          }
          next[key] = list.map((name) => name.trim().toLowerCase()).filter((name) => name !== '');
          break;
        }
        case 'origin': {
          const origin = originOf(value);
          if (!origin) throw new TypeError('Userplane.init: origin must be an http(s) URL or origin');
          next[key] = origin;
          break;
        }
        default:
          // A typo such as `captureBody` would otherwise be ignored without a word.
          throw new TypeError(`Userplane.init: unknown option "${key}"`);
      }
    }
    return next;
  }

  function applyOptions(options) {
    Object.assign(config, checkedOptions(options));
    headerAllowSet = new Set(config.headerAllowList);
    for (const kind of Object.keys(buffers)) prune(kind, Date.now());
  }

  // data-look-back-seconds, data-max-age-seconds, data-max-entries, data-capture-bodies,
  // data-max-body-bytes, data-header-allow-list (comma-separated), data-origin.
  function scriptTagOptions(element) {
    const data = element?.dataset;
    if (!data) return {};
    const options = {};
    for (const key of [
      'lookBackSeconds',
      'maxAgeSeconds',
      'maxEntries',
      'captureBodies',
      'maxBodyBytes',
      'headerAllowList',
      'origin',
    ]) {
      if (data[key] !== undefined) options[key] = data[key];
    }
    return options;
  }

  // ---------------------------------------------------------------------------------------------
  // The buffer
  // ---------------------------------------------------------------------------------------------

  // Entries keep absolute epoch-millisecond timestamps (the recorder page's startedAt is one too);
  // they become relative to the recording only when uploaded.
  const buffers = { console: [], network: [], action: [] };
  // The recorder window we opened, if any (see open()).
  let session = null;

  // While a recorder is open, entries from `lookBack` before its start are kept even past
  // maxAgeSeconds: a customer may take a while between opening the recorder and sending.
  // maxEntries still bounds memory.
  function retentionCutoff(now) {
    const byAge = now - config.maxAgeSeconds * 1000;
    if (!session || session.closed) return byAge;
    const start = session.startedAt !== null ? session.startedAt : now;
    return Math.min(byAge, start - config.lookBackSeconds * 1000);
  }

  function prune(kind, now) {
    const list = buffers[kind];
    const cutoff = retentionCutoff(now);
    let drop = Math.max(0, list.length - config.maxEntries);
    // Entries are in nearly ts order (a request is added when it ends, with its start time), so
    // trimming from the front by age is a close approximation; reads filter exactly.
    while (drop < list.length && list[drop].ts < cutoff) drop++;
    if (drop > 0) list.splice(0, drop);
  }

  function push(kind, entry) {
    const list = buffers[kind];
    list.push(entry);
    // Trimming in batches keeps a push O(1) on average.
    if (list.length >= config.maxEntries + Math.max(50, config.maxEntries >> 2)) prune(kind, Date.now());
  }

  /** The entries of one kind the limits allow now, oldest first. */
  function currentEntries(kind, now) {
    prune(kind, now);
    const cutoff = retentionCutoff(now);
    return buffers[kind]
      .filter((entry) => entry.ts >= cutoff)
      .sort((a, b) => a.ts - b.ts)
      .slice(-config.maxEntries);
  }

  // ---------------------------------------------------------------------------------------------
  // Console
  // ---------------------------------------------------------------------------------------------

  /**
   * A JSON-able copy of a console argument: strings masked and capped, secret-named keys redacted,
   * depth and size limited, cycles marked, DOM nodes described by tag/id/class (never their text).
   */
  function safeCopy(value, depth, ancestors, budget) {
    budget.left -= 1;
    if (budget.left < 0) return '[…]';
    switch (typeof value) {
      case 'string':
        return cap(maskText(value), CAPS.arg);
      case 'number':
        return Number.isFinite(value) ? value : String(value);
      case 'boolean':
        return value;
      case 'undefined':
        return '[undefined]';
      case 'bigint':
        return `${value}n`;
      case 'symbol':
        return toText(value);
      case 'function':
        return `[Function${value.name ? `: ${value.name}` : ''}]`;
    }
    if (value === null) return null;
    if (ancestors.has(value)) return '[Circular]';
    try {
      if (isError(value)) {
        return {
          name: cap(toText(value.name), 200),
          message: cap(maskText(toText(value.message)), CAPS.arg),
          ...(typeof value.stack === 'string' ? { stack: cap(maskText(value.stack), CAPS.arg) } : {}),
        };
      }
      if (value === global) return '[Window]';
      if (typeof Node !== 'undefined' && value instanceof Node) {
        return value.nodeType === 1 ? `[${selectorSegment(value)}]` : `[${value.nodeName}]`;
      }
      if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
      if (value instanceof RegExp) return toText(value);
      if (ArrayBuffer.isView(value)) return `[${value.constructor.name}(${value.byteLength} bytes)]`;
      if (value instanceof ArrayBuffer) return `[ArrayBuffer(${value.byteLength} bytes)]`;
      if (depth >= 6) return Array.isArray(value) ? '[Array]' : '[Object]';
      ancestors.add(value);
      try {
        if (Array.isArray(value) || value instanceof Set) {
          const items = Array.from(value).slice(0, 100);
          return items.map((item) => safeCopy(item, depth + 1, ancestors, budget));
        }
        if (value instanceof Map) {
          const out = {};
          for (const [key, item] of Array.from(value).slice(0, 100)) {
            const name = cap(toText(key), 200);
            out[name] = isSecretName(name) ? REDACTED : safeCopy(item, depth + 1, ancestors, budget);
          }
          return out;
        }
        const out = {};
        for (const key of Object.keys(value).slice(0, 100)) {
          const name = cap(key, 200);
          if (isSecretName(key)) {
            out[name] = REDACTED;
            continue;
          }
          let item;
          try {
            item = value[key];
          } catch {
            item = '[getter threw]';
          }
          out[name] = safeCopy(item, depth + 1, ancestors, budget);
        }
        return out;
      } finally {
        ancestors.delete(value);
      }
    } catch {
      // Proxies and exotic host objects can throw on any access.
      return '[unreadable]';
    }
  }

  /** How an argument reads in the message: strings as-is, errors as "Name: message", others as JSON. */
  function describe(raw, copy) {
    if (typeof raw === 'string') return maskText(raw);
    if (isError(raw)) return maskText(`${toText(raw.name)}: ${toText(raw.message)}`);
    if (typeof copy === 'string') return copy;
    return safely(() => JSON.stringify(copy)) || toText(copy);
  }

  // The message reads like the browser's own console line: printf-style %s %d %i %f %o %O %c in a
  // leading string are substituted (%c styling dropped), the remaining arguments appended.
  function formatMessage(raw, copies) {
    const parts = [];
    let next = 0;
    if (typeof raw[0] === 'string' && raw.length > 1 && raw[0].indexOf('%') !== -1) {
      next = 1;
      parts.push(
        raw[0].replace(/%([sdifoOc%])/g, (match, spec) => {
          if (spec === '%') return '%';
          if (next >= raw.length) return match;
          const value = raw[next];
          const copy = copies[next];
          next += 1;
          if (spec === 'c') return '';
          if (spec === 'd' || spec === 'i') return safely(() => String(Number.parseInt(value, 10))) || 'NaN';
          if (spec === 'f') return safely(() => String(Number.parseFloat(value))) || 'NaN';
          return describe(value, copy);
        }),
      );
    }
    for (let i = next; i < raw.length; i++) parts.push(describe(raw[i], copies[i]));
    return maskText(parts.join(' '));
  }

  // The call site of a console.error without an Error argument, minus our own frames.
  function callerStack() {
    const stack = new Error().stack;
    if (typeof stack !== 'string') return undefined;
    const lines = stack.split('\n').slice(1);
    const own = scriptUrl ? scriptUrl.split(/[?#]/)[0] : null;
    // Without our URL, drop the frames we know: callerStack, recordConsole, the console wrapper.
    const kept = own ? lines.filter((line) => line.indexOf(own) === -1) : lines.slice(3);
    return kept.length > 0 ? kept.join('\n') : undefined;
  }

  // The server keeps a structured argument only when it is small once serialized, and its cut text
  // otherwise (src/domain/captured-data.ts capJson); doing the same here keeps the buffer small.
  function fitArg(copy) {
    if (typeof copy === 'string') return copy;
    const json = safely(() => JSON.stringify(copy));
    if (json === undefined) return toText(copy);
    return json.length <= CAPS.arg ? copy : cap(json, CAPS.arg);
  }

  function recordConsole(level, args) {
    const raw = args.slice(0, CAPS.args);
    const budget = { left: 500 };
    const copies = raw.map((arg) => safeCopy(arg, 0, new Set(), budget));
    const entry = { ts: Date.now(), level, message: cap(formatMessage(raw, copies), CAPS.message) };
    // Primitive arguments are all in the message; structured ones are kept too, to be unfolded.
    if (raw.some((arg) => arg !== null && (typeof arg === 'object' || typeof arg === 'function'))) {
      entry.args = copies.map(fitArg);
    }
    const error = raw.find(isError);
    const stack =
      error && typeof error.stack === 'string' ? error.stack : level === 'error' ? callerStack() : null;
    if (stack) entry.stack = cap(maskText(stack), CAPS.stack);
    push('console', entry);
  }

  function installConsoleHooks() {
    // Guards against our own capture calling console (a getter that logs, a toString that warns).
    let busy = false;
    for (const level of CONSOLE_LEVELS) {
      const original = originalConsole[level];
      if (!original) continue;
      console[level] = function userplaneConsole(...args) {
        if (!busy) {
          busy = true;
          try {
            recordConsole(level, args);
          } catch {
            // Never let capture break logging.
          } finally {
            busy = false;
          }
        }
        return original.apply(this, args);
      };
    }

    global.addEventListener('error', (event) => {
      safely(() => {
        // Resource load errors (img, script) are plain Events and do not bubble to window.
        if (typeof ErrorEvent !== 'undefined' && !(event instanceof ErrorEvent)) return;
        const error = event.error;
        const message = event.message || (error ? describe(error) : 'Uncaught error');
        const stack =
          error && typeof error.stack === 'string'
            ? error.stack
            : event.filename
              ? `at ${event.filename}:${event.lineno}:${event.colno}`
              : undefined;
        push('console', {
          ts: Date.now(),
          level: 'error',
          message: cap(maskText(toText(message)), CAPS.message),
          ...(stack ? { stack: cap(maskText(stack), CAPS.stack) } : {}),
        });
      });
    });

    global.addEventListener('unhandledrejection', (event) => {
      safely(() => {
        const reason = event.reason;
        const copy = safeCopy(reason, 0, new Set(), { left: 500 });
        const entry = {
          ts: Date.now(),
          level: 'error',
          message: cap(`Unhandled promise rejection: ${describe(reason, copy)}`, CAPS.message),
        };
        if (reason !== null && typeof reason === 'object') entry.args = [fitArg(copy)];
        if (isError(reason)) entry.stack = cap(maskText(reason.stack), CAPS.stack);
        push('console', entry);
      });
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Network
  // ---------------------------------------------------------------------------------------------

  /** Allow-listed headers of [name, value] pairs; credential headers always as `[redacted]`. */
  function pickHeaders(pairs) {
    const out = {};
    let any = false;
    for (const [rawName, rawValue] of pairs) {
      const name = toText(rawName).trim().toLowerCase();
      if (CREDENTIAL_HEADERS.has(name)) {
        out[name] = REDACTED;
      } else if (headerAllowSet.has(name)) {
        // An allow-listed header named like a secret (x-auth-token) is still not read.
        out[name] = isSecretName(name) ? REDACTED : cap(maskText(toText(rawValue)), CAPS.header);
      } else {
        continue;
      }
      any = true;
    }
    return any ? out : undefined;
  }

  function headerPairs(headers) {
    const pairs = [];
    safely(() => {
      for (const [name, value] of headers) pairs.push([name, value]);
    });
    return pairs;
  }

  function parseRawHeaders(text) {
    const pairs = [];
    for (const line of toText(text || '').split(/\r?\n/)) {
      const colon = line.indexOf(':');
      if (colon > 0) pairs.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
    }
    return pairs;
  }

  function isJsonType(contentType) {
    return /[/+]json\b/i.test(contentType);
  }

  // Bodies worth reading as text; anything else (images, video, octet streams) is left alone.
  // Server-sent events never end, so reading a copy of one would hold memory forever.
  function isTextual(contentType) {
    if (!contentType) return true;
    if (/event-stream/i.test(contentType)) return false;
    return /^text\/|json|xml|javascript|x-www-form-urlencoded|graphql|csv|yaml/i.test(contentType);
  }

  /** Body text as stored: JSON parsed and redacted, forms masked by field name, all capped. */
  function maskBody(text, contentType, cut) {
    const max = config.maxBodyBytes;
    const trimmed = text.trim();
    if (isJsonType(contentType) || /^[[{]/.test(trimmed)) {
      if (!cut) {
        const parsed = safely(() => JSON.stringify(redactJson(JSON.parse(trimmed), 0)));
        if (parsed !== undefined) return cap(parsed, max);
      }
      return capPrefix(maskText(redactJsonText(text)), max, cut);
    }
    if (/x-www-form-urlencoded/i.test(contentType)) return capPrefix(maskParams(text), max, cut);
    return capPrefix(maskText(text), max, cut);
  }

  function readLimit(contentType) {
    return isJsonType(contentType) ? Math.max(config.maxBodyBytes, JSON_PARSE_LIMIT) : config.maxBodyBytes;
  }

  /** Up to `limit` bytes of a stream as text; cancels the stream (a copy of the caller's) after. */
  async function readStream(stream, limit) {
    const reader = stream.getReader();
    const decoder = new TextDecoder();
    let text = '';
    let bytes = 0;
    let cut = false;
    const timer = setTimeout(() => {
      cut = true;
      reader.cancel().catch(() => {});
    }, BODY_READ_TIMEOUT_MS);
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        const chunk = value instanceof Uint8Array ? value : new Uint8Array(value);
        if (bytes + chunk.byteLength > limit) {
          text += decoder.decode(chunk.subarray(0, limit - bytes), { stream: true });
          cut = true;
          break;
        }
        bytes += chunk.byteLength;
        text += decoder.decode(chunk, { stream: true });
      }
    } finally {
      clearTimeout(timer);
      if (cut) reader.cancel().catch(() => {});
    }
    return { text: text + decoder.decode(), cut };
  }

  /**
   * A request body as stored text, or a promise of it; never consumes the caller's body (strings,
   * forms and blobs can be read any number of times; streams are not read at all).
   */
  function describeRequestBody(body, contentType) {
    if (body === null || body === undefined) return undefined;
    if (typeof body === 'string') {
      const limit = readLimit(contentType);
      return maskBody(body.slice(0, limit), contentType, body.length > limit);
    }
    if (typeof URLSearchParams !== 'undefined' && body instanceof URLSearchParams) {
      return cap(maskParams(body.toString()), config.maxBodyBytes);
    }
    if (typeof FormData !== 'undefined' && body instanceof FormData) {
      const fields = [];
      for (const [name, value] of body) {
        const text =
          typeof value === 'string'
            ? isSecretName(name)
              ? REDACTED
              : encodeURIComponent(maskText(value))
            : `[file ${encodeURIComponent(value.name || '')}, ${value.size} bytes]`;
        fields.push(`${encodeURIComponent(name)}=${text}`);
      }
      return cap(`[form-data] ${fields.join('&')}`, config.maxBodyBytes);
    }
    if (typeof Blob !== 'undefined' && body instanceof Blob) {
      const type = body.type || contentType;
      if (!isTextual(type) || !type) return `[blob ${type || 'unknown type'}, ${body.size} bytes]`;
      const limit = readLimit(type);
      return body
        .slice(0, limit)
        .text()
        .then((text) => maskBody(text, type, body.size > limit));
    }
    if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) return `[binary, ${body.byteLength} bytes]`;
    if (typeof ReadableStream !== 'undefined' && body instanceof ReadableStream) return '[stream]';
    if (typeof Document !== 'undefined' && body instanceof Document) return '[document]';
    return undefined;
  }

  // Fills entry[field] from a value or a promise of one, whenever it arrives.
  function setBody(entry, field, body) {
    if (body === undefined) return;
    if (typeof body === 'string') {
      entry[field] = body;
      return;
    }
    Promise.resolve(body).then(
      (text) => {
        if (typeof text === 'string') entry[field] = text;
      },
      () => {},
    );
  }

  function responseBodyOf(response, contentType) {
    if (!response.body || !isTextual(contentType)) return undefined;
    // Read a copy so the caller's Response stays unread; clone() must happen before the caller
    // gets the response, which is why this runs inside our then() and not later.
    const copy = response.clone();
    return readStream(copy.body, readLimit(contentType)).then(({ text, cut }) =>
      maskBody(text, contentType, cut),
    );
  }

  function installFetchHook() {
    if (!originalFetch) return;
    global.fetch = function userplaneFetch(...args) {
      const pending = safely(() => beginFetch(args[0], args[1]));
      const promise = originalFetch.apply(this, args);
      if (!pending) return promise;
      // The caller gets the very Response (or error) the browser produced; we only look at it.
      return promise.then(
        (response) => {
          safely(() => endFetch(pending, response));
          return response;
        },
        (error) => {
          safely(() => endFetch(pending, null));
          throw error;
        },
      );
    };
  }

  function beginFetch(input, init) {
    const options = init || {};
    const isRequest = typeof Request !== 'undefined' && input instanceof Request;
    const headers = new Headers(isRequest ? input.headers : undefined);
    if (options.headers) {
      for (const [name, value] of new Headers(options.headers)) headers.set(name, value);
    }
    const method = toText(options.method || (isRequest ? input.method : 'GET')).toUpperCase();
    const entry = {
      ts: Date.now(),
      method: cap(method, 32),
      url: maskUrl(isRequest ? input.url : input),
      status: 0,
      durationMs: 0,
    };
    const requestHeaders = pickHeaders(headerPairs(headers));
    if (requestHeaders) entry.requestHeaders = requestHeaders;
    if (config.captureBodies) {
      const contentType = headers.get('content-type') || '';
      if (options.body !== undefined && options.body !== null) {
        setBody(entry, 'requestBody', describeRequestBody(options.body, contentType));
      } else if (isRequest && input.body && !input.bodyUsed) {
        // Cloned now, before fetch() consumes the caller's Request.
        const copy = input.clone();
        setBody(
          entry,
          'requestBody',
          readStream(copy.body, readLimit(contentType)).then(({ text, cut }) =>
            maskBody(text, contentType, cut),
          ),
        );
      }
    }
    return { entry, started: performance.now() };
  }

  function endFetch(pending, response) {
    const entry = pending.entry;
    // Time to the response headers: the caller reads the body at its own pace.
    entry.durationMs = Math.round(performance.now() - pending.started);
    if (response) {
      entry.status = response.status;
      const responseHeaders = pickHeaders(headerPairs(response.headers));
      if (responseHeaders) entry.responseHeaders = responseHeaders;
      if (config.captureBodies) {
        const contentType = response.headers.get('content-type') || '';
        setBody(
          entry,
          'responseBody',
          safely(() => responseBodyOf(response, contentType)),
        );
      }
    }
    push('network', entry);
  }

  function installXhrHook() {
    const Xhr = global.XMLHttpRequest;
    if (typeof Xhr !== 'function' || !Xhr.prototype) return;
    const proto = Xhr.prototype;
    const originalOpen = proto.open;
    const originalSend = proto.send;
    const originalSetRequestHeader = proto.setRequestHeader;
    const state = new WeakMap();

    // Arguments are passed through as given: open(method, url) and open(method, url, undefined)
    // differ (the second is synchronous), so the count must not change.
    proto.open = function userplaneOpen(...args) {
      safely(() =>
        state.set(this, { method: toText(args[0] || 'GET').toUpperCase(), url: args[1], headers: [] }),
      );
      return originalOpen.apply(this, args);
    };

    proto.setRequestHeader = function userplaneSetRequestHeader(...args) {
      safely(() => {
        const s = state.get(this);
        if (s) s.headers.push([args[0], args[1]]);
      });
      return originalSetRequestHeader.apply(this, args);
    };

    proto.send = function userplaneSend(...args) {
      safely(() => {
        const s = state.get(this);
        if (!s) return;
        const entry = {
          ts: Date.now(),
          method: cap(s.method, 32),
          url: maskUrl(s.url),
          status: 0,
          durationMs: 0,
        };
        const requestHeaders = pickHeaders(s.headers);
        if (requestHeaders) entry.requestHeaders = requestHeaders;
        if (config.captureBodies) {
          const typeHeader = s.headers.find(([name]) => toText(name).toLowerCase() === 'content-type');
          setBody(
            entry,
            'requestBody',
            describeRequestBody(args[0], typeHeader ? toText(typeHeader[1]) : ''),
          );
        }
        const started = performance.now();
        const xhr = this;
        const onEnd = () => {
          xhr.removeEventListener('loadend', onEnd);
          safely(() => endXhr(xhr, entry, started));
        };
        // loadend follows load, error, abort and timeout alike; status is 0 for all but load.
        xhr.addEventListener('loadend', onEnd);
      });
      return originalSend.apply(this, args);
    };
  }

  function endXhr(xhr, entry, started) {
    entry.durationMs = Math.round(performance.now() - started);
    entry.status = xhr.status;
    const pairs = parseRawHeaders(xhr.getAllResponseHeaders());
    const responseHeaders = pickHeaders(pairs);
    if (responseHeaders) entry.responseHeaders = responseHeaders;
    if (config.captureBodies) {
      const typePair = pairs.find(([name]) => name.toLowerCase() === 'content-type');
      const contentType = typePair ? typePair[1] : '';
      if ((xhr.responseType === '' || xhr.responseType === 'text') && isTextual(contentType)) {
        const limit = readLimit(contentType);
        const text = xhr.responseText;
        entry.responseBody = maskBody(text.slice(0, limit), contentType, text.length > limit);
      } else if (xhr.responseType === 'json' && xhr.response !== null) {
        entry.responseBody = cap(JSON.stringify(redactJson(xhr.response, 0)), config.maxBodyBytes);
      }
    }
    push('network', entry);
  }

  // ---------------------------------------------------------------------------------------------
  // User actions
  // ---------------------------------------------------------------------------------------------

  function cssEscape(text) {
    if (typeof CSS !== 'undefined' && typeof CSS.escape === 'function') return CSS.escape(text);
    return text.replace(/[^\w-]/g, (ch) => `\\${ch}`);
  }

  /** One element as `tag#id[data-testid="…"].class…`: attributes the developer wrote, never text. */
  function selectorSegment(element) {
    let out = (element.localName || element.nodeName || '').toLowerCase();
    if (element.id) out += `#${cssEscape(element.id)}`;
    for (const name of TEST_ID_ATTRIBUTES) {
      const value = element.getAttribute(name);
      if (value) {
        out += `[${name}="${value.replace(/["\\]/g, '\\$&')}"]`;
        break;
      }
    }
    let classes = '';
    for (const name of Array.from(element.classList || [])) {
      const next = `.${cssEscape(name)}`;
      if (classes.length + next.length > CAPS.classes) break;
      classes += next;
    }
    return cap(out + classes, CAPS.selector);
  }

  /** A short path to the element, from the nearest ancestor with an id or test id (≤ 5 steps). */
  function selectorFor(element) {
    const parts = [];
    let node = element;
    for (let depth = 0; node && node.nodeType === 1 && depth < 5; depth++) {
      const tag = node.localName;
      if (tag === 'body' || tag === 'html') break;
      parts.unshift(selectorSegment(node));
      if (node.id || TEST_ID_ATTRIBUTES.some((name) => node.hasAttribute(name))) break;
      node = node.parentElement;
    }
    if (parts.length === 0) parts.push((element.localName || 'unknown').toLowerCase());
    // Keep the end of the path (the element itself) when the whole would be too long.
    while (parts.length > 1 && parts.join(' > ').length > CAPS.selector) parts.shift();
    return cap(parts.join(' > '), CAPS.selector);
  }

  // closest() stops at a shadow root; a masked host must mask what is inside its shadow tree too.
  function closestAcrossShadow(element, selector) {
    let node = element;
    while (node) {
      const found = node.closest(selector);
      if (found) return found;
      const root = node.getRootNode();
      node = root?.host ? root.host : null;
    }
    return null;
  }

  function isMasked(element) {
    return closestAcrossShadow(element, MASK_SELECTOR) !== null;
  }

  // Inputs that were ever a password stay one: "show password" buttons switch type to text.
  const passwordInputs = new WeakSet();

  /** The value an input action may carry, or undefined: only when opted in, never for secrets. */
  function inputValue(element) {
    if (isMasked(element) || !closestAcrossShadow(element, CAPTURE_SELECTOR)) return undefined;
    const tag = element.localName;
    if (tag === 'input') {
      const type = toText(element.type).toLowerCase();
      if (type === 'password') passwordInputs.add(element);
      if (passwordInputs.has(element) || type === 'hidden' || type === 'file') return undefined;
      if (SENSITIVE_AUTOCOMPLETE.test(element.getAttribute('autocomplete') || '')) return undefined;
      if (isSecretName(element.name) || isSecretName(element.id)) return undefined;
      if (type === 'checkbox' || type === 'radio') return element.checked ? 'checked' : 'unchecked';
      return cap(maskText(toText(element.value)), CAPS.value);
    }
    if (tag === 'textarea' || tag === 'select') {
      if (isSecretName(element.name) || isSecretName(element.id)) return undefined;
      return cap(maskText(toText(element.value)), CAPS.value);
    }
    // contenteditable and custom elements: their text is content, not a form value; not read.
    return undefined;
  }

  // The element an event really started on, inside open shadow roots too.
  function eventElement(event) {
    const path = typeof event.composedPath === 'function' ? event.composedPath() : [];
    const first = path.length > 0 ? path[0] : event.target;
    if (first && first.nodeType === 1) return first;
    return first?.parentElement ? first.parentElement : null;
  }

  let lastInput = null;
  let lastNavigationUrl = null;

  function recordNavigation() {
    const url = maskUrl(global.location.href);
    // popstate and hashchange both fire for one hash change; replaceState often keeps the URL.
    if (url === lastNavigationUrl) return;
    lastNavigationUrl = url;
    push('action', { ts: Date.now(), type: 'navigation', url });
  }

  function installActionHooks() {
    // Capture phase on window: seen before the page's handlers can stop the event.
    global.addEventListener(
      'click',
      (event) => {
        safely(() => {
          const element = eventElement(event);
          if (!element || closestAcrossShadow(element, OWN_UI_SELECTOR)) return;
          const entry = { ts: Date.now(), type: 'click', selector: selectorFor(element) };
          // A click from the keyboard (Enter on a button) has no pointer position.
          if (event.detail !== 0 || event.clientX !== 0 || event.clientY !== 0) {
            entry.x = Math.round(event.clientX);
            entry.y = Math.round(event.clientY);
          }
          push('action', entry);
        });
      },
      true,
    );

    global.addEventListener(
      'input',
      (event) => {
        safely(() => {
          const element = eventElement(event);
          if (!element || closestAcrossShadow(element, OWN_UI_SELECTOR)) return;
          const now = Date.now();
          const value = inputValue(element);
          if (lastInput && lastInput.element === element && now - lastInput.at < INPUT_COALESCE_MS) {
            lastInput.at = now;
            if (value !== undefined) lastInput.entry.value = value;
            return;
          }
          const entry = { ts: now, type: 'input', selector: selectorFor(element) };
          if (value !== undefined) entry.value = value;
          lastInput = { element, entry, at: now };
          push('action', entry);
        });
      },
      true,
    );

    const history = global.history;
    for (const name of ['pushState', 'replaceState']) {
      const original = history?.[name];
      if (typeof original !== 'function') continue;
      history[name] = function userplaneHistory(...args) {
        const result = original.apply(this, args);
        safely(recordNavigation);
        return result;
      };
    }
    global.addEventListener('popstate', () => safely(recordNavigation));
    global.addEventListener('hashchange', () => safely(recordNavigation));
    safely(recordNavigation);
  }

  // ---------------------------------------------------------------------------------------------
  // Metadata
  // ---------------------------------------------------------------------------------------------

  const BROWSERS = [
    ['Edge', /Edg(?:e|A|iOS)?\/(\d+)/],
    ['Opera', /OPR\/(\d+)/],
    ['Samsung Internet', /SamsungBrowser\/(\d+)/],
    ['Firefox', /(?:Firefox|FxiOS)\/(\d+)/],
    ['Chrome', /(?:Chrome|CriOS)\/(\d+)/],
    ['Safari', /Version\/(\d+)[\d.]*.*Safari\//],
  ];

  function browserName(ua) {
    for (const [name, pattern] of BROWSERS) {
      const match = pattern.exec(ua);
      if (match) return `${name} ${match[1]}`;
    }
    return 'Unknown';
  }

  function osName(ua) {
    let match = /Windows NT/.exec(ua);
    if (match) return 'Windows';
    match = /Android (\d+)/.exec(ua);
    if (match) return `Android ${match[1]}`;
    match = /(?:iPhone|iPad|iPod).*? OS (\d+)/.exec(ua);
    if (match) return `iOS ${match[1]}`;
    if (/CrOS/.test(ua)) return 'ChromeOS';
    if (/Mac OS X|Macintosh/.test(ua)) return 'macOS';
    if (/Linux/.test(ua)) return 'Linux';
    return 'Unknown';
  }

  function positive(n, fallback) {
    const rounded = Math.round(Number(n));
    return rounded > 0 ? rounded : fallback;
  }

  /** The browser environment sent as systemMeta (the server's SystemMetaSchema and a few extras). */
  function systemMeta() {
    const nav = global.navigator || {};
    const ua = toText(nav.userAgent || '');
    const viewport = { width: positive(global.innerWidth, 1), height: positive(global.innerHeight, 1) };
    const screen = global.screen || {};
    return {
      browser: browserName(ua),
      os: osName(ua),
      screen: {
        width: positive(screen.width, viewport.width),
        height: positive(screen.height, viewport.height),
      },
      url: maskUrl(global.location.href),
      userAgent: cap(ua, 1_000),
      language: toText(nav.language || ''),
      timezone: safely(() => Intl.DateTimeFormat().resolvedOptions().timeZone) || '',
      viewport,
    };
  }

  const MAX_METADATA_BYTES = 10 * 1024;

  function setMetadata(meta) {
    if (meta === null || typeof meta !== 'object' || Array.isArray(meta)) {
      throw new TypeError('Userplane.setMetadata: expected a plain object');
    }
    let json;
    try {
      json = JSON.stringify(meta);
    } catch (error) {
      throw new TypeError(
        `Userplane.setMetadata: the object cannot be serialized as JSON (${error.message})`,
      );
    }
    const bytes = new TextEncoder().encode(json).byteLength;
    if (bytes > MAX_METADATA_BYTES) {
      throw new Error(
        `Userplane.setMetadata: metadata must be at most ${MAX_METADATA_BYTES} bytes as JSON (got ${bytes})`,
      );
    }
    // A copy: later changes to the caller's object do not change what is sent.
    customMeta = JSON.parse(json);
  }

  // ---------------------------------------------------------------------------------------------
  // The recorder window and the postMessage protocol (docs/recorder.md)
  // ---------------------------------------------------------------------------------------------

  const LINK_ID = /^lnk_[0-9A-Za-z]{1,60}$/;

  /** {linkId, origin, recorderUrl} from `lnk_…` or a link URL (`https://server/r/lnk_…`). */
  function parseLink(target) {
    const text = typeof target === 'string' ? target.trim() : '';
    if (LINK_ID.test(text)) {
      if (!config.origin) {
        throw new Error(
          'Userplane.open: no Userplane server origin is known; pass a full link URL or call Userplane.init({origin})',
        );
      }
      return { linkId: text, origin: config.origin, recorderUrl: `${config.origin}/r/${text}?embed=1` };
    }
    const url = safely(() => new URL(text));
    const match = url && /^(.*)\/r\/(lnk_[0-9A-Za-z]{1,60})\/?$/.exec(url.pathname);
    if (!match || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
      throw new TypeError(
        'Userplane.open: expected a link id (lnk_…) or a link URL (https://your-server/r/lnk_…)',
      );
    }
    // The link's server may live under a path (PUBLIC_URL with a path); keep it.
    return {
      linkId: match[2],
      origin: url.origin,
      recorderUrl: `${url.origin}${match[1]}/r/${match[2]}?embed=1`,
    };
  }

  function styleElement(element, styles) {
    // CSSOM properties, not a style attribute: a page CSP without 'unsafe-inline' allows them.
    // `important` keeps the page's own CSS (iframe { width: 100% !important }) from resizing us.
    for (const name of Object.keys(styles)) element.style.setProperty(name, styles[name], 'important');
  }

  function createOverlay(url, onClose) {
    const doc = global.document;
    const root = doc.createElement('div');
    root.setAttribute('data-userplane-ui', '');
    root.setAttribute('role', 'dialog');
    root.setAttribute('aria-modal', 'true');
    root.setAttribute('aria-label', 'Screen recorder');
    styleElement(root, {
      position: 'fixed',
      top: '0',
      right: '0',
      bottom: '0',
      left: '0',
      'z-index': '2147483647',
      display: 'flex',
      'align-items': 'center',
      'justify-content': 'center',
      background: 'rgba(15, 23, 42, 0.6)',
      margin: '0',
      padding: '0',
    });
    const frame = doc.createElement('iframe');
    frame.setAttribute('title', 'Userplane recorder');
    // The recorder asks for the screen (getDisplayMedia) and maybe the microphone; a cross-origin
    // iframe may only do that when the embedding page delegates the permissions.
    frame.setAttribute('allow', 'display-capture; microphone');
    frame.src = url;
    styleElement(frame, {
      width: 'min(900px, calc(100vw - 32px))',
      height: 'min(760px, calc(100vh - 32px))',
      border: '0',
      'border-radius': '12px',
      background: '#fff',
      'box-shadow': '0 20px 60px rgba(0, 0, 0, 0.35)',
    });
    const close = doc.createElement('button');
    close.type = 'button';
    close.textContent = '×';
    close.setAttribute('aria-label', 'Close the recorder');
    styleElement(close, {
      position: 'absolute',
      top: '12px',
      right: '12px',
      width: '36px',
      height: '36px',
      margin: '0',
      padding: '0',
      border: '0',
      'border-radius': '18px',
      background: '#fff',
      color: '#111827',
      font: '24px/36px system-ui, sans-serif',
      'text-align': 'center',
      cursor: 'pointer',
      'box-shadow': '0 2px 8px rgba(0, 0, 0, 0.3)',
    });
    close.addEventListener('click', onClose);
    root.append(frame, close);
    (doc.body || doc.documentElement).appendChild(root);
    return { root, frame };
  }

  function isTime(value) {
    return typeof value === 'number' && Number.isFinite(value) && value > 0;
  }

  function endSession(s) {
    if (s.closed) return;
    s.closed = true;
    global.removeEventListener('message', s.onMessage);
    clearInterval(s.watch);
    if (s.overlay) s.overlay.root.remove();
    if (session === s) session = null;
  }

  function post(s, message) {
    safely(() => s.target.postMessage(message, s.origin));
  }

  function onMessage(s, event) {
    // Only our server's page, and only in the window we opened: another window of the same origin
    // (an iframe the page embeds) or any other origin cannot drive the uploads.
    if (s.closed || event.origin !== s.origin || !event.source || event.source !== s.target) return;
    const data = event.data;
    if (data === null || typeof data !== 'object' || typeof data.type !== 'string') return;
    switch (data.type) {
      case 'userplane:ready':
        // Sent again after a reload of the recorder page: greet it again.
        post(s, { type: 'userplane:hello', sdkVersion: SDK_VERSION });
        break;
      case 'userplane:recording-started':
        if (isTime(data.startedAt)) {
          s.startedAt = data.startedAt;
          s.stoppedAt = null;
        }
        break;
      case 'userplane:recording-stopped':
        if (isTime(data.stoppedAt)) s.stoppedAt = data.stoppedAt;
        break;
      case 'userplane:attach':
        attach(s, data);
        break;
    }
  }

  function attach(s, data) {
    const recordingId = data.recordingId;
    if (typeof recordingId !== 'string' || !/^[\w-]{1,100}$/.test(recordingId)) return;
    const answer = (ok, error) =>
      post(s, {
        type: 'userplane:attached',
        recordingId,
        ok,
        ...(error ? { error: cap(error, 1_000) } : {}),
      });
    const startedAt = isTime(data.startedAt) ? data.startedAt : s.startedAt;
    const stoppedAt = isTime(data.stoppedAt) ? data.stoppedAt : s.stoppedAt || Date.now();
    const apiBase = typeof data.apiBase === 'string' ? data.apiBase.replace(/\/+$/, '') : '';
    // The upload token goes only to the server whose page handed it over.
    if (originOf(apiBase) !== s.origin) return answer(false, 'apiBase must be on the recorder origin');
    if (typeof data.uploadToken !== 'string' || data.uploadToken === '')
      return answer(false, 'no uploadToken');
    if (!isTime(startedAt)) return answer(false, 'no startedAt');
    // A page that repeats attach while the first upload runs gets the first one's answer.
    if (s.uploading.has(recordingId)) return;
    s.uploading.add(recordingId);
    uploadAll({ recordingId, uploadToken: data.uploadToken, apiBase, startedAt, stoppedAt })
      .then(
        () => answer(true),
        (error) => answer(false, error?.message ? error.message : toText(error)),
      )
      .finally(() => s.uploading.delete(recordingId));
  }

  /** The entries of one kind within [startedAt − lookBack, stoppedAt], ts relative to startedAt. */
  function entriesFor(kind, startedAt, stoppedAt) {
    const from = startedAt - config.lookBackSeconds * 1000;
    return buffers[kind]
      .filter((entry) => entry.ts >= from && entry.ts <= stoppedAt)
      .sort((a, b) => a.ts - b.ts)
      .slice(-config.maxEntries)
      .map((entry) => Object.assign({}, entry, { ts: Math.max(0, Math.round(entry.ts - startedAt)) }));
  }

  async function put(url, token, contentType, body) {
    const controller = typeof AbortController === 'function' ? new AbortController() : null;
    const timer = controller ? setTimeout(() => controller.abort(), UPLOAD_TIMEOUT_MS) : null;
    try {
      // The page's original fetch: our uploads never enter the network buffer. No cookies: the
      // upload token is the only credential, and the server checks this page's Origin.
      const response = await originalFetch.call(global, url, {
        method: 'PUT',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': contentType },
        body,
        credentials: 'omit',
        cache: 'no-store',
        ...(controller ? { signal: controller.signal } : {}),
      });
      if (!response.ok) {
        const detail = await response.text().then(
          (text) => safely(() => JSON.parse(text).message) || '',
          () => '',
        );
        throw new Error(`HTTP ${response.status}${detail ? ` ${detail}` : ''}`);
      }
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  async function uploadAll(job) {
    if (!originalFetch) throw new Error('this browser has no fetch');
    const base = `${job.apiBase}/recordings/${encodeURIComponent(job.recordingId)}`;
    const consoleLines = entriesFor('console', job.startedAt, job.stoppedAt).map((e) => JSON.stringify(e));
    const meta = { systemMeta: systemMeta(), ...(customMeta ? { customMeta } : {}) };
    const uploads = [
      ['console-log', 'application/x-ndjson', consoleLines.map((line) => `${line}\n`).join('')],
      [
        'network-log',
        'application/json',
        JSON.stringify(entriesFor('network', job.startedAt, job.stoppedAt)),
      ],
      ['action', 'application/json', JSON.stringify(entriesFor('action', job.startedAt, job.stoppedAt))],
      ['metadata', 'application/json', JSON.stringify(meta)],
    ];
    const results = await Promise.allSettled(
      uploads.map(([kind, type, body]) => put(`${base}/${kind}`, job.uploadToken, type, body)),
    );
    const failures = [];
    results.forEach((result, i) => {
      if (result.status === 'rejected') {
        const reason = result.reason;
        failures.push(`${uploads[i][0]}: ${reason?.message ? reason.message : toText(reason)}`);
      }
    });
    if (failures.length > 0) throw new Error(failures.join('; '));
  }

  function open(target, options) {
    const mode = options && options.mode !== undefined ? options.mode : 'popup';
    if (mode !== 'popup' && mode !== 'iframe') {
      throw new TypeError('Userplane.open: mode must be "popup" or "iframe"');
    }
    const link = parseLink(target);
    if (session && !session.closed) {
      const alive = session.mode === 'iframe' || (session.target && !session.target.closed);
      // Clicking the button again brings the recorder of that link forward rather than a second one.
      if (alive && session.linkId === link.linkId && session.mode === mode) {
        safely(() => (session.mode === 'popup' ? session.target.focus() : session.overlay.frame.focus()));
        return session.handle;
      }
      session.handle.close();
    }
    const s = {
      linkId: link.linkId,
      origin: link.origin,
      mode,
      target: null,
      overlay: null,
      startedAt: null,
      stoppedAt: null,
      closed: false,
      uploading: new Set(),
      watch: null,
      onMessage: null,
      handle: null,
    };
    s.onMessage = (event) => safely(() => onMessage(s, event));
    s.handle = Object.freeze({
      mode,
      linkId: link.linkId,
      close() {
        safely(() => {
          if (s.mode === 'popup' && s.target && !s.target.closed) s.target.close();
        });
        endSession(s);
      },
    });
    // Listening before the window exists: the recorder's `ready` may come quickly.
    global.addEventListener('message', s.onMessage);
    session = s;
    if (mode === 'popup') {
      s.target = global.open(link.recorderUrl, 'userplane-recorder', 'popup,width=900,height=760');
      if (s.target) {
        s.watch = setInterval(() => {
          if (s.target.closed) endSession(s);
        }, 1_000);
      } else {
        // A blocked popup (open() outside a click, strict settings): show the recorder in the page.
        warn('the popup was blocked; showing the recorder in an overlay instead');
        s.mode = 'iframe';
      }
    }
    if (s.mode === 'iframe') {
      s.overlay = createOverlay(link.recorderUrl, () => s.handle.close());
      s.target = s.overlay.frame.contentWindow;
      safely(() => s.overlay.frame.focus());
    }
    return s.handle;
  }

  // ---------------------------------------------------------------------------------------------
  // Public API
  // ---------------------------------------------------------------------------------------------

  /** For tests and debugging: a copy of what is buffered now (absolute ts) and what would be sent. */
  function snapshot() {
    const now = Date.now();
    return JSON.parse(
      JSON.stringify({
        console: currentEntries('console', now),
        network: currentEntries('network', now),
        action: currentEntries('action', now),
        systemMeta: systemMeta(),
        customMeta: customMeta || null,
        config,
      }),
    );
  }

  const api = Object.freeze({
    [MARK]: true,
    sdkVersion: SDK_VERSION,
    init(options) {
      applyOptions(options);
      return api;
    },
    open,
    setMetadata,
    _snapshot: snapshot,
  });

  try {
    applyOptions(scriptTagOptions(currentScript));
  } catch (error) {
    warn(`ignoring the script tag's settings: ${error.message}`);
  }
  for (const install of [installConsoleHooks, installFetchHook, installXhrHook, installActionHooks]) {
    try {
      install();
    } catch (error) {
      warn(`could not install a capture hook (${install.name}): ${error?.message}`);
    }
  }
  try {
    global.Userplane = api;
  } catch (error) {
    warn(`could not define window.Userplane: ${error.message}`);
  }
})();
