import type { Migration, MigrationProvider } from 'kysely';
import * as m0001 from './0001_foundation.ts';
import * as m0002domains from './0002_domains.ts';
import * as m0010oauth from './0010_oauth.ts';
import * as m0011setup from './0011_setup.ts';
import * as m0020revocations from './0020_grant_revocations.ts';
import * as m0030recorder from './0030_recorder.ts';
import * as m0040usage from './0040_storage_usage.ts';
import * as m0041leases from './0041_maintenance_leases.ts';
import * as m0050delivery from './0050_delivery.ts';

/** Every migration in order. Names sort lexically; never rename or edit a shipped one. */
export const migrations: Record<string, Migration> = {
  '0001_foundation': m0001,
  '0002_domains': m0002domains,
  '0010_oauth': m0010oauth,
  '0011_setup': m0011setup,
  '0020_grant_revocations': m0020revocations,
  '0030_recorder': m0030recorder,
  '0040_storage_usage': m0040usage,
  '0041_maintenance_leases': m0041leases,
  '0050_delivery': m0050delivery,
};

/** A provider that needs no file-system scan, so it works the same from source and from a bundle. */
export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
