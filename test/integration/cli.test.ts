import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/db.ts';
import { testDialect, testPostgresUrl } from '../helpers/test-app.ts';

// The CLI is a contract that docs, tests and operators rely on: these tests run the real
// `userplane` bin in child processes, exactly as the README shows.

const BIN = join(import.meta.dirname, '../../bin/userplane.js');

function run(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, ...env, LOG_LEVEL: 'warn' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe(`the userplane CLI [${testDialect}]`, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'userplane-cli-'));
  const schema = `cli_${Date.now().toString(36)}`;
  const env: Record<string, string> = {
    DATA_DIR: dataDir,
    USERPLANE_SECRET: 'cli-secret-cli-secret-cli-secret-0123456789',
  };
  if (testDialect === 'postgres')
    env.DATABASE_URL = `${testPostgresUrl}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  let server: ChildProcess | undefined;

  beforeAll(async () => {
    if (testDialect === 'postgres') {
      const admin = openStore({ kind: 'postgres', url: testPostgresUrl }, { poolSize: 1 });
      await sql`create schema ${sql.id(schema)}`.execute(admin.db);
      await admin.close();
    }
  });
  afterAll(async () => {
    server?.kill('SIGTERM');
    if (testDialect === 'postgres') {
      const admin = openStore({ kind: 'postgres', url: testPostgresUrl }, { poolSize: 1 });
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(admin.db);
      await admin.close();
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('migrate, then user, workspace and key create print what they made', async () => {
    const migrated = await run(['migrate'], env);
    expect(migrated.stderr).toBe('');
    expect(migrated.code).toBe(0);
    expect(migrated.stdout).toMatch(/applied: 0001_foundation|up to date/);
    expect((await run(['migrate'], env)).stdout).toMatch(/up to date/);

    const user = await run(
      ['user', 'create', '--email', 'Ops@Example.com', '--password', 'long enough pw', '--name', 'Ops'],
      env,
    );
    expect(user.code).toBe(0);
    expect(user.stdout.trim()).toMatch(/^usr_[0-9a-z]{26}$/);

    const ws = await run(['workspace', 'create', '--name', 'Support', '--owner', 'ops@example.com'], env);
    expect(ws.code).toBe(0);
    expect(ws.stdout.trim()).toMatch(/^ws_[0-9a-z]{26}$/);

    const key = await run(
      ['key', 'create', '--email', 'ops@example.com', '--name', 'cli', '--expires', '30d'],
      env,
    );
    expect(key.code).toBe(0);
    expect(key.stdout.trim()).toMatch(/^uspl_[A-Za-z0-9_-]{43}$/);
    env.TEST_KEY = key.stdout.trim();
  }, 60_000);

  it('fails with a message on stderr and a non-zero exit', async () => {
    const dup = await run(
      ['user', 'create', '--email', 'ops@example.com', '--password', 'long enough pw'],
      env,
    );
    expect(dup.code).not.toBe(0);
    expect(dup.stderr).toMatch(/already exists/);
    expect(dup.stdout).toBe('');

    const missing = await run(['workspace', 'create', '--name', 'X'], env);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/--owner is required/);

    const unknownUser = await run(['key', 'create', '--email', 'nobody@example.com'], env);
    expect(unknownUser.code).not.toBe(0);
    expect(unknownUser.stderr).toMatch(/no user with email nobody@example.com/);

    const badExpiry = await run(['key', 'create', '--email', 'ops@example.com', '--expires', '1y'], env);
    expect(badExpiry.code).not.toBe(0);
    expect(badExpiry.stderr).toMatch(/--expires/);

    const unknown = await run(['frobnicate'], env);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/unknown command/);

    const badConfig = await run(['migrate'], { ...env, PORT: 'eighty' });
    expect(badConfig.code).not.toBe(0);
    expect(badConfig.stderr).toMatch(/PORT/);
  }, 60_000);

  it('serve migrates, listens, answers /readyz and the REST API with the key', async () => {
    const port = await freePort();
    server = spawn(process.execPath, [BIN, 'serve'], {
      env: { ...process.env, ...env, PORT: String(port), LOG_LEVEL: 'warn' },
    });
    let output = '';
    server.stdout?.on('data', (d) => {
      output += d;
    });
    const deadline = Date.now() + 20_000;
    while (!output.includes('running at') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    expect(output).toContain(`Userplane is running at http://localhost:${port}`);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(await ready.json()).toEqual({ status: 'ready', database: testDialect, files: 'fs' });
    const me = await fetch(`http://127.0.0.1:${port}/api/v1/public/me`, {
      headers: { authorization: `Bearer ${env.TEST_KEY}` },
    });
    expect(me.status).toBe(200);
    expect((await me.json()).data.user.email).toBe('Ops@Example.com');
    const exited = new Promise<number | null>((resolve) => server!.once('exit', (code) => resolve(code)));
    server.kill('SIGTERM');
    expect(await exited).toBe(0);
    server = undefined;
  }, 60_000);
});
