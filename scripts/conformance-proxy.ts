import { createServer, request } from 'node:http';
import { parseArgs } from 'node:util';
import { authorizeNewClient, refreshTokens } from '../bench/oauth-client.ts';

// A tiny reverse proxy for the MCP conformance suite, which speaks to /mcp without OAuth: it gets
// a real token through the real flow (DCR → authorize with the sign-in and consent forms →
// token), then forwards every request to the server with `Authorization: Bearer <token>` added.
// Host and Origin naming the proxy itself are rewritten to the server's own (a same-origin front);
// any other Host or Origin (the suite's DNS-rebinding probe) passes through untouched.
//
//   node --import tsx scripts/conformance-proxy.ts --target http://127.0.0.1:3000 \
//     --email E --password P [--port 0]
// Prints `proxy listening <url>/mcp` once it is ready.

const { values } = parseArgs({
  options: {
    target: { type: 'string' },
    email: { type: 'string' },
    password: { type: 'string' },
    port: { type: 'string', default: '0' },
  },
});
if (!values.target || !values.email || !values.password) {
  console.error('usage: conformance-proxy.ts --target URL --email E --password P [--port N]');
  process.exit(2);
}
const target = new URL(values.target);
const authorized = await authorizeNewClient(target.origin, {
  email: values.email,
  password: values.password,
});
let token = authorized.tokens.access_token;
// Renew before the hour is up, should a run ever take that long.
const renew = setInterval(
  async () => {
    try {
      authorized.tokens = await refreshTokens(
        target.origin,
        authorized.clientId,
        authorized.tokens.refresh_token,
      );
      token = authorized.tokens.access_token;
    } catch (error) {
      console.error(`token refresh failed: ${error instanceof Error ? error.message : error}`);
    }
  },
  Math.max(60, authorized.tokens.expires_in - 300) * 1000,
);
renew.unref();

let ownHost = '';
const server = createServer((req, res) => {
  const headers = { ...req.headers };
  if (headers.host === ownHost) headers.host = target.host;
  if (headers.origin === `http://${ownHost}`) headers.origin = target.origin;
  headers.authorization = `Bearer ${token}`;
  const upstream = request(
    { host: target.hostname, port: target.port, method: req.method, path: req.url, headers },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
      answer.pipe(res);
    },
  );
  upstream.on('error', (error) => {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
    res.end(`proxy error: ${error.message}`);
  });
  // A client that goes away (an SSE stream closed by the suite) ends the upstream request too.
  res.on('close', () => upstream.destroy());
  req.pipe(upstream);
});
server.listen(Number(values.port), '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  ownHost = `127.0.0.1:${port}`;
  console.log(`proxy listening http://${ownHost}/mcp`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
