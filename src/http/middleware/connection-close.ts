import type { IncomingMessage } from 'node:http';
import type { MiddlewareHandler } from 'hono';

/**
 * An answer sent before the request body was read (an early 413, a refused upload) is followed by
 * the server dropping the rest of the body and, for a large one, the socket. Saying
 * `Connection: close` in that answer tells the client not to send its next request on this
 * connection, instead of finding it closed under it.
 */
export function closeConnectionAfterUnreadBody(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    // Only a real Node request knows whether its body was read (in-process tests have none).
    const incoming = (c.env as { incoming?: Partial<IncomingMessage> } | undefined)?.incoming;
    if (incoming?.readableEnded !== false) return;
    // A handler that wrote the Node response itself (tus uploads) returns a shared marker.
    if (c.res.headers.has('x-hono-already-sent')) return;
    const length = c.req.header('content-length');
    const hasBody = length !== undefined ? length !== '0' : c.req.header('transfer-encoding') !== undefined;
    if (hasBody) c.res.headers.set('Connection', 'close');
  };
}
