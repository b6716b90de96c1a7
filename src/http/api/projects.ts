import type { RegisterRoutes } from './common.ts';

/** Placeholder until this resource's routes land. */
export const registerProjectRoutes: RegisterRoutes = () => {};
