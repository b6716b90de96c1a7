import { validationError } from '../domain/errors.ts';

/** The largest page any surface may ask a list service for (each surface sets a lower cap of its own). */
export const MAX_PER_PAGE = 100;

export interface PageRequest {
  page: number;
  perPage: number;
}

/** Checks a page request: whole numbers, page ≥ 1, 1 ≤ perPage ≤ MAX_PER_PAGE (S38). */
export function checkPage(input: PageRequest): PageRequest {
  if (!Number.isInteger(input.page) || input.page < 1 || input.page > 1_000_000)
    throw validationError('page', 'must be a whole number from 1');
  if (!Number.isInteger(input.perPage) || input.perPage < 1 || input.perPage > MAX_PER_PAGE)
    throw validationError('per_page', `must be a whole number from 1 to ${MAX_PER_PAGE}`);
  return input;
}
